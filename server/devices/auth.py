"""The device bearer token: read from the `Authorization` header only, never from a URL."""

from functools import wraps

from flask import g, request

from ..errors import N_, ApiError
from ..util import utcnow
from .operations import DeviceRef, device_for_token, device_ref_for_token


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_device():
    """The device behind the request's token, marked as seen now; ``None`` when there is no token.

    :raise ApiError 401: a token is present but unknown or revoked.
    """
    device = device_behind_token(device_for_token)
    if device is not None:
        device.last_seen_at = utcnow()
    return device


def optional_device_ref() -> DeviceRef | None:
    """`optional_device` for the sync: what it needs of the device, found without loading or touching it
    (storing the batch marks the device seen, with its status).

    :raise ApiError 401: a token is present but unknown or revoked.
    """
    return device_behind_token(device_ref_for_token)


def device_behind_token(lookup):
    """`lookup(token)` for the request's bearer token; ``None`` without a token.

    :raise ApiError 401: another kind of Authorization, or a token `lookup` does not find.
    """
    token = bearer_token()
    if token is None:
        if request.headers.get("Authorization"):
            raise not_enrolled()
        return None
    device = lookup(token)
    if device is None:
        raise not_enrolled()
    return device


def not_enrolled() -> ApiError:
    return ApiError(401, "invalid_token", N_("This device is not (or no longer) enrolled."),
                    headers={"WWW-Authenticate": "Bearer"})


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
