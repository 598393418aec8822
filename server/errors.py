"""API errors: a stable code, a message in the request's language, and the field at fault."""

from typing import NamedTuple

from flask import Flask, jsonify
from flask_babel import gettext, ngettext
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db


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


class ValidationCode(str):
    """A validation message that carries its stable code and its msgid, declared where the check is declared:
    Wijkstem's fields and validators (`server.fields`, `server.validate`), and every check of its own.

    It reads as the English message. marshmallow fills in a message's placeholders with ``str.format``
    (``{min}``, ``{choices}``, the ``{input}``); here that gives another `ValidationCode` with the same code,
    whose msgid is translated when the error is sent.
    """

    def __new__(cls, code: str, msgid: str | PluralMessage, n: int | None = None, **params):
        english = msgid if isinstance(msgid, str) else msgid.singular if n == 1 else msgid.plural
        self = super().__new__(cls, english.format_map(_Placeholders(params)))
        self.code, self.msgid, self.n, self.params = code, msgid, n, params
        return self

    def format(self, *_args, **params) -> "ValidationCode":
        return ValidationCode(self.code, self.msgid, self.n, **{**self.params, **params})

    def __reduce__(self):
        return _validation_code, (self.code, self.msgid, self.n, self.params)

    def __deepcopy__(self, _memo) -> "ValidationCode":
        return self  # as immutable as the str it is; marshmallow copies every field's messages per schema


def _validation_code(code: str, msgid: str | PluralMessage, n: int | None, params: dict) -> ValidationCode:
    return ValidationCode(code, msgid, n, **params)


class _Placeholders(dict):
    """Leaves a placeholder not (yet) given as it is: ``{max}`` until marshmallow fills it in."""

    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def with_code(message, code: str):
    """`message` (``None``, a `ValidationCode` or a plain msgid given at a call site) with `code` unless it
    declares its own."""
    if message is None or isinstance(message, ValidationCode):
        return message
    return ValidationCode(code, message)


#: The code of a message that declares none (a check outside Wijkstem's fields and validators).
UNDECLARED = "invalid"


def describe_message(message) -> tuple[str, str]:
    """(code, translated message) for one validation message."""
    if isinstance(message, ValidationCode):
        return message.code, translate(message.msgid, message.n, **message.params)
    return UNDECLARED, gettext(str(message))


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


