"""The `/api` blueprint: the device API's version 1 and its OpenAPI document."""

from flask import Blueprint, jsonify

from .campaigns.views import campaigns_blueprint
from .devices.views import devices_blueprint
from .openapi import build_spec
from .responses.views import responses_blueprint
from .voice.views import voice_blueprint
from .voicepacks.views import clips_blueprint

api_blueprint = Blueprint("api", __name__, url_prefix="/api")
for part in (devices_blueprint, campaigns_blueprint, responses_blueprint, voice_blueprint, clips_blueprint):
    api_blueprint.register_blueprint(part)


@api_blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(build_spec())
