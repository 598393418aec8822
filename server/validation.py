"""Wijkstem's schemas: the codes of a schema's own errors, and what every schema that loads client input checks
first (text the databases can store)."""

import marshmallow
from marshmallow import ValidationError, pre_load

from .errors import N_, ValidationCode


class Schema(marshmallow.Schema):
    """Base of every Wijkstem schema: its own errors carry their codes, like those of `server.fields`."""

    error_messages = {
        "type": ValidationCode("invalid_type", N_("Invalid input type.")),
        "unknown": ValidationCode("unknown_field", N_("Unknown field.")),
    }


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
