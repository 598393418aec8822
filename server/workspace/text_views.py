"""Translating a campaign: its texts side by side, one column per language."""

from flask import Blueprint, redirect, request, url_for
from marshmallow import ValidationError

from ..accounts.auth import login_required
from ..campaigns.models import Campaign
from ..extensions import db
from ..forms import error_paths, load_form
from ..pages import render_page
from ..voicepacks.operations import unready_languages
from .common import changed_meanwhile, editable_campaign, revision
from .editing import apply_texts, completeness, missing_texts, text_slots
from .schemas import texts_form_schema

texts_blueprint = Blueprint("texts", __name__, url_prefix="/campaigns")


def shown_languages(campaign: Campaign, asked: list[str]) -> list[str]:
    """The columns: those asked for, else all (up to three), else the main and the first unfinished one."""
    languages = campaign.definition["languages"]
    chosen = [code for code in languages if code in asked]
    if chosen:
        return chosen
    if len(languages) <= 3:
        return languages
    missing = missing_texts(campaign.definition)
    first_gap = next((code for code in languages[1:] if code in missing), languages[1])
    return [languages[0], first_gap]


def field_limits(campaign: Campaign, shown: list[str]) -> dict[str, int]:
    """Every text field on the page (``questions.wonen.text.en``) with its longest length."""
    slots = text_slots(campaign.definition)
    return {f"{slot['name']}.{code}": slot["limit"] for slot in slots for code in shown}


def texts_page(campaign: Campaign, shown: list[str], status: int = 200, values: dict | None = None,
               errors: dict | None = None):
    definition = campaign.definition
    slots = text_slots(definition)
    if values is None:
        values = {f"{slot['name']}.{code}": slot["texts"].get(code, "") for slot in slots for code in shown}
    return render_page("workspace/campaign_texts.html", status=status, campaign=campaign,
                       definition=definition, slots=slots, shown=shown, values=values, errors=errors or {},
                       missing=missing_texts(definition), languages=completeness(definition),
                       revision=revision(campaign), unready=unready_languages(campaign))


@texts_blueprint.get("/<uuid:campaign_id>/texts")
@login_required
def texts(campaign_id):
    campaign = editable_campaign(campaign_id)
    return texts_page(campaign, shown_languages(campaign, request.args.getlist("langs")))


@texts_blueprint.post("/<uuid:campaign_id>/texts")
@login_required
def save_texts(campaign_id):
    """Store the shown columns; languages not on the page keep their texts."""
    campaign = editable_campaign(campaign_id)
    shown = shown_languages(campaign, request.form.getlist("langs"))
    limits = field_limits(campaign, shown)
    posted = {name: request.form.get(name, "").strip() for name in limits if name in request.form}
    data = {**posted, "revision": request.form.get("revision", "")}
    values, errors = load_form(texts_form_schema(limits), data)
    errors = errors or changed_meanwhile(campaign, values)
    if not errors:
        try:
            loaded = {name: values[f"text{number}"] for number, name in enumerate(limits)}
            apply_texts(campaign, {name: loaded[name] for name in posted}, shown)
        except ValidationError as err:
            errors = error_paths(err.messages)
    if errors:
        db.session.rollback()
        return texts_page(campaign, shown, 422, posted, errors)
    db.session.commit()
    return redirect(url_for(".texts", campaign_id=campaign.id, langs=shown, saved=1), code=303)
