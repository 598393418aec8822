"""CSRF protection: one gate for every state-changing request outside the device API.

The token is kept in the signed session cookie; forms carry it as a hidden field, scripts as a header. The
device API (`/api/`) is exempt: it takes no cookies, only bearer tokens and flyer codes.
"""

import hmac
import secrets

from flask import Response, request, session
from markupsafe import Markup

from .errors import N_
from .pages import error_page

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT_PREFIX = "/api/"
CSRF_MESSAGE = N_("This form has expired or was sent from another site. Go back, reload the page and try "
                  "again.")


def csrf_token() -> str:
    """This browser's CSRF token, made on first use and kept in the signed session cookie."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_field() -> Markup:
    """The hidden input every workspace form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token())


def csrf_is_valid() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    return isinstance(expected, str) and bool(sent) and hmac.compare_digest(expected.encode(), sent.encode())


def needs_csrf_token() -> bool:
    """A state-changing request to a route of this site outside the device API.

    A request that matched no route (404, 405) is left to the router, so its answer stays what it was.
    """
    return (request.method in UNSAFE_METHODS and request.routing_exception is None
            and not request.path.startswith(EXEMPT_PREFIX))


def protect_from_csrf() -> Response | None:
    """Refuse (400, as a page or as JSON) a state-changing request without this browser's CSRF token; installed
    once for the whole app with `before_request`."""
    if needs_csrf_token() and not csrf_is_valid():
        return error_page(400, CSRF_MESSAGE)
    return None
