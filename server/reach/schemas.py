"""The make-up form and the CSV upload form."""

import math
import re

from marshmallow import ValidationError

from .. import fields, validate
from ..errors import N_, ValidationCode
from ..forms import TextLength
from ..validation import Schema
from .models import UNITS

MAX_AMOUNT = 100_000_000
NUMBER = re.compile(r"^\d+([.,]\d+)?$")


def parse_amount(text: str) -> float:
    """``"12,5"``, ``"12.5"``, ``"12,5 %"`` or ``"3400"`` as a number.

    :raise ValueError: anything else (thousands separators included: they are ambiguous).
    """
    cleaned = text.strip().removesuffix("%").replace(" ", "").replace("\u00a0", "")
    if not NUMBER.match(cleaned):
        raise ValueError(text)
    return float(cleaned.replace(",", "."))


class Amount(fields.Field):
    """A group's size: a percentage or a number of residents, with a decimal comma or point."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            amount = parse_amount(str(value))
        except ValueError:
            raise ValidationError(ValidationCode("invalid_number", N_(
                "Enter a number, for example 12,5 (without thousands separators).")))
        if not math.isfinite(amount) or amount > MAX_AMOUNT:
            raise ValidationError(ValidationCode("too_large", N_("This number is too large.")))
        return amount


FORM_NAME = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,70}$")


class MakeUpFormSchema(Schema):
    """``amount.<dimension>.<group number>``, ``unit.<dimension>`` and where the figures come from."""

    source_note = fields.String(load_default="", validate=TextLength(max=200))
    unit = fields.Dict(keys=fields.String(validate=FORM_NAME),
                       values=fields.String(validate=validate.OneOf(UNITS)), load_default=dict)
    amount = fields.Dict(keys=fields.String(validate=FORM_NAME),
                         values=fields.Dict(keys=fields.String(validate=validate.Regexp(r"^\d{1,3}$")),
                                            values=Amount()),
                         load_default=dict)


class UploadFormSchema(Schema):
    """The unit the uploaded file's numbers are in."""

    unit = fields.String(load_default="percent", validate=validate.OneOf(UNITS))


make_up_form_schema = MakeUpFormSchema()
upload_form_schema = UploadFormSchema()
