"""What a device sends to `/api/v1/sync`, and what it gets back."""

from datetime import UTC

from marshmallow import EXCLUDE, Schema, fields, validate

from ..validation import RequestSchema
from .models import AGE_BRACKETS, CHANNELS

SYNC_STATUSES = ("created", "duplicate", "conflict", "invalid")


class ConsentSchema(Schema):
    #: The resident agreed that their answers are stored.
    answers = fields.Boolean(required=True)
    #: The resident agreed, separately, that their voice is recorded and stored.
    audio = fields.Boolean(required=True)


class MetaSchema(Schema):
    buurt = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    age_bracket = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(AGE_BRACKETS))


class AnswerSchema(Schema):
    question = fields.String(required=True, validate=validate.Length(1, 64))
    #: A choice key, a list of choice keys, a number or a text, by the question's type.
    value = fields.Raw(required=True)


class VoiceRefSchema(Schema):
    id = fields.UUID(required=True)
    question = fields.String(required=True, validate=validate.Length(1, 64))


class ResponseSchema(RequestSchema):
    """One response as the device recorded it; the id is made on the device (UUIDv7)."""

    id = fields.UUID(required=True)
    campaign_id = fields.UUID(required=True)
    campaign_version = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    language = fields.String(required=True, validate=validate.Length(2, 16))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    #: The flyer's public code; required for anonymous visitors.
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 16))
    collected_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    consent = fields.Nested(ConsentSchema, required=True)
    meta = fields.Nested(MetaSchema, load_default=lambda: {"buurt": None, "age_bracket": None})
    answers = fields.List(fields.Nested(AnswerSchema), required=True, validate=validate.Length(max=100))
    voice_notes = fields.List(fields.Nested(VoiceRefSchema), load_default=list, validate=validate.Length(max=60))
    #: The receipt code shown to the resident, for erasure later; only its hash is kept.
    receipt = fields.String(load_default=None, allow_none=True, validate=validate.Length(6, 64))


class DeviceStatusSchema(Schema):
    """What is still waiting on the device, reported with each sync."""

    class Meta:
        unknown = EXCLUDE

    pending_responses = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10_000_000))
    pending_voice_notes = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10_000_000))
    pending_bytes = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10**13))


class SyncBatchSchema(Schema):
    """A batch; each response is validated on its own so one bad item does not sink the rest."""

    #: Anything per item: `ResponseSchema` judges each one, so even a non-object is one invalid item.
    responses = fields.List(fields.Raw(allow_none=True), required=True)
    device_status = fields.Nested(DeviceStatusSchema, load_default=None, allow_none=True)


class ItemErrorSchema(Schema):
    code = fields.String()
    message = fields.String()
    field = fields.String(allow_none=True)


class SyncResultSchema(Schema):
    index = fields.Integer()
    id = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(SYNC_STATUSES))
    errors = fields.List(fields.Nested(ItemErrorSchema))


class SyncReplySchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))
    server_time = fields.DateTime()


response_schema = ResponseSchema()
sync_batch_schema = SyncBatchSchema()


class ErasureSchema(RequestSchema):
    """A resident's receipt code, to erase what they said."""

    receipt = fields.String(required=True, validate=validate.Length(6, 64))


class ErasureReplySchema(Schema):
    #: How many responses the receipt code erased (0 when it matched none).
    erased = fields.Integer(required=True)
