"""marshmallow's validators with Wijkstem's error codes declared on each message: use them as ``validate.Length``.

An ``error=`` given at the call site keeps the validator's code (``OneOf(..., error=N_("Choose one ..."))``
is still ``not_one_of``).
"""

from marshmallow import validate

from .errors import N_, ValidationCode, with_code


class Length(validate.Length):
    message_min = ValidationCode("too_short", N_("Shorter than minimum length {min}."))
    message_max = ValidationCode("too_long", N_("Longer than maximum length {max}."))
    message_all = ValidationCode("length", N_("Length must be between {min} and {max}."))
    message_equal = ValidationCode("length", N_("Length must be {equal}."))

    def __init__(self, min=None, max=None, *, equal=None, error=None):
        super().__init__(min, max, equal=equal, error=with_code(error, "length"))


class Range(validate.Range):
    """Inclusive bounds only (the messages say "or equal to")."""

    message_min = ValidationCode("too_small", N_("Must be greater than or equal to {min}."))
    message_max = ValidationCode("too_large", N_("Must be less than or equal to {max}."))
    message_all = ValidationCode("out_of_range",
                                 N_("Must be greater than or equal to {min} and less than or equal to {max}."))

    def __init__(self, min=None, max=None, *, error=None):
        super().__init__(min, max, error=with_code(error, "out_of_range"))


class OneOf(validate.OneOf):
    default_message = ValidationCode("not_one_of", N_("Must be one of: {choices}."))

    def __init__(self, choices, labels=None, *, error=None):
        super().__init__(choices, labels, error=with_code(error, "not_one_of"))


class Regexp(validate.Regexp):
    default_message = ValidationCode("invalid_format", N_("String does not match expected pattern."))

    def __init__(self, regex, flags=0, *, error=None):
        super().__init__(regex, flags, error=with_code(error, "invalid_format"))


Validator = validate.Validator
