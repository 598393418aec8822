"""Wijkstem's schemas and loading client input: the codes of a schema's own errors, the JSON body of an API
request, and what every schema that loads client input checks first (text the databases can store)."""

import json
import math
import re

import marshmallow
import orjson
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
    data = parse_json(request.get_data(cache=True))
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", N_("The request body is not a JSON object."))
    try:
        return schema.load(data)
    except ValidationError as err:
        raise validation_error(err)


def parse_json(body: bytes):
    """The body's JSON value, or ``None`` when it is no JSON.

    orjson refuses a whole body for one lone surrogate escape (``"\\ud83c"``, half an emoji, which some
    keyboards and clients produce); then `json` reads it, and `RequestSchema` refuses the strings that hold one,
    so that in a sync batch only that item is invalid (issue 11). NaN, Infinity and numbers too large for a
    float stay refused, as orjson refuses them.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body, parse_constant=refuse_constant, parse_float=finite_float)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


def refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def finite_float(text: str) -> float:
    """A JSON number as orjson reads it: one too large for a float is refused, not infinity."""
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"{text} is too large")
    return number


#: Characters no text may hold: NUL (PostgreSQL cannot store it) and lone surrogates (no encoding can).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RequestSchema(Schema):
    """Base of request schemas: refuses characters that cannot be stored anywhere in the input (`UNSTORABLE`)."""

    @pre_load
    def refuse_nul_characters(self, data, **_kwargs):
        path = nul_path(data)
        if path is not None:
            raise ValidationError(ValidationCode("invalid_characters",
                                                 N_("This text contains a character that cannot be stored.")),
                                  field_name=path or "_schema")
        return data


def nul_path(value) -> str | None:
    """The dotted path of the first string or key holding a NUL character or a lone surrogate (`UNSTORABLE`;
    ``""`` for the top), or ``None``."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return path
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in pairs:
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and UNSTORABLE.search(key):
                return where
            stack.append((where, child))
    return None
