"""API errors: a stable code, a message in the request's language, and the field at fault."""

import re
from typing import NamedTuple

from flask import Flask, jsonify
from flask_babel import gettext, ngettext
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException


def N_(message: str) -> str:  # the gettext convention for "mark, translate later"
    """Mark a message for extraction; it is translated where it is shown."""
    return message


class PluralMessage(NamedTuple):
    """A message whose wording follows a number: its English singular and plural msgids."""

    singular: str
    plural: str


def N_plural(singular: str, plural: str) -> PluralMessage:
    """Mark a message with plural forms for extraction; `translate` picks the language's form where it is shown."""
    return PluralMessage(singular, plural)


def translate(message: str | PluralMessage, n: int | None = None, **params) -> str:
    """A message (or plural message, for the number `n`) in the request's language, placeholders filled."""
    if isinstance(message, PluralMessage):
        return ngettext(message.singular, message.plural, n if n is not None else 2).format(**params)
    return gettext(message).format(**params)


class ApiError(Exception):
    """An error the API answers with; `message` is an English msgid, translated when sent.

    Keyword arguments (`extra`) go into the error object and fill the message's ``{name}`` placeholders. A
    `PluralMessage` (`N_plural`) takes the form for the number `n`.
    """

    def __init__(self, status: int, code: str, message: str | PluralMessage, field: str | None = None,
                 details: list | None = None, headers: dict | None = None, n: int | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.n = status, code, message, field, n
        self.details, self.headers, self.extra = details or [], headers or {}, extra

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": translate(self.message, self.n, **self.extra), **self.extra}
        if self.field:
            error["field"] = self.field
        if self.details:
            error["details"] = self.details
        return {"error": error}


#: marshmallow's messages (as templates, marked for extraction), and the stable code for each.
MARSHMALLOW_MESSAGES = [
    (N_("Missing data for required field."), "required"),
    (N_("Field may not be null."), "null"),
    (N_("Unknown field."), "unknown_field"),
    (N_("Invalid input type."), "invalid_type"),
    (N_("Invalid value."), "invalid"),
    (N_("Not a valid string."), "invalid_string"),
    (N_("Not a valid integer."), "invalid_integer"),
    (N_("Not a valid number."), "invalid_number"),
    (N_("Not a valid boolean."), "invalid_boolean"),
    (N_("Not a valid UUID."), "invalid_uuid"),
    (N_("Not a valid datetime."), "invalid_datetime"),
    (N_("Not a valid list."), "invalid_list"),
    (N_("Not a valid mapping type."), "invalid_object"),
    (N_("Invalid type."), "invalid_type"),
    (N_("Number too large."), "too_large"),
    (N_("Not a valid aware datetime."), "naive_datetime"),
    (N_("Must be one of: {choices}."), "not_one_of"),
    (N_("Length must be between {min} and {max}."), "length"),
    (N_("Shorter than minimum length {min}."), "too_short"),
    (N_("Longer than maximum length {max}."), "too_long"),
    (N_("Length must be {equal}."), "length"),
    (N_("Must be greater than or equal to {min} and less than or equal to {max}."), "out_of_range"),
    (N_("Must be greater than or equal to {min}."), "too_small"),
    (N_("Must be less than or equal to {max}."), "too_large"),
    (N_("String does not match expected pattern."), "invalid_format"),
    (N_("Not a valid email address."), "invalid_email"),
    (N_("Not a valid URL."), "invalid_url"),
]


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{\w+\})", template)
    pattern = "".join(f"(?P<{p[1:-1]}>.+?)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}$")


_MATCHERS = [(_template_regex(t), t, code) for t, code in MARSHMALLOW_MESSAGES]


def describe_message(message: str) -> tuple[str, str]:
    """(code, translated message) for one marshmallow or Wijkstem message."""
    if isinstance(message, ValidationCode):
        return message.code, translate(message.msgid, message.n, **message.params)
    for regex, template, code in _MATCHERS:
        match = regex.match(str(message))
        if match:
            return code, gettext(template).format(**match.groupdict())
    return "invalid", gettext(str(message))


class ValidationCode(str):
    """A validation message that carries its own code and msgid, raised by Wijkstem's validators."""

    def __new__(cls, code: str, msgid: str | PluralMessage, n: int | None = None, **params):
        english = msgid if isinstance(msgid, str) else msgid.singular if n == 1 else msgid.plural
        self = super().__new__(cls, english.format(**params))
        self.code, self.msgid, self.n, self.params = code, msgid, n, params
        return self


def flatten_errors(messages, path: str = "") -> list[dict]:
    """Turn marshmallow's nested error dict into a flat list of {field, code, message}."""
    if isinstance(messages, dict):
        flat = []
        for key, value in messages.items():
            field = str(key) if key != "_schema" else ""
            flat += flatten_errors(value, f"{path}.{field}".strip(".") if field else path)
        return flat
    if isinstance(messages, list | tuple):
        flat = []
        for message in messages:
            if isinstance(message, dict | list):
                flat += flatten_errors(message, path)
            else:
                code, text = describe_message(message)
                flat.append({"field": path or None, "code": code, "message": text})
        return flat
    code, text = describe_message(messages)
    return [{"field": path or None, "code": code, "message": text}]


def validation_error(err: ValidationError, prefix: str = "") -> ApiError:
    """A 422 ApiError whose details name every field at fault."""
    details = flatten_errors(err.messages, prefix)
    first = details[0] if details else {"field": None}
    return ApiError(422, "invalid_input", N_("Some of the data sent is not valid."), field=first["field"],
                    details=details)


HTTP_CODES = {
    400: ("bad_request", N_("The request could not be understood.")),
    401: ("unauthorized", N_("Sign-in is required.")),
    403: ("forbidden", N_("You may not do this.")),
    404: ("not_found", N_("This was not found.")),
    405: ("method_not_allowed", N_("This method is not allowed here.")),
    406: ("not_acceptable", N_("This format cannot be sent.")),
    409: ("conflict", N_("This conflicts with what is stored.")),
    410: ("gone", N_("This is no longer available.")),
    411: ("length_required", N_("The request must say its length.")),
    412: ("precondition_failed", N_("A precondition failed.")),
    413: ("payload_too_large", N_("The request is too large.")),
    414: ("uri_too_long", N_("The address is too long.")),
    415: ("unsupported_media_type", N_("This content type is not accepted.")),
    416: ("range_not_satisfiable", N_("The requested range is not available.")),
    422: ("invalid_input", N_("Some of the data sent is not valid.")),
    429: ("rate_limited", N_("Too many requests; please wait a moment and try again.")),
    431: ("headers_too_large", N_("The request headers are too large.")),
}


def error_response(err: ApiError):
    """The JSON error; whatever the request changed but did not commit is rolled back first."""
    from .extensions import db

    db.session.rollback()
    response = jsonify(err.to_dict())
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def register_error_handlers(app: Flask) -> None:
    """JSON errors for the API, for HTTP errors and for anything unexpected."""

    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        return error_response(err)

    @app.errorhandler(ValidationError)
    def handle_validation_error(err: ValidationError):
        return error_response(validation_error(err))

    @app.errorhandler(HTTPException)
    def handle_http_error(err: HTTPException):
        code, message = HTTP_CODES.get(err.code or 500, ("error", N_("Something went wrong.")))
        headers = dict(err.get_response().headers) if err.code in (405, 429) else {}
        headers.pop("Content-Type", None)
        headers.pop("Content-Length", None)
        return error_response(ApiError(err.code or 500, code, message, headers=headers))

    @app.errorhandler(OperationalError)
    def handle_database_busy(err: OperationalError):
        app.logger.warning("database unavailable: %s", err.orig)
        return error_response(ApiError(503, "service_busy", N_("The server is busy; please try again shortly."),
                                       headers={"Retry-After": "5"}))

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("unexpected error")
        return error_response(ApiError(500, "internal_error", N_("Something went wrong on our side.")))


