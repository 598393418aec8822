"""A campaign's page, making one, its settings, publishing, closing and dropping a language."""

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..accounts.auth import current_user, login_required, require_campaign, require_team
from ..campaigns.models import Campaign, Source
from ..campaigns.operations import close_campaign, publish_campaign
from ..errors import ApiError
from ..extensions import db
from ..forms import error_paths, form_data, form_error, load_form
from ..jobs.views import campaign_failures
from ..pages import render_page
from ..privacy.operations import record_event
from ..voicepacks.operations import language_statuses
from .common import changed_meanwhile, editable_campaign, language_options, revision
from .editing import (
    apply_settings,
    completeness,
    create_draft,
    has_unpublished_changes,
    latest_version,
    missing_texts,
    remove_language,
)
from .schemas import new_campaign_schema, settings_schema

campaigns_blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def overview_url(campaign: Campaign, **kwargs) -> str:
    return url_for("workspace.campaigns.overview", campaign_id=campaign.id, **kwargs)


# --- a new campaign ----------------------------------------------------------------------------------

def new_campaign_page(status: int = 200, values: dict | None = None, errors: dict | None = None):
    user = current_user()
    if not user.can_write or not user.teams:
        abort(403)
    values = values or {"team": request.args.get("team", user.teams[0].id), "default_language": "nl",
                        "languages": ["nl"]}
    return render_page("workspace/campaign_new.html", status=status, teams=user.teams, values=values,
                       team_options=[(team.id, team.name) for team in user.teams], errors=errors or {},
                       language_options=language_options())


@campaigns_blueprint.get("/new")
@login_required
def new_campaign():
    return new_campaign_page()


@campaigns_blueprint.post("/new")
@login_required
def create_campaign():
    data = form_data(list_fields=("languages",))
    values, errors = load_form(new_campaign_schema, data, ("languages",))
    if errors:
        return new_campaign_page(422, data, errors)
    team = require_team(values["team"], write=True)
    campaign = create_draft(team, values["title"], values["default_language"], values["languages"])
    db.session.commit()
    return redirect(overview_url(campaign), code=303)


# --- the campaign's page -----------------------------------------------------------------------------

def overview_page(campaign: Campaign, status: int = 200, errors: dict | None = None,
                  incomplete: list[dict] | None = None):
    definition = campaign.definition
    sources = db.session.query(Source).filter_by(campaign_id=campaign.id).count()
    return render_page(
        "workspace/campaign.html", status=status, campaign=campaign, definition=definition,
        languages=completeness(definition), version=latest_version(campaign), errors=errors or {},
        unpublished=has_unpublished_changes(campaign), incomplete=incomplete or [], source_count=sources,
        heard={status.language: status for status in language_statuses(campaign, definition)},
        can_write=current_user().can_write and campaign.state != "closed",
        failed_jobs=campaign_failures(campaign.id) if current_user().can_write else [])


@campaigns_blueprint.get("/<uuid:campaign_id>")
@login_required
def overview(campaign_id):
    return overview_page(require_campaign(campaign_id))


@campaigns_blueprint.post("/<uuid:campaign_id>/publish")
@login_required
def publish(campaign_id):
    """Freeze the draft as the next version, unless a question or a translation is missing."""
    campaign = editable_campaign(campaign_id)
    if not campaign.definition["questions"]:
        return overview_page(campaign, 409, form_error("", _("Add at least one question before publishing.")))
    missing = missing_texts(campaign.definition)
    if missing:
        incomplete = [lang for lang in completeness(campaign.definition) if lang["code"] in missing]
        return overview_page(campaign, 409, incomplete=incomplete)
    if campaign.state == "published" and not has_unpublished_changes(campaign):
        return redirect(overview_url(campaign), code=303)
    try:
        publish_campaign(campaign)
    except ApiError as err:
        return overview_page(campaign, 409, form_error("", _(err.message)))
    except ValidationError as err:
        return overview_page(campaign, 409, error_paths(err.messages))
    record_event("campaign_published", campaign, "campaign", campaign.id, current_user(),
                 version=campaign.current_version)
    db.session.commit()
    return redirect(overview_url(campaign), code=303)


@campaigns_blueprint.post("/<uuid:campaign_id>/close")
@login_required
def close(campaign_id):
    campaign = editable_campaign(campaign_id)
    close_campaign(campaign)
    record_event("campaign_closed", campaign, "campaign", campaign.id, current_user())
    db.session.commit()
    return redirect(overview_url(campaign), code=303)


@campaigns_blueprint.post("/<uuid:campaign_id>/languages/<lang>/remove")
@login_required
def drop_language(campaign_id, lang):
    """Take a language (and its texts) out of the campaign, e.g. one that cannot be finished in time."""
    campaign = editable_campaign(campaign_id)
    try:
        remove_language(campaign, lang)
    except ValidationError as err:
        db.session.rollback()
        return overview_page(campaign, 409, error_paths(err.messages))
    db.session.commit()
    return redirect(overview_url(campaign), code=303)


# --- settings ----------------------------------------------------------------------------------------

def settings_values(campaign: Campaign) -> dict:
    definition = campaign.definition
    return {"languages": definition["languages"], "default_language": definition["default_language"],
            "buurten": "\n".join(definition.get("buurten", [])),
            "ask_age_bracket": definition.get("ask_age_bracket", True), "revision": revision(campaign)}


def settings_page(campaign: Campaign, status: int = 200, values: dict | None = None,
                  errors: dict | None = None):
    return render_page("workspace/campaign_settings.html", status=status, campaign=campaign,
                       values=values or settings_values(campaign), errors=errors or {},
                       language_options=language_options())


@campaigns_blueprint.get("/<uuid:campaign_id>/settings")
@login_required
def settings(campaign_id):
    return settings_page(editable_campaign(campaign_id))


@campaigns_blueprint.post("/<uuid:campaign_id>/settings")
@login_required
def save_settings(campaign_id):
    campaign = editable_campaign(campaign_id)
    data = form_data(list_fields=("languages",))
    values, errors = load_form(settings_schema, data, ("languages",))
    errors = errors or changed_meanwhile(campaign, values)
    if not errors:
        try:
            apply_settings(campaign, values)
        except ValidationError as err:
            errors = {path.split(".")[0]: messages for path, messages in error_paths(err.messages).items()}
    if errors:
        db.session.rollback()
        return settings_page(campaign, 422, {**data, "revision": revision(campaign)}, errors)
    db.session.commit()
    return redirect(overview_url(campaign), code=303)
