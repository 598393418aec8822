"""What every workspace page shares: rendering, safe redirects and errors shown as HTML."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from .errors import HTTP_CODES, N_, ApiError, error_response

log = logging.getLogger(__name__)

PAGE_MESSAGES = {
    401: N_("Please sign in first."),
    403: N_("Your role does not allow this. Ask a coordinator or an administrator."),
    404: N_("This page does not exist, or it belongs to another team."),
    413: N_("The file is too large. Go back and choose a smaller file or make a shorter recording."),
    429: N_("Too many attempts. Wait a minute and try again."),
}


def render_page(template: str, status: int = 200, **context) -> Response:
    """A workspace page that no shared cache keeps."""
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site (no scheme, no host, no ``//``), else `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


def wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def error_page(status: int, message: str) -> Response:
    if wants_json():
        code = HTTP_CODES.get(status, ("error", message))[0]
        return error_response(ApiError(status, code, message))
    return render_page("workspace/error.html", status=status, status_code=status, message=_(message))


def install_page_handlers(blueprint: Blueprint) -> None:
    """Errors as pages (or JSON for ``.json`` routes). CSRF is checked for the whole app (`server/csrf.py`)."""

    @blueprint.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        message = PAGE_MESSAGES.get(status) or HTTP_CODES.get(status, ("", N_("Something went wrong.")))[1]
        response = error_page(status, message)
        if status in (405, 429):
            response.headers.update({k: v for k, v in err.get_response().headers.items()
                                     if k in ("Allow", "Retry-After")})
        return response

    @blueprint.errorhandler(ApiError)
    def api_error(err: ApiError):
        return error_page(err.status, err.message)

    @blueprint.errorhandler(Exception)
    def unexpected_error(err: Exception):
        log.exception("unexpected error on a workspace page")
        return error_page(500, N_("Something went wrong on our side."))
