"""marshmallow's fields with Wijkstem's error codes declared on each message: use them as ``fields.String``.

Each class names the code of every error it raises (`ValidationCode`), so `server.errors` reads the code off the
message instead of guessing it from marshmallow's wording. A message given at the call site
(``error_messages={"required": N_("Please fill this in.")}``) keeps the code declared here for that error.
"""

from marshmallow import fields

from .errors import N_, ValidationCode, with_code


class Coded:
    """Mixin: the errors every field can raise, and call-site messages that keep the declared code."""

    default_error_messages = {
        "required": ValidationCode("required", N_("Missing data for required field.")),
        "null": ValidationCode("null", N_("Field may not be null.")),
        "validator_failed": ValidationCode("invalid", N_("Invalid value.")),
    }

    def __init__(self, *args, error_messages: dict | None = None, **kwargs):
        declared = declared_messages(type(self))
        given = {key: with_code(message, declared[key].code) for key, message in (error_messages or {}).items()}
        super().__init__(*args, error_messages=given, **kwargs)


def declared_messages(cls) -> dict:
    """Every `default_error_messages` entry of `cls` and its bases, as marshmallow merges them."""
    messages: dict = {}
    for klass in reversed(cls.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}))
    return messages


class Field(Coded, fields.Field):
    """Base of Wijkstem's own fields."""


class Raw(Coded, fields.Raw):
    pass


class String(Coded, fields.String):
    default_error_messages = {
        "invalid": ValidationCode("invalid_string", N_("Not a valid string.")),
        "invalid_utf8": ValidationCode("invalid_string", N_("Not a valid string.")),
    }


class UUID(Coded, fields.UUID):
    default_error_messages = {
        **String.default_error_messages,
        "invalid_uuid": ValidationCode("invalid_uuid", N_("Not a valid UUID.")),
    }


class Email(Coded, fields.Email):
    default_error_messages = {
        **String.default_error_messages,
        "invalid": ValidationCode("invalid_email", N_("Not a valid email address.")),
    }


class Integer(Coded, fields.Integer):
    default_error_messages = {
        "invalid": ValidationCode("invalid_integer", N_("Not a valid integer.")),
        "too_large": ValidationCode("too_large", N_("Number too large.")),
    }


class Boolean(Coded, fields.Boolean):
    default_error_messages = {"invalid": ValidationCode("invalid_boolean", N_("Not a valid boolean."))}


class DateTime(Coded, fields.DateTime):
    default_error_messages = {
        "invalid": ValidationCode("invalid_datetime", N_("Not a valid datetime.")),
        "invalid_awareness": ValidationCode("invalid_datetime", N_("Not a valid datetime.")),
        "format": ValidationCode("invalid_datetime", N_("Not a valid datetime.")),
    }


class AwareDateTime(Coded, fields.AwareDateTime):
    default_error_messages = {
        **DateTime.default_error_messages,
        "invalid_awareness": ValidationCode("naive_datetime", N_("Not a valid aware datetime.")),
    }


class List(Coded, fields.List):
    default_error_messages = {"invalid": ValidationCode("invalid_list", N_("Not a valid list."))}


class Dict(Coded, fields.Dict):
    default_error_messages = {"invalid": ValidationCode("invalid_object", N_("Not a valid mapping type."))}


class Nested(Coded, fields.Nested):
    """A nested schema; the schema's own errors (wrong type, unknown fields) are declared on `Schema`."""

    default_error_messages = {"type": ValidationCode("invalid_type", N_("Invalid type."))}
