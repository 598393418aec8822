"""Forms of the privacy pages."""

from datetime import datetime

from marshmallow import ValidationError

from .. import fields, validate
from ..errors import N_, ValidationCode
from ..forms import REQUIRED, TextLength
from ..validation import Schema

#: Longest retention a campaign may set (ten years).
MAX_RETENTION_DAYS = 3650


class RetentionFormSchema(Schema):
    """Days to keep voice notes; empty keeps them until the campaign's data is erased."""

    days = fields.Integer(load_default=None, validate=validate.Range(1, MAX_RETENTION_DAYS))


class ErasureFormSchema(Schema):
    """The receipt code a resident got after answering."""

    receipt = fields.String(required=True, validate=TextLength(6, 64), error_messages=REQUIRED)


class AuditCursor(fields.Field):
    """A position in the audit log: ``<created_at ISO>~<event id>``."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value[0].isoformat()}~{value[1]}"

    def _deserialize(self, value, attr, data, **kwargs):
        moment, _, number = str(value).partition("~")
        try:
            when = datetime.fromisoformat(moment)
            if when.tzinfo is None or not number.isdigit():
                raise ValueError("not a position")
            return when, int(number)
        except ValueError:
            raise ValidationError(ValidationCode("invalid_cursor", N_("This page link is not valid.")))


class AuditPageSchema(Schema):
    before = AuditCursor(load_default=None)


retention_form_schema = RetentionFormSchema()
erasure_form_schema = ErasureFormSchema()
audit_page_schema = AuditPageSchema()
