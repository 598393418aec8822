"""Enrolment requests and answers."""


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


enrol_request_schema = EnrolRequestSchema()
device_schema = DeviceSchema()
