"""The OpenAPI 3 document of the device API, built from the same marshmallow schemas that validate."""

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from . import fields
from .campaigns.schemas import (
    CampaignDocumentSchema,
    CampaignListSchema,
    DeviceCampaignDocumentSchema,
    DeviceSourceSchema,
    SourceDocumentSchema,
)
from .devices.schemas import (
    DeviceReportReplySchema,
    DeviceReportSchema,
    DeviceSchema,
    EnrolReplySchema,
    EnrolRequestSchema,
)
from .responses.schemas import (
    ErasureReplySchema,
    ErasureSchema,
    FastPathField,
    ItemErrorSchema,
    ResponseSchema,
    SyncBatchSchema,
    SyncReplySchema,
    SyncResultSchema,
)
from .validation import Schema
from .voice.audio import ACCEPTED_CONTENT_TYPES
from .voice.schemas import VoiceNoteDeclarationSchema, VoiceNoteStateSchema


class ErrorDetailSchema(Schema):
    field = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()


class ErrorBodySchema(Schema):
    #: Stable, machine-readable; the message is in the request's language and may change.
    code = fields.String(required=True)
    message = fields.String(required=True)
    field = fields.String()
    details = fields.List(fields.Nested(ErrorDetailSchema))
    #: `batch_too_large` tells its limit, `offset_mismatch` the server's offset.
    limit = fields.Integer()
    offset = fields.Integer()


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


#: Nested schemas come before those that nest them, so each is registered once, under its own name.
SCHEMAS = {"EnrolRequest": EnrolRequestSchema, "EnrolReply": EnrolReplySchema, "Device": DeviceSchema,
           "DeviceReport": DeviceReportSchema, "DeviceReportReply": DeviceReportReplySchema,
           "Campaign": CampaignDocumentSchema, "DeviceSource": DeviceSourceSchema,
           "DeviceCampaign": DeviceCampaignDocumentSchema, "CampaignList": CampaignListSchema,
           "SourceDocument": SourceDocumentSchema, "Response": ResponseSchema, "SyncBatch": SyncBatchSchema,
           "SyncReply": SyncReplySchema, "Erasure": ErasureSchema, "ErasureReply": ErasureReplySchema,
           "VoiceNoteDeclaration": VoiceNoteDeclarationSchema, "VoiceNoteState": VoiceNoteStateSchema,
           "Error": ErrorSchema}


def reply_schemas() -> tuple:
    """Schemas of what the server sends (they may echo a client's text, e.g. a field path)."""
    return (ErrorSchema, ErrorBodySchema, ErrorDetailSchema, EnrolReplySchema, DeviceSchema,
            DeviceReportReplySchema, SyncReplySchema, SyncResultSchema, ItemErrorSchema, VoiceNoteStateSchema)


# --- building blocks ------------------------------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def reply(description: str, schema: str | None = None, headers: dict | None = None) -> dict:
    answer = {"description": description}
    if schema:
        answer["content"] = {"application/json": {"schema": ref(schema)}}
    if headers:
        answer["headers"] = headers
    return answer


def header(description: str, kind: str = "string") -> dict:
    return {"description": description, "schema": {"type": kind}}


ETAG = {"ETag": header("Send it back in If-None-Match; an unchanged document then costs a 304.")}
UPLOAD_STATE = {"Upload-Offset": header("Bytes the server has stored; continue from here.", "integer"),
                "Upload-Length": header("The declared size.", "integer")}
NOT_MODIFIED = reply("Not modified: the If-None-Match ETag is current.", headers=ETAG)
AUDIO_REPLY = {"description": "The recording", "headers": {
    **ETAG, "Content-Disposition": header("Always `inline`."),
    "Cache-Control": header("`public, max-age=31536000, immutable`")},
    "content": {"audio/ogg": {"schema": {"type": "string", "format": "binary"}},
                "audio/*": {"schema": {"type": "string", "format": "binary"}}}}

#: Which error codes each HTTP status stands for, per kind of endpoint.
ERROR_CODES = {
    "400": "`invalid_json`: the body is not a JSON object",
    "401": "`token_required`: no device token; `invalid_token`: unknown or revoked token",
    "413": "`payload_too_large`: the body is over 2 MiB",
    "415": "`json_required`: send `Content-Type: application/json`",
    "422": "`invalid_input`: fields at fault in `field` and `details`",
    "429": "`rate_limited`: too many requests from this address; wait `Retry-After` seconds",
}


def errors(*statuses: str, **codes: str) -> dict:
    """Error replies by status, each naming its codes (`codes` adds to or replaces the common ones)."""
    replies = {}
    for status in statuses:
        described = "; ".join(filter(None, [ERROR_CODES.get(status), codes.get(f"e{status}")]))
        headers = {"Retry-After": header("Seconds to wait.", "integer")} if status == "429" else None
        replies[status] = reply(described or "error", "Error", headers)
    return replies


JSON_ERRORS = ("400", "413", "415", "422")
UUID = {"type": "string", "format": "uuid"}


def path_parameter(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


NOTE_ID = [path_parameter("note_id", UUID)]
VOICE_SECURITY = [{"device": []}, {"uploadKey": []}]
CONTENT_TYPES = ", ".join(sorted(ACCEPTED_CONTENT_TYPES))


# --- the operations -------------------------------------------------------------------------------------

def device_paths() -> dict:
    return {
        "/api/v1/devices/enrol": {"post": {
            "summary": "Trade a one-time enrolment code for a device token (sent once, in the body)",
            "security": [], "requestBody": json_body("EnrolRequest"),
            "responses": {"201": reply("Enrolled", "EnrolReply"),
                          **errors(*JSON_ERRORS, "429", e400="`enrolment_code_invalid`: unknown, used or expired")}}},
        "/api/v1/devices/me": {"get": {
            "summary": "The enrolled device", "responses": {"200": reply("The device", "Device"), **errors("401")}}},
        "/api/v1/devices/me/status": {"put": {
            "summary": "What is still waiting on the device after a sync (all zero: nothing); replaces the last "
                       "report, which the coordinator's Phones page shows with its time",
            "requestBody": json_body("DeviceReport"),
            "responses": {"200": reply("The report as stored, with its time", "DeviceReportReply"),
                          **errors(*JSON_ERRORS, "401")}}},
    }


def campaign_paths() -> dict:
    return {
        "/api/v1/campaigns": {"get": {
            "summary": "The published campaigns of the device's team, each as its newest version",
            "responses": {"200": reply("Campaigns", "CampaignList", ETAG), "304": NOT_MODIFIED,
                          **errors("401")}}},
        "/api/v1/campaigns/{campaign_id}": {"get": {
            "summary": "One published campaign of the device's team",
            "parameters": [path_parameter("campaign_id", UUID)],
            "responses": {"200": reply("The campaign", "DeviceCampaign", ETAG), "304": NOT_MODIFIED,
                          **errors("401", "404", e404="`campaign_not_found`: unknown, unpublished or another "
                                                      "team's")}}},
        "/api/v1/sources/{code}": {"get": {
            "summary": "What a flyer's code leads to (public, rate-limited)", "security": [],
            "parameters": [path_parameter("code", {"type": "string", "minLength": 1, "maxLength": 64})],
            "responses": {"200": reply("The source and its campaign", "SourceDocument", ETAG),
                          "304": NOT_MODIFIED,
                          **errors("404", "410", "429", e404="`source_not_found`",
                                   e410="`source_closed`: the flyer was revoked or the campaign closed")}}},
        "/api/v1/clips/{clip_id}": {"get": {
            "summary": "A recorded clip: a campaign text or an app phrase read aloud (public, immutable)",
            "description": "Mono Opus in Ogg. A new recording is a new id; the campaign document's `audio` "
                           "lists the clips that match the current texts.",
            "security": [], "parameters": [path_parameter("clip_id", UUID)],
            "responses": {"200": AUDIO_REPLY, "304": NOT_MODIFIED, **errors("404", "429", e404="`not_found`")}}},
        "/api/v1/prompts/{clip_id}": {"get": {
            "summary": "The same clip at the address question prompts had (for apps installed before clips)",
            "security": [], "parameters": [path_parameter("clip_id", UUID)], "deprecated": True,
            "responses": {"200": AUDIO_REPLY, "304": NOT_MODIFIED, **errors("404", "429", e404="`not_found`")}}},
    }


def sync_paths() -> dict:
    return {
        "/api/v1/sync": {"post": {
            "summary": "Send a batch of responses; each item is created, duplicate, conflict, invalid or erased",
            "description": "Without a token, only flyer responses (`channel: flyer` with a `source`) are "
                           "accepted, behind the anonymous rate limit.",
            "security": [{"device": []}, {}], "requestBody": json_body("SyncBatch"),
            "responses": {"200": reply("Per-item results, sent only after they are committed", "SyncReply"),
                          **errors(*JSON_ERRORS, "401", "429",
                                   e413="`batch_too_large`: more responses than the limit in `error.limit`")}}},
        "/api/v1/erasure": {"post": {
            "summary": "Erase the responses, answers and voice notes behind a resident's receipt code",
            "security": [], "requestBody": json_body("Erasure"),
            "responses": {"200": reply("How many responses were erased", "ErasureReply"),
                          **errors(*JSON_ERRORS, "429",
                                   e429="shares `RATELIMIT_ERASURE` (5 a minute) with the `/erase` form")}}},
    }


def voice_paths() -> dict:
    upload_key = "`upload_key_required`: neither a device token nor an Upload-Key of 22 to 128 characters"
    owner = "`voice_note_not_found`: unknown, or declared by someone else"
    state = reply("The upload's state", "VoiceNoteState", UPLOAD_STATE)
    return {
        "/api/v1/voice-notes": {"post": {
            "summary": "Declare a voice note (id, size, content type, sha256) before uploading it",
            "description": f"Accepted content types: {CONTENT_TYPES} (parameters such as `;codecs=opus` are "
                           "ignored). Declaring again returns the current state.",
            "security": VOICE_SECURITY, "requestBody": json_body("VoiceNoteDeclaration"),
            "responses": {
                "200": reply("Already declared: its current state", "VoiceNoteState", UPLOAD_STATE),
                "201": reply("Declared", "VoiceNoteState", UPLOAD_STATE),
                **errors(*JSON_ERRORS, "401", "404", "409", "410", "429", e401=upload_key, e404=owner,
                         e409="`voice_note_conflict`: the id is declared with other values",
                         e410="`source_closed`: the visitor's flyer was revoked or its campaign closed; "
                              "`response_erased`: the resident erased the response, delete the recording",
                         e413="`audio_too_large`: over the size cap",
                         e415="`unsupported_audio`: content type outside the allowlist",
                         e422="`source_required`: a visitor without an open flyer code (a door-to-door code "
                              "is no flyer code); `audio_too_long`; `audio_consent_required`; "
                              "`voice_not_allowed`: the question is not in the campaign version, or takes no "
                              "voice")}}},
        "/api/v1/voice-notes/{note_id}": {
            "get": {"summary": "The upload's state", "security": VOICE_SECURITY, "parameters": NOTE_ID,
                    "responses": {"200": state, **errors("401", "404", "429", e401=upload_key, e404=owner)}},
            "head": {"summary": "The server's offset, in Upload-Offset", "security": VOICE_SECURITY,
                     "parameters": NOTE_ID,
                     "responses": {"200": {"description": "The offset", "headers": UPLOAD_STATE},
                                   **errors("401", "404", "429", e401=upload_key, e404=owner)}},
            "patch": {
                "summary": "Append bytes at Upload-Offset; the last chunk completes and verifies the note",
                "security": VOICE_SECURITY,
                "parameters": [*NOTE_ID, {"name": "Upload-Offset", "in": "header", "required": True,
                                          "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}}],
                "requestBody": {"required": True, "content": {"application/offset+octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "200": reply("Stored; `state` is `complete` once the whole note is verified",
                                 "VoiceNoteState", UPLOAD_STATE),
                    **errors("400", "401", "404", "409", "410", "413", "415", "422", "429", e401=upload_key,
                             e404=owner + "; also deleted meanwhile (its response came without audio consent, or "
                                          "was erased)",
                             e400="`offset_required`: Upload-Offset missing or not a number",
                             e410="`source_closed`: the visitor's flyer was revoked (or its campaign closed) "
                                  "since the note was declared",
                             e429="`upload_quota_exceeded`: a visitor's address or flyer reached its hourly "
                                  "bytes (`Retry-After` says when the hour ends)",
                             e409="`offset_mismatch`: continue from Upload-Offset (also `error.offset`)",
                             e413="`chunk_too_large`, `upload_too_large`",
                             e415="`chunk_type_required`; `unsupported_audio`: the bytes are no accepted "
                                  "audio (the upload restarts at 0)",
                             e422="`checksum_mismatch`, `audio_too_long`, `audio_unreadable` (the container "
                                  "records no length), `audio_implausible` (the size is more than the length "
                                  "explains): the upload restarts at 0")}}},
    }


def paths() -> dict:
    """Every operation of `/api/v1`."""
    return {**device_paths(), **campaign_paths(), **sync_paths(), **voice_paths()}


# --- the document ---------------------------------------------------------------------------------------

#: No text may hold U+0000 (PostgreSQL cannot store it); see `server.validation.RequestSchema`.
NO_NUL = "^[^\\u0000]*$"


def no_nul_characters(_converter, field, **kwargs) -> dict:
    """Every plain text field a client sends, unless it has a pattern of its own, refuses NUL characters."""
    if type(field) is fields.String and "pattern" not in kwargs.get("ret", {}) and \
            not isinstance(field.parent, reply_schemas()):
        return {"pattern": NO_NUL}
    return {}


def fast_paths_as_documented(converter, field, **_kwargs) -> dict:
    """A `FastPathField` is documented as the marshmallow field it stands for (and falls back to)."""
    return converter.field2property(field.full) if isinstance(field, FastPathField) else {}


def build_spec() -> dict:
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(title="Wijkstem device API", version="1", openapi_version="3.0.3",
                   plugins=[marshmallow_plugin],
                   info={"description": "See docs/sync-protocol.md for the rules behind every call. Errors are "
                                        "`{\"error\": {\"code\", \"message\", \"field\", \"details\"}}`; "
                                        "messages follow Accept-Language (Dutch by default)."})
    marshmallow_plugin.converter.add_attribute_function(no_nul_characters)
    marshmallow_plugin.converter.add_attribute_function(fast_paths_as_documented)
    spec.components.security_scheme("device", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("uploadKey", {"type": "apiKey", "in": "header", "name": "Upload-Key"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in paths().items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"device": []}]
    return document
