"""The codebook's, the fragments' and the quotes' forms."""

from .. import fields, validate
from ..errors import N_, ValidationCode
from ..forms import REQUIRED, TextLength
from ..i18n import LANGUAGES
from ..validation import Schema
from .models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, QUOTE_MAX_LENGTH, SOURCE_KINDS

LANGUAGE_CODES = list(LANGUAGES)
COLOUR = validate.Regexp(r"^#[0-9a-fA-F]{6}$", error=ValidationCode("invalid_colour",
                                                                   N_("Choose a colour such as #1f6feb.")))
FRAGMENT_MAX_LENGTH = 10_000


def per_language(limit: int) -> fields.Dict:
    """``name.nl``, ``name.ar`` ...: a text per language."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(LANGUAGE_CODES)),
                       values=fields.String(validate=TextLength(max=limit)), load_default=dict)


class ThemeFormSchema(Schema):
    name = per_language(NAME_MAX_LENGTH)
    description = per_language(DESCRIPTION_MAX_LENGTH)
    colour = fields.String(load_default="#1f6feb", validate=COLOUR)


class AttachFormSchema(Schema):
    """A theme on the whole response (`source` ``response``), or on words of one of its texts."""

    theme = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1), error_messages=REQUIRED)
    #: ``response`` or ``<kind>:<id>``, e.g. ``transcript:0193…`` or ``answer:12``.
    source = fields.String(load_default="response", validate=validate.Length(1, 80))
    #: The exact words (typed, or filled in by selecting them); empty: the whole text.
    words = fields.String(load_default=None, validate=TextLength(max=FRAGMENT_MAX_LENGTH))
    start = fields.Integer(load_default=None, validate=validate.Range(0, 10_000_000))
    end = fields.Integer(load_default=None, validate=validate.Range(0, 10_000_000))
    return_to = fields.String(load_default=None)


class BulkFormSchema(Schema):
    theme = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1), error_messages=REQUIRED)
    #: The count the coordinator was shown; refused when the filters now match a different number.
    expected = fields.Integer(load_default=None, validate=validate.Range(0, 2**31 - 1))


class QuoteFormSchema(Schema):
    texts = per_language(QUOTE_MAX_LENGTH)


SOURCE_PREFIXES = tuple(kind for kind in SOURCE_KINDS if kind != "response")

theme_form_schema = ThemeFormSchema()
attach_form_schema = AttachFormSchema()
bulk_form_schema = BulkFormSchema()
quote_form_schema = QuoteFormSchema()
