"""Declaring a voice note before its bytes are uploaded."""

import re

from .. import fields, validate
from ..validation import RequestSchema, Schema

SHA256 = validate.Regexp(re.compile(r"^[0-9a-f]{64}$"))


class VoiceNoteDeclarationSchema(RequestSchema):
    """What the client knows about a recording before it uploads it."""

    id = fields.UUID(required=True)
    response_id = fields.UUID(required=True)
    question = fields.String(required=True, validate=validate.Length(1, 64))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(1, 2**31 - 1))
    content_type = fields.String(required=True, validate=validate.Length(3, 100))
    sha256 = fields.String(required=True, validate=SHA256)
    #: A hint, checked against the cap at once; the stored length is always read from the file.
    duration_ms = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(0, 24 * 3600 * 1000))
    #: The flyer's code, for anonymous visitors (who then also send an `Upload-Key` header).
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 16))


class VoiceNoteStateSchema(Schema):
    id = fields.String()
    state = fields.String()
    offset = fields.Integer()
    size = fields.Integer()
    #: Read from the file once the note is complete (the declared one until then).
    duration_ms = fields.Integer(allow_none=True)


declaration_schema = VoiceNoteDeclarationSchema()
state_schema = VoiceNoteStateSchema()
