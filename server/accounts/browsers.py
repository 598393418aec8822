"""Browsers that signed in to an account before: they keep their own sign-in limits (docs/workspace.md).

Counting wrong passwords per account stops a password being guessed from many addresses, but anyone who knows
an email address could then lock its owner out by failing on purpose. So a successful sign-in leaves a signed,
HttpOnly cookie that names the account (a keyed digest of its email address, never the address itself); a
browser that holds it for the account it signs in to is exempt from the per-account and per-address limits
and counts only against a limit of its own (this account from this address). A stranger cannot make the
cookie, and failing from elsewhere never touches it: the owner signs in from their usual browser whatever a
third party does.
"""

import hashlib
import hmac

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from .auth import cookies_are_secure

COOKIE_NAME = "wijkstem_known"
#: Accounts one browser is remembered for (a shared office computer).
MAX_ACCOUNTS = 8


def serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="wijkstem.known-browser")


def account_digest(email: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def known_accounts() -> list[str]:
    """The account digests this browser's cookie vouches for (none if it is missing or forged)."""
    try:
        digests = serializer().loads(request.cookies.get(COOKIE_NAME, ""))
    except BadSignature:
        return []
    return [d for d in digests if isinstance(d, str)] if isinstance(digests, list) else []


def is_known_browser() -> bool:
    """This browser signed in before to the account named in the sign-in form."""
    email = request.form.get("email", "")
    return bool(email) and account_digest(email) in known_accounts()


def remember_browser(response, email: str) -> None:
    """Mark this browser as known to `email`'s account (after a successful sign-in)."""
    digest = account_digest(email)
    digests = [digest] + [d for d in known_accounts() if d != digest]
    response.set_cookie(COOKIE_NAME, serializer().dumps(digests[:MAX_ACCOUNTS]),
                        max_age=current_app.config["KNOWN_BROWSER_DAYS"] * 86400, path="/workspace/sign-in",
                        secure=cookies_are_secure(), httponly=True, samesite="Lax")
