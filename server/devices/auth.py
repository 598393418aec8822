"""The device bearer token: read from the `Authorization` header only, never from a URL."""

from functools import wraps

from flask import g, request

from ..errors import N_, ApiError
from ..util import utcnow
from .operations import device_for_token


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_device(lookup=None):
    """The device behind the request's token, marked as seen now; ``None`` when there is no token.

    `lookup`: finds the active device for a token instead of loading it whole (`device_ref_for_token`:
    the sync's light path, which marks the device seen with its status).

    :raise ApiError 401: a token is present but unknown or revoked.
    """
    token = bearer_token()
    if token is None:
        if request.headers.get("Authorization"):
            raise ApiError(401, "invalid_token", N_("This device is not (or no longer) enrolled."),
                           headers={"WWW-Authenticate": "Bearer"})
        return None
    device = (lookup or device_for_token)(token)
    if device is None:
        raise ApiError(401, "invalid_token", N_("This device is not (or no longer) enrolled."),
                       headers={"WWW-Authenticate": "Bearer"})
    if lookup is None:
        device.last_seen_at = utcnow()
    return device


def device_required(view):
    """Run `view` with `g.device` set, or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.device = optional_device()
        if g.device is None:
            raise ApiError(401, "token_required", N_("This needs an enrolled device."),
                           headers={"WWW-Authenticate": "Bearer"})
        return view(*args, **kwargs)

    return wrapper
