"""Rate limits for the endpoints that anyone may call without an account."""

from functools import wraps

from flask import current_app, request

from .extensions import limiter


def has_bearer_token() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def anonymous_limit() -> str:
    return current_app.config["RATELIMIT_ANONYMOUS"]


def erasure_limit() -> str:
    return current_app.config["RATELIMIT_ERASURE"]


#: Apply to both ways of erasing by receipt code (the `/erase` form and `POST /api/v1/erasure`): one bucket of
#: `RATELIMIT_ERASURE` tries per address for the two together, so that neither is a faster way to guess codes.
erasure_rate_limit = limiter.shared_limit(erasure_limit, scope="erasure", methods=["POST"])


#: Apply to public endpoints that no token changes: every caller counts against the anonymous limit, whatever
#: Authorization header it sends.
public_rate_limit = limiter.limit(anonymous_limit)


def anonymous_rate_limit(view):
    """Apply to device endpoints that flyer visitors reach without a token. A request with a bearer token skips
    the limiter's bookkeeping altogether (a tenth of a millisecond per sync); the view itself must refuse an
    unknown token (401) before it does any real work."""
    limited = public_rate_limit(view)

    @wraps(view)
    def exempt_or_limited(*args, **kwargs):
        return view(*args, **kwargs) if has_bearer_token() else limited(*args, **kwargs)

    return exempt_or_limited
