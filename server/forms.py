"""HTML forms: posted fields to nested data for marshmallow, and its errors back to per-field messages.

Field names are dotted paths (``choices.0.label.nl``); the same paths name the errors, so a template shows
each message next to the input it belongs to.
"""

import re

from flask import request
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from . import fields, validate
from .errors import N_, N_plural, ValidationCode, flatten_errors
from .validation import Schema

#: Friendlier messages for form fields than marshmallow's defaults (the codes stay `required` and `null`).
REQUIRED = {"required": N_("Please fill this in."), "null": N_("Please fill this in.")}
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def form_data(list_fields: tuple[str, ...] = (), form: MultiDict | None = None) -> dict:
    """The posted form as nested dicts and lists; empty fields are left out, text is stripped.

    Names listed in `list_fields` keep every value (checkbox groups, multiple selects).
    """
    form = request.form if form is None else form
    data: dict = {}
    for name in form:
        if name == "csrf_token":
            continue
        values = [value.strip() for value in form.getlist(name)]
        if name in list_fields:
            put(data, name, [value for value in values if value])
        elif values and values[0]:
            put(data, name, values[0])
    return data


def put(data: dict, name: str, value) -> None:
    """Store `value` at the dotted `name`; names that clash with another field's path are ignored."""
    segments = name.split(".")
    if not all(_SEGMENT.match(segment) for segment in segments):
        return
    node = data
    for segment in segments[:-1]:
        child = node.setdefault(segment, {})
        if not isinstance(child, dict):
            return
        node = child
    if not isinstance(node.get(segments[-1], None), dict):
        node[segments[-1]] = value


class Rows(fields.Field):
    """Numbered rows of a form (``choices.0.key``, ``choices.1.key`` ...), each loaded with `schema`.

    Loads to a list of ``(row number, data)`` in row order; errors keep the row numbers of the form, so they
    find their inputs again.
    """

    def __init__(self, schema: Schema, max_rows: int = 50, **kwargs):
        super().__init__(**kwargs)
        self.schema, self.max_rows = schema, max_rows

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict) or not all(str(key).isdigit() for key in value):
            raise ValidationError(ValidationCode("invalid_type", N_("Invalid input type.")))
        if len(value) > self.max_rows:
            raise ValidationError(ValidationCode("too_many_rows", N_plural("At most {max} row.", "At most {max} rows."),
                                                 n=self.max_rows, max=self.max_rows))
        rows, errors = [], {}
        for key in sorted(value, key=int):
            try:
                rows.append((int(key), self.schema.load(value[key] if isinstance(value[key], dict) else {})))
            except ValidationError as err:
                errors[str(key)] = err.messages
        if errors:
            raise ValidationError(errors)
        return rows


def error_paths(messages) -> dict[str, list[str]]:
    """marshmallow's nested errors as ``{"dotted.path": ["translated message", ...]}``."""
    errors: dict[str, list[str]] = {}
    for detail in flatten_errors(messages):
        path = clean_path(detail["field"] or "")
        errors.setdefault(path, []).append(detail["message"])
    return errors


def clean_path(path: str) -> str:
    """Drop the ``value`` level marshmallow adds under each key of a dict field."""
    segments = [s for s in path.split(".") if s]
    if len(segments) > 1 and segments[-1] == "value":
        segments.pop()
    return ".".join(segments)


def load_form(schema: Schema, data: dict,
              lists: tuple[str, ...] = ()) -> tuple[dict | None, dict[str, list[str]]]:
    """``(values, {})`` when `data` is valid for `schema`, else ``(None, errors by path)``.

    Errors about one item of a checkbox group named in `lists` (``languages.1``) are shown at the group.
    """
    unstorable = paths_with_nul(data)
    if unstorable:
        message = _(N_("This text contains a character that cannot be stored."))
        return None, {path: [message] for path in unstorable}
    try:
        return schema.load(data), {}
    except ValidationError as err:
        errors: dict[str, list[str]] = {}
        for path, messages in error_paths(err.messages).items():
            group = path.split(".", 1)[0]
            errors.setdefault(group if group in lists else path, []).extend(messages)
        return None, errors


def paths_with_nul(value, path: str = "") -> list[str]:
    """Dotted paths of the texts holding a NUL character, which PostgreSQL cannot store."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in paths_with_nul(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list | tuple):
        return [found for item in value for found in paths_with_nul(item, path)]
    return []


def form_error(field: str, message: str) -> dict[str, list[str]]:
    """One error for one field, shaped like `load_form`'s errors."""
    return {field: [message]}


class TextLength(validate.Validator):
    """A length check whose message is translated in the reader's language, not formatted in English."""

    def __init__(self, min: int = 0, max: int | None = None):
        self.min, self.max = min, max

    def __call__(self, value: str) -> str:
        if len(value) < self.min:
            raise ValidationError(ValidationCode("too_short", N_plural("Use at least {min} character.",
                                                                        "Use at least {min} characters."),
                                                 n=self.min, min=self.min))
        if self.max is not None and len(value) > self.max:
            raise ValidationError(ValidationCode("too_long", N_plural("Use at most {max} character.",
                                                                       "Use at most {max} characters."),
                                                 n=self.max, max=self.max))
        return value


def field_value(values, name: str, default=""):
    """The value at dotted `name` in `values` (flat with dotted keys, or nested dicts and lists)."""
    if isinstance(values, dict) and name in values:
        return default if values[name] is None else values[name]
    node = values
    for segment in name.split("."):
        if isinstance(node, dict):
            node = node.get(segment, node.get(int(segment)) if segment.isdigit() else None)
        elif isinstance(node, list | tuple) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return default
    return default if node is None else node
