"""The recording studio: every text a resident can hear in one language, recorded in the browser.

Campaign texts are recorded for the campaign; the app's own phrases for the team's voice pack, which all the
team's campaigns share. Coordinators and admins record; field workers listen.
"""

import re

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts.auth import current_user, login_required, require_campaign
from ..campaigns.models import Campaign
from ..errors import ApiError
from ..extensions import db
from ..forms import form_error, load_form
from ..pages import render_page
from ..voicepacks.operations import (
    MAX_CLIP_BYTES,
    campaign_clip,
    delete_clip,
    language_statuses,
    record_clip,
    studio_items,
)
from ..voicepacks.schemas import record_form_schema
from .common import editable_campaign
from .editing import language_name

studio_blueprint = Blueprint("studio", __name__, url_prefix="/campaigns")


def anchor(key: str) -> str:
    """The element id of a text's row (``q:missen:groen`` -> ``clip-q--missen--groen``; ``buurt:De Pijp`` ->
    ``clip-buurt--De_Pijp``: an id has no spaces)."""
    return "clip-" + re.sub(r"\s", "_", key.replace(":", "--"))


def progress_text(recorded: int, total: int) -> str:
    return ngettext("{recorded} of {total} text recorded", "{recorded} of {total} texts recorded",
                    total).format(recorded=recorded, total=total)


def outdated_text(count: int) -> str:
    return ngettext("{count} recording no longer matches its text", "{count} recordings no longer match their text",
                    count).format(count=count)


def studio_language(campaign: Campaign, lang: str) -> str:
    if lang not in campaign.definition["languages"]:
        abort(404)
    return lang


def item_label(key: str, definition: dict) -> str:
    """What a campaign text is, for the coordinator: "Title", "Question wonen", "Choice groen of missen"."""
    parts = key.split(":")
    if parts[0] == "buurt":
        return f"{_('Buurt')}: {key.partition(':')[2]}"
    if parts[0] == "q":
        if len(parts) == 2:
            return _("Question {key}").format(key=parts[1])
        return _("Choice {key} of question {question}").format(key=parts[2], question=parts[1])
    return {"title": _("Title"), "intro": _("Introduction"), "thanks": _("Thank-you text")}.get(key, key)


def studio_page(campaign: Campaign, lang: str, status: int = 200, errors: dict | None = None):
    definition = campaign.definition
    statuses = language_statuses(campaign)
    current = next(s for s in statuses if s.language == lang)
    items = studio_items(campaign, definition, lang)
    return render_page(
        "workspace/studio.html", status=status, campaign=campaign, definition=definition, lang=lang,
        statuses=statuses, current=current, progress_text=progress_text, outdated_text=outdated_text,
        campaign_items=[item for item in items if item.kind == "campaign"],
        phrase_items=[item for item in items if item.kind == "phrases"], anchor=anchor,
        item_label=lambda key: item_label(key, definition), language_name=language_name,
        can_write=current_user().can_write and campaign.state != "closed", errors=errors or {},
        max_mb=MAX_CLIP_BYTES // (1024 * 1024), saved=request.args.get("saved"))


def back_to_item(campaign: Campaign, lang: str, key: str, saved: str):
    url = url_for(".studio", campaign_id=campaign.id, lang=lang, saved=saved, _anchor=anchor(key))
    return redirect(url, code=303)


@studio_blueprint.get("/<uuid:campaign_id>/studio")
@login_required
def studio_start(campaign_id):
    campaign = require_campaign(campaign_id)
    return redirect(url_for(".studio", campaign_id=campaign.id, lang=campaign.definition["default_language"]))


@studio_blueprint.get("/<uuid:campaign_id>/studio/<lang>")
@login_required
def studio(campaign_id, lang):
    """Every text a resident can hear in `lang`, each with its recording (or a recorder)."""
    campaign = require_campaign(campaign_id)
    return studio_page(campaign, studio_language(campaign, lang))


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>")
@login_required
def record(campaign_id, lang):
    """Keep a recording (made in the browser or uploaded) for one text, replacing the one it had."""
    campaign = editable_campaign(campaign_id)
    studio_language(campaign, lang)
    key = request.form.get("key", "")
    values, errors = load_form(record_form_schema(MAX_CLIP_BYTES),
                               {"key": key, "file": request.files.get("file")})
    if errors:
        return studio_page(campaign, lang, 422, {f"clip.{key}": [m for messages in errors.values() for m in messages]})
    try:
        record_clip(campaign, values["key"], lang, values["file"], current_user())
    except ApiError as err:
        db.session.rollback()
        return studio_page(campaign, lang, err.status, form_error(f"clip.{key}", _(err.message)))
    db.session.commit()
    return back_to_item(campaign, lang, values["key"], "recorded")


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>/clips/<uuid:clip_id>/delete")
@login_required
def delete(campaign_id, clip_id, lang):
    campaign = editable_campaign(campaign_id)
    studio_language(campaign, lang)
    clip = campaign_clip(campaign, clip_id)
    if clip is None or clip.language != lang:
        abort(404)
    key = clip.key
    delete_clip(clip)
    db.session.commit()
    return back_to_item(campaign, lang, key, "deleted")
