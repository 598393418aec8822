"""Enrolment requests and answers, and what a device reports as still waiting on it."""

from marshmallow import EXCLUDE

from .. import fields, validate
from ..validation import RequestSchema, Schema


class EnrolRequestSchema(RequestSchema):
    code = fields.String(required=True, validate=validate.Length(4, 40))
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class EnrolReplySchema(Schema):
    device_id = fields.String()
    token = fields.String()
    team = fields.String()
    label = fields.String()


class DeviceSchema(Schema):
    id = fields.String()
    label = fields.String()
    team = fields.String(attribute="team.name")
    created_at = fields.DateTime()
    last_sync_at = fields.DateTime(allow_none=True)
    #: The code of the source the phone attributes its door-to-door responses to by default, or null.
    default_source = fields.String(attribute="default_source.code", allow_none=True)


class DeviceStatusSchema(Schema):
    """What is still waiting on the device, reported with each sync (unknown fields are ignored there)."""

    class Meta:
        unknown = EXCLUDE

    pending_responses = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10_000_000))
    pending_voice_notes = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10_000_000))
    pending_bytes = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10**13))


class DeviceReportSchema(RequestSchema):
    """What is still waiting on the device after a sync (``0, 0, 0``: nothing): replaces the last report."""

    pending_responses = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000_000))
    pending_voice_notes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000_000))
    pending_bytes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**13))


class DeviceReportReplySchema(Schema):
    pending_responses = fields.Integer()
    pending_voice_notes = fields.Integer()
    pending_bytes = fields.Integer()
    status_reported_at = fields.DateTime()


enrol_request_schema = EnrolRequestSchema()
device_schema = DeviceSchema()
device_report_schema = DeviceReportSchema()
device_report_reply_schema = DeviceReportReplySchema()
