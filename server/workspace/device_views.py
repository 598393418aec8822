"""The team's phones: enrol one with a one-time QR code, see what each still has to send, revoke one."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import format_datetime, gettext
from sqlalchemy import select

from ..accounts.auth import current_user, login_required, require_team
from ..devices.models import Device
from ..devices.operations import make_enrolment_code, revoke_device, team_sources
from ..errors import N_
from ..extensions import db
from ..forms import form_data, load_form
from ..pages import render_page
from ..privacy.operations import record_team_event
from ..qr import public_url, qr_svg
from ..util import utcnow
from .schemas import enrol_form_schema

devices_blueprint = Blueprint("devices", __name__, url_prefix="/devices")


def chosen_team():
    """The team asked for in ``?team=`` (one of the user's), else the user's first team."""
    user = current_user()
    asked = request.args.get("team", "")
    if asked.isdigit():
        return require_team(int(asked))
    if not user.teams:
        abort(404)
    return user.teams[0]


def team_devices(team) -> list[Device]:
    """Active phones first, most recently synced first."""
    devices = db.session.scalars(select(Device).where(Device.team_id == team.id)).all()
    return sorted(devices, key=lambda d: (d.revoked_at is not None,
                                          -(d.last_sync_at or d.created_at).timestamp()))


def devices_page(team, status: int = 200, values: dict | None = None, errors: dict | None = None):
    return render_page("workspace/devices.html", status=status, team=team, devices=team_devices(team),
                       teams=current_user().teams, values=values or {"team": team.id}, errors=errors or {},
                       can_write=current_user().can_write, sources=team_sources(team))


@devices_blueprint.get("/")
@login_required
def devices():
    return devices_page(chosen_team())


@devices_blueprint.post("/enrol")
@login_required
def enrol():
    """Show a one-time enrolment QR code; the code is in this page only (never in a URL the server sees)."""
    data = form_data()
    values, errors = load_form(enrol_form_schema, data)
    if errors:
        return devices_page(chosen_team(), 422, data, errors)
    team = require_team(values["team"], write=True)
    source = next((s for s in team_sources(team) if s.id == values["source"]), None)
    if values["source"] is not None and source is None:  # another team's, a flyer, revoked or closed
        return devices_page(team, 422, data, {"source": [gettext(N_("Choose one of this team's door-to-door "
                                                                     "sources."))]})
    code = make_enrolment_code(team, values["label"], source)
    record_team_event("enrol_code_made", team.id, "team", team.id, current_user(), label=values["label"],
                      source=source.code if source else None)
    db.session.commit()
    url = public_url(f"/app/#enrol={code}")
    expires = format_datetime(utcnow().replace(microsecond=0) + enrol_lifetime(), "short")
    return render_page("workspace/enrol.html", team=team, label=values["label"], code=code, url=url,
                       qr=qr_svg(url, "QR"), expires=expires, spaced_code=f"{code[:5]} {code[5:]}", source=source)


def enrol_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["ENROL_CODE_MINUTES"])


@devices_blueprint.post("/<uuid:device_id>/revoke")
@login_required
def revoke(device_id):
    """Refuse the phone's token from now on (a lost phone, or one handed back)."""
    device = db.session.get(Device, device_id)
    if device is None:
        abort(404)
    require_team(device.team_id, write=True)
    revoke_device(device)
    record_team_event("device_revoked", device.team_id, "device", device.id, current_user(), label=device.label)
    db.session.commit()
    return redirect(url_for(".devices", team=device.team_id), code=303)
