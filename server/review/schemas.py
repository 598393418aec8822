"""The inbox's filters and the review forms."""

import uuid
from datetime import datetime

import marshmallow
from marshmallow import EXCLUDE, ValidationError, validates_schema
from werkzeug.datastructures import MultiDict

from .. import fields, validate
from ..errors import N_, ValidationCode
from ..forms import REQUIRED, TextLength, load_form
from ..responses.models import AGE_BRACKETS, CHANNELS, REVIEW_STATES
from ..validation import Schema
from .models import COMMENT_MAX_LENGTH, TAG_MAX_LENGTH

#: The state filter: every state but hidden (the default), every state, or one state.
STATE_FILTERS = ("visible", "all", *REVIEW_STATES)
TEXT_MAX_LENGTH = 10_000
SEARCH_MAX_LENGTH = 200


class Cursor(fields.Field):
    """A keyset position ``<received_at ISO>~<response id hex>``: where a page starts, not a secret."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value[0].isoformat()}~{value[1].hex}"

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            moment, _, key = str(value).partition("~")
            when = datetime.fromisoformat(moment)
            if when.tzinfo is None:
                raise ValueError("naive")
            return when, uuid.UUID(hex=key)
        except ValueError:
            raise ValidationError(ValidationCode("invalid_cursor", N_("This page link is not valid.")))


class Date(fields.Coded, marshmallow.fields.Date):
    """A day typed in the workspace (a field of its own here: the API takes no dates, the phones need no
    translation of its message)."""

    default_error_messages = {
        "invalid": ValidationCode("invalid_date", N_("Not a valid date.")),
        "format": ValidationCode("invalid_date", N_("Not a valid date.")),
    }


class InboxFilterSchema(Schema):
    """What the inbox and the exports can be narrowed to (all optional)."""

    class Meta:
        unknown = EXCLUDE  # e.g. `lang`, which picks the page's language

    language = fields.String(load_default=None, validate=validate.Length(2, 16))
    source = fields.Integer(load_default=None, validate=validate.Range(1, 2**31 - 1))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    buurt = fields.String(load_default=None, validate=validate.Length(1, 100))
    age_bracket = fields.String(load_default=None, validate=validate.OneOf(AGE_BRACKETS))
    received_from = Date(load_default=None)
    received_to = Date(load_default=None)
    state = fields.String(load_default="visible", validate=validate.OneOf(STATE_FILTERS))
    tag = fields.Integer(load_default=None, validate=validate.Range(1, 2**31 - 1))
    #: Words to search for in what residents and the team wrote (`server.search.operations.parse_query`).
    q = fields.String(load_default=None, validate=validate.Length(1, SEARCH_MAX_LENGTH))
    #: Keyset positions: older than `after`, or newer than `before`.
    after = Cursor(load_default=None)
    before = Cursor(load_default=None)

    @validates_schema
    def check_range(self, data, **_kwargs):
        if data["received_from"] and data["received_to"] and data["received_from"] > data["received_to"]:
            raise ValidationError(ValidationCode("date_order", N_("The first date must not be after the last.")),
                                  "received_to")


FILTER_NAMES = ("language", "source", "channel", "buurt", "age_bracket", "received_from", "received_to",
                "state", "tag", "q")


class StateFormSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(REVIEW_STATES), error_messages=REQUIRED)
    #: Where to go afterwards (a path on this site), e.g. the next response.
    return_to = fields.String(load_default=None)


class TagFormSchema(Schema):
    name = fields.String(required=True, validate=TextLength(1, TAG_MAX_LENGTH), error_messages=REQUIRED)
    return_to = fields.String(load_default=None)


class CommentFormSchema(Schema):
    body = fields.String(required=True, validate=TextLength(1, COMMENT_MAX_LENGTH), error_messages=REQUIRED)
    return_to = fields.String(load_default=None)


class TranscriptFormSchema(Schema):
    transcript = fields.String(load_default=None, validate=TextLength(max=TEXT_MAX_LENGTH))
    translation = fields.String(load_default=None, validate=TextLength(max=TEXT_MAX_LENGTH))
    return_to = fields.String(load_default=None)


class TranslationFormSchema(Schema):
    translation = fields.String(load_default=None, validate=TextLength(max=TEXT_MAX_LENGTH))
    return_to = fields.String(load_default=None)


class ReturnSchema(Schema):
    return_to = fields.String(load_default=None)


inbox_filter_schema = InboxFilterSchema()

state_form_schema = StateFormSchema()
tag_form_schema = TagFormSchema()
comment_form_schema = CommentFormSchema()
transcript_form_schema = TranscriptFormSchema()
translation_form_schema = TranslationFormSchema()
return_schema = ReturnSchema()


def read_filters(source: MultiDict) -> tuple[dict, dict]:
    """``(filters, errors)`` from query or form fields; invalid filters are reported, the rest still apply."""
    data = {key: value.strip() for key, value in source.items() if value.strip()}
    values, errors = load_form(inbox_filter_schema, data)
    if errors:
        values, _errors = load_form(inbox_filter_schema, {k: v for k, v in data.items() if k not in errors})
        values = values or inbox_filter_schema.load({})
    return values, errors
