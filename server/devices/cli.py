"""`wijkstem enrol-code` and `wijkstem revoke-device`: phones, from the server itself."""

import uuid

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..privacy.operations import record_team_event
from ..qr import print_qr, public_url
from ..teams.cli import find_team
from .models import Device
from .operations import make_enrolment_code, revoke_device, team_sources


@click.command("enrol-code")
@click.option("--team", "team_slug", required=True, help="slug of the team the device joins")
@click.option("--label", default="", help="name for the device, e.g. 'Telefoon Fatima'")
@click.option("--source", "source_code", default=None,
              help="code of one of the team's door-to-door sources: the phone's default source")
@click.option("--base-url", "root", default=None, help="public address of this server")
@with_appcontext
def enrol_code(team_slug, label, source_code, root):
    """Print a one-time enrolment code and its QR code (valid for 15 minutes)."""
    team = find_team(team_slug)
    source = None
    if source_code:
        source = next((s for s in team_sources(team) if s.code == source_code.strip().upper()), None)
        if source is None:
            raise click.ClickException("no such door-to-door source in this team's open campaigns")
    code = make_enrolment_code(team, label, source)
    record_team_event("enrol_code_made", team.id, "team", team.id, label=label, command="enrol-code",
                      source=source_code)
    db.session.commit()
    url = public_url(f"/app/#enrol={code}", base=root)
    click.echo(f"code: {code}\nurl:  {url}")
    print_qr(url)


@click.command("revoke-device")
@click.argument("device_id")
@with_appcontext
def revoke_device_command(device_id):
    """Refuse a device's token from now on."""
    device = db.session.get(Device, uuid.UUID(device_id))
    if device is None:
        raise click.ClickException("no such device")
    revoke_device(device)
    record_team_event("device_revoked", device.team_id, "device", device.id, command="revoke-device")
    db.session.commit()
    click.echo(f"device {device_id} revoked")
