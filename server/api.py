"""The `/api` blueprint: the device API's version 1 and its OpenAPI document."""

from functools import wraps

from flask import Blueprint, current_app, jsonify, request
from marshmallow import Schema, ValidationError

from .errors import N_, ApiError, validation_error
from .extensions import limiter

api_blueprint = Blueprint("api", __name__, url_prefix="/api")


def load_json(schema: Schema) -> dict:
    """Parse the JSON body with `schema`.

    :raise ApiError 415/400/422: not JSON, malformed JSON, or invalid fields.
    """
    if not request.is_json:
        raise ApiError(415, "json_required", N_("Send this request as JSON."))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", N_("The request body is not a JSON object."))
    try:
        return schema.load(data)
    except ValidationError as err:
        raise validation_error(err)


def has_bearer_token() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def anonymous_limit() -> str:
    return current_app.config["RATELIMIT_ANONYMOUS"]


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


@api_blueprint.get("/openapi.json")
def openapi_document():
    from .openapi import build_spec

    return jsonify(build_spec())


def register_v1() -> None:
    from .campaigns.views import campaigns_blueprint
    from .devices.views import devices_blueprint
    from .responses.views import responses_blueprint
    from .voice.views import voice_blueprint
    from .voicepacks.views import clips_blueprint

    for blueprint in (devices_blueprint, campaigns_blueprint, responses_blueprint, voice_blueprint,
                      clips_blueprint):
        api_blueprint.register_blueprint(blueprint)


register_v1()
