"""The recording studio: every text a resident can hear in one language, recorded in the browser.

Campaign texts are recorded for the campaign; the app's own phrases for the team's voice pack, which all the
team's campaigns share. Coordinators and admins record; field workers listen.
"""

import re

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts.auth import acting_partnership, current_user, login_required, require_campaign
from ..campaigns.models import Campaign
from ..errors import ApiError
from ..extensions import db
from ..forms import form_data, form_error, load_form
from ..pages import render_page
from ..partners.models import TextProposal
from ..partners.operations import propose_text, text_proposals
from ..partners.schemas import text_form_schema
from ..privacy.operations import record_event
from ..voicepacks.operations import (
    MAX_CLIP_BYTES,
    approve_clip,
    campaign_clip,
    campaign_texts,
    clip_anchor,
    delete_clip,
    language_statuses,
    proposed_clips,
    record_clip,
    studio_items,
    upload_state,
    waiting_clips,
)
from ..voicepacks.schemas import record_form_schema
from .common import editable_campaign
from .editing import apply_texts, language_name, text_slots

studio_blueprint = Blueprint("studio", __name__, url_prefix="/campaigns")
#: The campaign texts a partner may translate here (a buurt's name is not translated).
CAMPAIGN_TEXT_KEY = re.compile(r"^(?:title|intro|thanks|q:[a-z0-9][a-z0-9_-]{0,63}(?::[a-z0-9][a-z0-9_-]{0,63})?)$")


#: The element id of a text's row.
anchor = clip_anchor


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
    """The studio of one language. A partner granted voice help records proposals, which the team approves."""
    definition = campaign.definition
    partnership = acting_partnership()
    open_campaign = campaign.state != "closed"
    statuses = language_statuses(campaign)
    current = next(s for s in statuses if s.language == lang)
    items = studio_items(campaign, definition, lang)
    return render_page(
        "workspace/studio.html", status=status, campaign=campaign, definition=definition, lang=lang,
        statuses=statuses, current=current, progress_text=progress_text, outdated_text=outdated_text,
        campaign_items=[item for item in items if item.kind == "campaign"],
        phrase_items=[item for item in items if item.kind == "phrases"], anchor=anchor,
        item_label=lambda key: item_label(key, definition), language_name=language_name,
        can_write=current_user().can_write and open_campaign, errors=errors or {},
        max_mb=MAX_CLIP_BYTES // (1024 * 1024), saved=request.args.get("saved"), partner=partnership,
        proposals=proposed_clips(campaign, lang), may_approve=partnership is None and current_user().can_write
        and open_campaign, text_proposals=text_proposals(campaign, lang), slot_for=slot_for,
        waiting=waiting_clips(campaign, lang, partnership.partner_team_id if partnership else None),
        main_texts=campaign_texts(definition, definition["default_language"]))


def back_to_item(campaign: Campaign, lang: str, key: str, saved: str):
    url = url_for(".studio", campaign_id=campaign.id, lang=lang, saved=saved, _anchor=anchor(key))
    return redirect(url, code=303)


@studio_blueprint.get("/<uuid:campaign_id>/studio")
@login_required
def studio_start(campaign_id):
    campaign = require_campaign(campaign_id, action="studio")
    return redirect(url_for(".studio", campaign_id=campaign.id, lang=campaign.definition["default_language"]))


@studio_blueprint.get("/<uuid:campaign_id>/studio/<lang>")
@login_required
def studio(campaign_id, lang):
    """Every text a resident can hear in `lang`, each with its recording (or a recorder)."""
    campaign = require_campaign(campaign_id, action="studio")
    return studio_page(campaign, studio_language(campaign, lang))


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>")
@login_required
def record(campaign_id, lang):
    """Keep a recording (made in the browser or uploaded) for one text, replacing the one it had; a partner's
    recording waits for the team's approval (and goes into the team's audit log)."""
    campaign = require_campaign(campaign_id, action="propose_voice")
    partnership = acting_partnership()
    if partnership is None:
        campaign = editable_campaign(campaign_id)
    elif campaign.state == "closed":
        abort(409)
    studio_language(campaign, lang)
    key = request.form.get("key", "")
    values, errors = load_form(record_form_schema(MAX_CLIP_BYTES),
                               {"key": key, "file": request.files.get("file")})
    if errors:
        return studio_page(campaign, lang, 422, {f"clip.{key}": [m for messages in errors.values() for m in messages]})
    try:
        clip = record_clip(campaign, values["key"], lang, values["file"], current_user(),
                           partnership.partner_team_id if partnership else None)
    except ApiError as err:
        db.session.rollback()
        return studio_page(campaign, lang, err.status, form_error(f"clip.{key}", _(err.message)))
    if partnership is not None:
        record_event("clip_proposed", campaign, "clip", clip.id, current_user(), key=clip.key, language=lang,
                     partner=partnership.partner.slug)
    clip_id = clip.id
    db.session.commit()
    state = upload_state(clip_id)  # the job may have run at the commit already (tests), or not yet
    saved = ("proposed" if partnership else "recorded") if state == "ready" else state
    return back_to_item(campaign, lang, values["key"], saved)


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


def waiting_proposal(campaign: Campaign, lang: str, clip_id):
    clip = campaign_clip(campaign, clip_id)
    if clip is None or clip.language != lang or clip.state != "proposed":
        abort(404)
    return clip


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>/clips/<uuid:proposal_id>/approve")
@login_required
def approve(campaign_id, proposal_id, lang):
    """The team accepts a partner's recording: residents hear it from the next download."""
    campaign = editable_campaign(campaign_id)
    clip = waiting_proposal(campaign, studio_language(campaign, lang), proposal_id)
    approve_clip(clip, current_user())
    record_event("clip_approved", campaign, "clip", clip.id, current_user(), key=clip.key, language=lang,
                 partner=clip.proposer.slug if clip.proposer else "")
    db.session.commit()
    return back_to_item(campaign, lang, clip.key, "approved")


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>/clips/<uuid:proposal_id>/reject")
@login_required
def reject(campaign_id, proposal_id, lang):
    """The team turns a partner's recording down: it is deleted, residents never hear it."""
    campaign = editable_campaign(campaign_id)
    clip = waiting_proposal(campaign, studio_language(campaign, lang), proposal_id)
    key, partner = clip.key, clip.proposer.slug if clip.proposer else ""
    record_event("clip_rejected", campaign, "clip", clip.id, current_user(), key=key, language=lang, partner=partner)
    delete_clip(clip)
    db.session.commit()
    return back_to_item(campaign, lang, key, "rejected")


# --- translations ---------------------------------------------------------------------------------------

def slot_for(key: str) -> str | None:
    """The translation field of a campaign text's clip key (``q:missen:groen`` -> ``questions.missen.choices.groen
    .label``); ``None`` for a buurt's name (said as written)."""
    parts = key.split(":")
    if key in ("title", "intro", "thanks"):
        return key
    if parts[0] == "q":
        return f"questions.{parts[1]}.text" if len(parts) == 2 else f"questions.{parts[1]}.choices.{parts[2]}.label"
    return None


def slot_limit(campaign: Campaign, slot: str) -> int | None:
    return next((found["limit"] for found in text_slots(campaign.definition) if found["name"] == slot), None)


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>/translations")
@login_required
def translate(campaign_id, lang):
    """A partner with voice help proposes a translation of one text (the team approves it into its draft); a team
    member's is saved into the draft at once, as on the translations page."""
    campaign = require_campaign(campaign_id, action="propose_voice")
    partnership = acting_partnership()
    if partnership is None:
        campaign = editable_campaign(campaign_id)
    elif campaign.state == "closed":
        abort(409)
    studio_language(campaign, lang)
    values, errors = load_form(text_form_schema, form_data())
    key = (values or {}).get("key") or request.form.get("key", "")
    slot = slot_for(key) if CAMPAIGN_TEXT_KEY.match(key) else None
    limit = slot_limit(campaign, slot) if slot else None
    if limit is None:
        abort(404)
    if errors or len(values["text"]) > limit:
        return studio_page(campaign, lang, 422, form_error(f"text.{key}", _("Type the translation (at most {limit} "
                                                                           "characters).").format(limit=limit)))
    text = values["text"]
    if partnership is None:
        apply_texts(campaign, {f"{slot}.{lang}": text}, [lang])
    else:
        proposal = propose_text(campaign, lang, slot, text, partnership.partner_team_id, current_user())
        record_event("text_proposed", campaign, "text", proposal.id, current_user(), key=key, language=lang,
                     partner=partnership.partner.slug)
    db.session.commit()
    return back_to_item(campaign, lang, key, "text_proposed" if partnership else "text_saved")


def waiting_text(campaign: Campaign, lang: str, proposal_id: int) -> TextProposal:
    proposal = db.session.get(TextProposal, proposal_id)
    if proposal is None or proposal.campaign_id != campaign.id or proposal.language != lang:
        abort(404)
    return proposal


def key_of(slot: str) -> str:
    parts = slot.split(".")
    return slot if len(parts) == 1 else ":".join(["q", parts[1], *parts[3:4]])


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>/translations/<int:text_id>/approve")
@login_required
def approve_text(campaign_id, lang, text_id):
    """The team takes a partner's translation into its draft; residents see it once the team publishes."""
    campaign = editable_campaign(campaign_id)
    proposal = waiting_text(campaign, studio_language(campaign, lang), text_id)
    apply_texts(campaign, {f"{proposal.slot}.{lang}": proposal.text}, [lang])
    record_event("text_approved", campaign, "text", proposal.id, current_user(), key=key_of(proposal.slot),
                 language=lang, partner=proposal.proposer.slug)
    db.session.delete(proposal)
    db.session.commit()
    return back_to_item(campaign, lang, key_of(proposal.slot), "text_approved")


@studio_blueprint.post("/<uuid:campaign_id>/studio/<lang>/translations/<int:text_id>/reject")
@login_required
def reject_text(campaign_id, lang, text_id):
    campaign = editable_campaign(campaign_id)
    proposal = waiting_text(campaign, studio_language(campaign, lang), text_id)
    record_event("text_rejected", campaign, "text", proposal.id, current_user(), key=key_of(proposal.slot),
                 language=lang, partner=proposal.proposer.slug)
    db.session.delete(proposal)
    db.session.commit()
    return back_to_item(campaign, lang, key_of(proposal.slot), "rejected")
