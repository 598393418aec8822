"""The audit log, a campaign's retention setting, residents' erasure page and the `retention` command."""

import logging

import click
from flask import Blueprint, redirect, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..accounts.auth import login_required, require_campaign, require_team
from ..extensions import db
from ..forms import form_data, form_error, load_form
from ..pages import install_page_handlers, render_page
from ..ratelimits import erasure_rate_limit
from ..responses.models import Response
from ..util import normalise_code
from ..voice.models import VoiceNote
from .operations import apply_retention, audit_events, erase_for_resident, set_retention
from .schemas import audit_page_schema, erasure_form_schema, retention_form_schema

log = logging.getLogger(__name__)
privacy_blueprint = Blueprint("privacy", __name__)
install_page_handlers(privacy_blueprint)
AUDIT_PAGE_SIZE = 50


# --- retention ---------------------------------------------------------------------------------------

@click.command("retention")
@with_appcontext
def retention_command():
    """Delete voice notes past their campaign's retention period (answers and transcripts stay), and notes
    whose response never arrived. `wijkstem serve` also does this every hour (`server.privacy.schedule`)."""
    run = apply_retention()
    db.session.commit()
    click.echo(f"voice notes deleted: {sum(run.by_campaign.values())} in {len(run.by_campaign)} campaign(s); "
               f"unclaimed voice notes deleted: {run.unclaimed}; "
               f"unprocessed recorded prompts deleted: {run.stale_uploads}; "
               f"expired exports deleted: {run.expired_exports}")


def stored_recordings(campaign) -> int:
    return db.session.scalar(
        db.select(db.func.count()).select_from(VoiceNote).join(Response, Response.id == VoiceNote.response_id)
        .where(Response.campaign_id == campaign.id, VoiceNote.audio_deleted_at.is_(None),
               VoiceNote.state == "complete"))


def privacy_page(campaign, status=200, values=None, errors=None, notice=None):
    return render_page("privacy/campaign.html", status=status, campaign=campaign, errors=errors or {},
                       values=values or {"days": campaign.voice_retention_days or ""}, notice=notice,
                       recordings=stored_recordings(campaign))


@privacy_blueprint.route("/workspace/campaigns/<uuid:campaign_id>/privacy", methods=["GET", "POST"])
@login_required
def campaign_privacy(campaign_id):
    """How long the campaign keeps voice notes."""
    campaign = require_campaign(campaign_id, write=True)
    if request.method == "GET":
        return privacy_page(campaign, notice=request.args.get("saved"))
    data = form_data()
    values, errors = load_form(retention_form_schema, data)
    if errors:
        return privacy_page(campaign, 422, data, errors)
    set_retention(campaign, values["days"])
    apply_retention()
    db.session.commit()
    return redirect(url_for("privacy.campaign_privacy", campaign_id=campaign.id, saved=1), code=303)


# --- the audit log -----------------------------------------------------------------------------------

@privacy_blueprint.get("/workspace/teams/<int:team_id>/audit")
@login_required
def audit_log(team_id):
    """Who listened to, exported or deleted what; for the team's coordinators."""
    team = require_team(team_id, write=True)
    values, errors = load_form(audit_page_schema, {k: v for k, v in request.args.items() if k == "before"})
    events = audit_events(team.id, (values or {}).get("before"), AUDIT_PAGE_SIZE + 1)
    more = len(events) > AUDIT_PAGE_SIZE
    events = events[:AUDIT_PAGE_SIZE]
    older = audit_page_schema.fields["before"]._serialize((events[-1].created_at, events[-1].id), None, None) \
        if more else None
    return render_page("privacy/audit.html", status=422 if errors else 200, team=team, events=events,
                       older=older, errors=errors)


# --- residents' erasure ------------------------------------------------------------------------------

@privacy_blueprint.route("/erase", methods=["GET", "POST"])
@erasure_rate_limit
def erase():
    """A resident erases what they said with the receipt code they got."""
    if request.method == "GET":
        return render_page("privacy/erase.html", values={}, errors={}, erased=None)
    data = form_data()
    values, errors = load_form(erasure_form_schema, data)
    if not errors and len(normalise_code(values["receipt"])) < 6:
        errors = form_error("receipt", _("Type the code as you got it, for example K7M2QXH4PA."))
    if errors:
        return render_page("privacy/erase.html", status=422, values=data, errors=errors, erased=None)
    erased = erase_for_resident(values["receipt"])
    db.session.commit()
    return render_page("privacy/erase.html", values={}, errors={}, erased=erased)
