"""Enrolling a device and asking who it is."""

from flask import Blueprint, current_app, g, jsonify

from ..extensions import db, limiter
from ..privacy.operations import record_team_event
from ..validation import load_json
from .auth import device_required
from .operations import enrol_device, record_device_report
from .schemas import device_report_reply_schema, device_report_schema, device_schema, enrol_request_schema

devices_blueprint = Blueprint("devices", __name__, url_prefix="/v1/devices")


@devices_blueprint.post("/enrol")
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROL"])
def enrol():
    """Trade a one-time enrolment code for a device token (sent once, in the body)."""
    data = load_json(enrol_request_schema)
    device, token = enrol_device(data["code"], data["label"])
    record_team_event("device_enrolled", device.team_id, "device", device.id, label=device.label)
    reply = {"device_id": str(device.id), "token": token, "team": device.team.name, "label": device.label}
    db.session.commit()
    response = jsonify(reply)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@devices_blueprint.get("/me")
@device_required
def me():
    reply = device_schema.dump(g.device)
    db.session.commit()
    return jsonify(reply)


@devices_blueprint.put("/me/status")
@device_required
def report_status():
    """What is still waiting on the phone after a sync ("nothing" too): it replaces the report before."""
    data = load_json(device_report_schema)
    record_device_report(g.device, data)
    reply = device_report_reply_schema.dump(g.device)
    db.session.commit()
    return jsonify(reply)
