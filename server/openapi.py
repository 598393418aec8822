"""The OpenAPI 3 document of the device API, built from the same marshmallow schemas that validate."""

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .devices.schemas import DeviceSchema, EnrolReplySchema, EnrolRequestSchema
from .responses.schemas import ErasureSchema, ResponseSchema, SyncBatchSchema, SyncReplySchema
from .voice.schemas import VoiceNoteDeclarationSchema, VoiceNoteStateSchema


class ErrorDetailSchema(Schema):
    field = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    field = fields.String()
    details = fields.List(fields.Nested(ErrorDetailSchema))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def json_body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def reply(description: str, schema: str | None = None) -> dict:
    answer = {"description": description}
    if schema:
        answer["content"] = {"application/json": {"schema": schema}}
    return answer


ERRORS = {code: reply("error", "Error") for code in ("400", "401", "404", "409", "410", "413", "415", "422", "429")}
NOTE_ID = [{"name": "note_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}]
UPLOAD_HEADERS = [{"name": "Upload-Key", "in": "header", "required": False, "schema": {"type": "string"}}]


def paths() -> dict:
    """Every operation of `/api/v1`, with bodies and replies by schema name."""
    return {
        "/api/v1/devices/enrol": {"post": {
            "summary": "Trade a one-time enrolment code for a device token", "security": [],
            "requestBody": json_body("EnrolRequest"),
            "responses": {"201": reply("enrolled", "EnrolReply"), **ERRORS}}},
        "/api/v1/devices/me": {"get": {
            "summary": "The enrolled device", "responses": {"200": reply("the device", "Device"), **ERRORS}}},
        "/api/v1/campaigns": {"get": {
            "summary": "Published campaigns of the device's team (ETag, 304)",
            "responses": {"200": reply("campaigns", {"type": "object"}), "304": reply("unchanged"), **ERRORS}}},
        "/api/v1/campaigns/{campaign_id}": {"get": {
            "summary": "One published campaign",
            "parameters": [{"name": "campaign_id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": {"200": reply("campaign", {"type": "object"}), "304": reply("unchanged"), **ERRORS}}},
        "/api/v1/sources/{code}": {"get": {
            "summary": "A flyer's source and its campaign (public)", "security": [],
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": reply("source", {"type": "object"}), "304": reply("unchanged"), **ERRORS}}},
        "/api/v1/sync": {"post": {
            "summary": "Send a batch of responses; answered per item", "security": [{"device": []}, {}],
            "requestBody": json_body("SyncBatch"),
            "responses": {"200": reply("per-item results", "SyncReply"), **ERRORS}}},
        "/api/v1/erasure": {"post": {
            "summary": "Erase a resident's answers by receipt code", "security": [],
            "requestBody": json_body("Erasure"),
            "responses": {"200": reply("erased", {"type": "object"}), **ERRORS}}},
        "/api/v1/voice-notes": {"post": {
            "summary": "Declare a voice note before uploading it", "security": [{"device": []}, {}],
            "parameters": UPLOAD_HEADERS, "requestBody": json_body("VoiceNoteDeclaration"),
            "responses": {"200": reply("already declared", "VoiceNoteState"),
                          "201": reply("declared", "VoiceNoteState"), **ERRORS}}},
        "/api/v1/voice-notes/{note_id}": {
            "get": {"summary": "Upload state of a voice note", "security": [{"device": []}, {}],
                    "parameters": NOTE_ID + UPLOAD_HEADERS,
                    "responses": {"200": reply("state", "VoiceNoteState"), **ERRORS}},
            "head": {"summary": "The server's offset, in Upload-Offset", "security": [{"device": []}, {}],
                     "parameters": NOTE_ID + UPLOAD_HEADERS, "responses": {"200": reply("offset"), **ERRORS}},
            "patch": {"summary": "Append bytes at Upload-Offset", "security": [{"device": []}, {}],
                      "parameters": NOTE_ID + UPLOAD_HEADERS + [
                          {"name": "Upload-Offset", "in": "header", "required": True,
                           "schema": {"type": "integer", "minimum": 0}}],
                      "requestBody": {"required": True, "content": {"application/offset+octet-stream": {
                          "schema": {"type": "string", "format": "binary"}}}},
                      "responses": {"200": reply("stored", "VoiceNoteState"), **ERRORS}}},
    }


SCHEMAS = {"EnrolRequest": EnrolRequestSchema, "EnrolReply": EnrolReplySchema, "Device": DeviceSchema,
           "Response": ResponseSchema, "SyncBatch": SyncBatchSchema, "SyncReply": SyncReplySchema,
           "Erasure": ErasureSchema, "VoiceNoteDeclaration": VoiceNoteDeclarationSchema,
           "VoiceNoteState": VoiceNoteStateSchema, "Error": ErrorSchema}


def build_spec() -> dict:
    spec = APISpec(title="Wijkstem device API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "See docs/sync-protocol.md for the rules behind every call."})
    spec.components.security_scheme("device", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for path, operations in paths().items():
        spec.path(path=path, operations={
            method: {**op, "responses": {k: _ref(v) for k, v in op["responses"].items()},
                     **({"requestBody": _ref_body(op["requestBody"])} if "requestBody" in op else {})}
            for method, op in operations.items()})
    document = spec.to_dict()
    document["security"] = [{"device": []}]
    return document


def _ref(answer: dict) -> dict:
    content = answer.get("content", {}).get("application/json")
    if content and isinstance(content["schema"], str):
        return {**answer, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/"
                                                                              f"{content['schema']}"}}}}
    return answer


def _ref_body(body: dict) -> dict:
    content = body["content"].get("application/json")
    if content and isinstance(content["schema"], str):
        return {**body, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{content['schema']}"}}}}
    return body
