"""Wijkstem's schemas and loading client input: the codes of a schema's own errors, the JSON body of an API
request, and what every schema that loads client input checks first (text the databases can store)."""

import marshmallow
from flask import request
from marshmallow import ValidationError, pre_load

from .errors import N_, ApiError, ValidationCode, validation_error


class Schema(marshmallow.Schema):
    """Base of every Wijkstem schema: its own errors carry their codes, like those of `server.fields`."""

    error_messages = {
        "type": ValidationCode("invalid_type", N_("Invalid input type.")),
        "unknown": ValidationCode("unknown_field", N_("Unknown field.")),
    }


def load_json(schema: Schema) -> dict:
    """Parse the JSON body with `schema`.

    :raise ApiError 415/400/422: not JSON, malformed JSON, or invalid fields.
    """
    if not request.is_json:
        raise ApiError(415, "json_required", N_("Send this request as JSON."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", N_("The request body is not a JSON object."))
    try:
        return schema.load(data)
    except ValidationError as err:
        raise validation_error(err)


class RequestSchema(Schema):
    """Base of request schemas: refuses NUL characters anywhere in the input (PostgreSQL cannot store them)."""

    @pre_load
    def refuse_nul_characters(self, data, **_kwargs):
        path = nul_path(data)
        if path is not None:
            raise ValidationError(ValidationCode("invalid_characters",
                                                 N_("This text contains a character that cannot be stored.")),
                                  field_name=path or "_schema")
        return data


def nul_path(value) -> str | None:
    """The dotted path of the first string or key holding a NUL character (``""`` for the top), or ``None``."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in pairs:
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return where
            stack.append((where, child))
    return None
