"""What a device sends to `/api/v1/sync`, and what it gets back."""

import re
import uuid
from datetime import UTC, datetime

from marshmallow import ValidationError

from .. import fields, validate
from ..devices.schemas import DeviceStatusSchema
from ..validation import RequestSchema, Schema
from .models import CHANNELS

SYNC_STATUSES = ("created", "duplicate", "conflict", "invalid", "erased")
MAX_ANSWERS = 100
MAX_VOICE_NOTES = 60
CONSENT_KEYS = {"answers", "audio"}
META_KEYS = {"buurt", "age_bracket"}
ANSWER_KEYS = {"question", "value"}
VOICE_REF_KEYS = {"id", "question"}


class ConsentSchema(Schema):
    #: The resident agreed that their answers are stored.
    answers = fields.Boolean(required=True)
    #: The resident agreed, separately, that their voice is recorded and stored.
    audio = fields.Boolean(required=True)


class MetaSchema(Schema):
    buurt = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    #: One of the campaign's `age_brackets` (checked per item: `unknown_age_bracket`).
    age_bracket = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 16),
                                metadata={"description": "one of the campaign's `age_brackets` (none when the "
                                                         "campaign asks for none)"})


class AnswerSchema(Schema):
    question = fields.String(required=True, validate=validate.Length(1, 64))
    #: A choice key, a list of choice keys, a number or a text, by the question's type.
    value = fields.Raw(required=True)


class VoiceRefSchema(Schema):
    id = fields.UUID(required=True)
    question = fields.String(required=True, validate=validate.Length(1, 64))


NOT_PLAIN = object()
EARLIEST_COLLECTED = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_COLLECTED = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
#: How phones write a time: `toISOString()` (UTC, "Z") or with their offset, to the millisecond.
PHONE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}(?:Z|[+-][0-9]{2}:[0-9]{2})")


class FastPathField(fields.Field):
    """A nested field that loads plain, well-formed input in one step and hands anything else to `full`.

    `plain(value)` returns what `full` would load, or `NOT_PLAIN`; then `full`, the ordinary marshmallow
    field, validates the value and words the errors. A sync batch holds hundreds of small nested objects,
    and marshmallow's per-object overhead was most of the time a batch took.
    """

    def __init__(self, full: fields.Field, plain, **kwargs):
        super().__init__(**kwargs)
        self.full, self.plain = full, plain

    def _bind_to_schema(self, field_name, parent) -> None:
        super()._bind_to_schema(field_name, parent)
        self.full._bind_to_schema(field_name, self)

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = self.plain(value)
        return self.full.deserialize(value, attr, data, **kwargs) if loaded is NOT_PLAIN else loaded


def plain_list(value):
    """Any list, the very object sent, or `NOT_PLAIN`."""
    return value if type(value) is list else NOT_PLAIN


def plain_consent(value):
    """``{"answers": bool, "audio": bool}``, the very object sent, or `NOT_PLAIN`."""
    if type(value) is dict and value.keys() == CONSENT_KEYS \
            and type(value["answers"]) is bool and type(value["audio"]) is bool:
        return value
    return NOT_PLAIN


def plain_meta(value):
    """Buurt and age bracket strings of a plausible length (or nulls, or nothing), or `NOT_PLAIN`; whether they are
    the campaign's is a rule of the sync (`rules.checked_answer_rows`)."""
    if type(value) is not dict or not value.keys() <= META_KEYS:
        return NOT_PLAIN
    buurt, age_bracket = value.get("buurt"), value.get("age_bracket")
    if (buurt is None or (type(buurt) is str and 1 <= len(buurt) <= 100)) \
            and (age_bracket is None or (type(age_bracket) is str and 1 <= len(age_bracket) <= 16)):
        return {"buurt": buurt, "age_bracket": age_bracket}
    return NOT_PLAIN


def plain_answers(value):
    """At most 100 ``{"question": str, "value": non-null}`` objects (the very list sent), or `NOT_PLAIN`."""
    if type(value) is not list or len(value) > MAX_ANSWERS:
        return NOT_PLAIN
    for item in value:
        if type(item) is not dict or item.keys() != ANSWER_KEYS:
            return NOT_PLAIN
        question = item["question"]
        if type(question) is not str or not 1 <= len(question) <= 64 or item["value"] is None:
            return NOT_PLAIN
    return value


def plain_voice_refs(value):
    """At most 60 ``{"id": UUID string, "question": str}`` objects, or `NOT_PLAIN`."""
    if type(value) is not list or len(value) > MAX_VOICE_NOTES:
        return NOT_PLAIN
    loaded = []
    for item in value:
        if type(item) is not dict or item.keys() != VOICE_REF_KEYS:
            return NOT_PLAIN
        note_id, question = item["id"], item["question"]
        if type(note_id) is not str or type(question) is not str or not 1 <= len(question) <= 64:
            return NOT_PLAIN
        try:
            loaded.append({"id": uuid.UUID(note_id), "question": question})
        except ValueError:
            return NOT_PLAIN
    return loaded


class ResponseSchema(RequestSchema):
    """One response as the device recorded it; the id is made on the device (UUIDv7)."""

    id = fields.UUID(required=True)
    campaign_id = fields.UUID(required=True)
    campaign_version = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100_000))
    language = fields.String(required=True, validate=validate.Length(2, 16))
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    #: The flyer's public code; required for anonymous visitors.
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 16))
    #: When the phone recorded it, by the phone's clock: any plausible time (a reset clock says 1970), but
    #: bounded, so that converting it to UTC cannot overflow.
    collected_at = fields.AwareDateTime(required=True, default_timezone=UTC,
                                        validate=validate.Range(EARLIEST_COLLECTED, LATEST_COLLECTED))
    consent = FastPathField(fields.Nested(ConsentSchema), plain_consent, required=True)
    meta = FastPathField(fields.Nested(MetaSchema), plain_meta,
                         load_default=lambda: {"buurt": None, "age_bracket": None})
    answers = FastPathField(
        fields.List(fields.Nested(AnswerSchema), validate=validate.Length(max=MAX_ANSWERS)),
        plain_answers, required=True)
    voice_notes = FastPathField(
        fields.List(fields.Nested(VoiceRefSchema), validate=validate.Length(max=MAX_VOICE_NOTES)),
        plain_voice_refs, load_default=list)
    #: The receipt code shown to the resident, for erasure later; only its hash is kept.
    receipt = fields.String(load_default=None, allow_none=True, validate=validate.Length(6, 64))


class SyncBatchSchema(Schema):
    """A batch; each response is validated on its own so one bad item does not sink the rest."""

    #: Anything per item: `ResponseSchema` judges each one, so even a non-object is one invalid item.
    responses = FastPathField(fields.List(fields.Raw(allow_none=True)), plain_list, required=True)
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

RESPONSE_REQUIRED_KEYS = frozenset(name for name, f in response_schema.fields.items() if f.required)
RESPONSE_KEYS = frozenset(response_schema.fields)
CHANNEL_SET = frozenset(CHANNELS)
_collected_at = response_schema.fields["collected_at"]


def load_response(raw, *, free_of_nul: bool = False) -> dict:
    """One response as `response_schema.load` loads it, in one step when it is plainly well-formed.

    `free_of_nul`: the caller has seen that no string in `raw` holds a NUL character or a lone surrogate (the
    request body has no ``\\u0000`` and no surrogate escape), the one check of `RequestSchema` that the plain
    path leaves out. Anything not plain goes through marshmallow, which validates it again and words the errors.

    :raise ValidationError: as `response_schema.load` does.
    """
    if free_of_nul:
        loaded = plain_response(raw)
        if loaded is not NOT_PLAIN:
            return loaded
    return response_schema.load(raw)


def plain_response(raw):
    """What `ResponseSchema` loads from `raw` (NUL-free), or `NOT_PLAIN` when `raw` is anything but plain."""
    if type(raw) is not dict or not RESPONSE_REQUIRED_KEYS <= raw.keys() <= RESPONSE_KEYS:
        return NOT_PLAIN
    version, language, source, receipt = raw["campaign_version"], raw["language"], raw.get("source"), \
        raw.get("receipt")
    if not (type(version) is int and 1 <= version <= 100_000
            and type(language) is str and 2 <= len(language) <= 16
            and type(raw["channel"]) is str and raw["channel"] in CHANNEL_SET
            and (source is None or (type(source) is str and 1 <= len(source) <= 16))
            and (receipt is None or (type(receipt) is str and 6 <= len(receipt) <= 64))):
        return NOT_PLAIN
    response_id, campaign_id = plain_uuid(raw["id"]), plain_campaign_id(raw["campaign_id"])
    collected_at, consent = plain_datetime(raw["collected_at"]), plain_consent(raw["consent"])
    meta = plain_meta(raw["meta"]) if "meta" in raw else {"buurt": None, "age_bracket": None}
    answers = plain_answers(raw["answers"])
    voice_notes = plain_voice_refs(raw["voice_notes"]) if "voice_notes" in raw else []
    if response_id is NOT_PLAIN or campaign_id is NOT_PLAIN or collected_at is NOT_PLAIN or consent is NOT_PLAIN \
            or meta is NOT_PLAIN or answers is NOT_PLAIN or voice_notes is NOT_PLAIN:
        return NOT_PLAIN
    return {"id": response_id, "campaign_id": campaign_id, "campaign_version": version, "language": language,
            "channel": raw["channel"], "source": source, "collected_at": collected_at, "consent": consent,
            "meta": meta, "answers": answers, "voice_notes": voice_notes, "receipt": receipt}


def plain_uuid(value):
    """A UUID in any form `uuid.UUID` reads (as `fields.UUID` does), or `NOT_PLAIN`."""
    if type(value) is not str:
        return NOT_PLAIN
    try:
        return uuid.UUID(value)
    except ValueError:
        return NOT_PLAIN


#: Campaign ids read so far, by their text; cleared when it grows past `KNOWN_CAMPAIGN_IDS_LIMIT`.
_known_campaign_ids: dict = {}
KNOWN_CAMPAIGN_IDS_LIMIT = 1024


def plain_campaign_id(value):
    """`plain_uuid` for a campaign's id, which a batch repeats for each of its responses: each text is read once."""
    if type(value) is not str:
        return NOT_PLAIN
    known = _known_campaign_ids.get(value)
    if known is None:
        known = plain_uuid(value)
        if known is not NOT_PLAIN:
            if len(_known_campaign_ids) >= KNOWN_CAMPAIGN_IDS_LIMIT:
                _known_campaign_ids.clear()
            _known_campaign_ids[value] = known
    return known


def plain_datetime(value):
    """`collected_at` as its field loads and validates it (naive times are UTC), or `NOT_PLAIN`.

    A time written as phones write it is read by `datetime.fromisoformat`, ten times faster than the field.
    """
    if type(value) is not str:
        return NOT_PLAIN
    if PHONE_TIME.fullmatch(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return NOT_PLAIN
        return moment if EARLIEST_COLLECTED <= moment <= LATEST_COLLECTED else NOT_PLAIN
    try:
        return _collected_at.deserialize(value)
    except ValidationError:
        return NOT_PLAIN


class ErasureSchema(RequestSchema):
    """A resident's receipt code, to erase what they said."""

    receipt = fields.String(required=True, validate=validate.Length(6, 64))


class ErasureReplySchema(Schema):
    #: How many responses the receipt code erased (0 when it matched none).
    erased = fields.Integer(required=True)
