"""Writing one question: its type, texts in every language, choices with pictograms, and spoken prompts."""

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _

from ..accounts.auth import current_user, login_required
from ..campaigns.models import Campaign
from ..campaigns.operations import add_prompt
from ..campaigns.schemas import KEY_PATTERN, QUESTION_TYPES
from ..errors import N_, ApiError
from ..extensions import db
from ..forms import form_data, form_error, load_form
from ..pages import render_page
from ..voicepacks.operations import MAX_CLIP_BYTES, current_text, same_slot, text_hash, waiting_clips
from .common import changed_meanwhile, editable_campaign, question_type_name, revision
from .editing import (
    build_question,
    delete_question,
    discard_prompt_upload,
    find_question,
    move_question,
    remove_prompt,
    save_question,
)
from .pictograms import pictogram_choices
from .schemas import move_schema, prompt_upload_schema, question_form_schema

questions_blueprint = Blueprint("questions", __name__, url_prefix="/campaigns")

VOICE_NAMES = {"off": N_("Tap only"), "allowed": N_("Tap, or say it instead")}
#: Blank choice rows under a new question, under an existing one, and added by "More rows".
NEW_ROWS, EXTRA_ROWS, MORE_ROWS = 4, 2, 4


def question_values(campaign: Campaign, question: dict | None) -> dict:
    """The form's fields for a question (or a new one), its choices as rows numbered from 0."""
    if question is None:
        return {"type": "single_choice", "voice": "allowed", "max_length": 300,
                "revision": revision(campaign)}
    values = {key: value for key, value in question.items() if key not in ("choices", "prompts")}
    values["choices"] = {str(number): choice for number, choice in enumerate(question.get("choices", []))}
    return {**values, "revision": revision(campaign)}


def row_count(values: dict, extra: int) -> int:
    rows = values.get("choices")
    numbers = [int(n) for n in rows if str(n).isdigit()] if isinstance(rows, dict) else []
    return (max(numbers) + 1 if numbers else 0) + extra


def question_page(campaign: Campaign, question: dict | None, status: int = 200, values: dict | None = None,
                  errors: dict | None = None, extra_rows: int | None = None):
    values = values if values is not None else question_values(campaign, question)
    if extra_rows is None:
        extra_rows = NEW_ROWS if question is None else EXTRA_ROWS
    return render_page(
        "workspace/question.html", status=status, campaign=campaign, definition=campaign.definition,
        question=question, values=values, errors=errors or {}, rows=row_count(values, extra_rows),
        pictograms=pictogram_choices(campaign.definition),
        type_options=[(kind, question_type_name(kind)) for kind in QUESTION_TYPES],
        voice_options=[(mode, _(name)) for mode, name in VOICE_NAMES.items()],
        prompts=prompt_clips(campaign, question), max_prompt_mb=MAX_CLIP_BYTES // (1024 * 1024),
        saved=request.args.get("saved"))


def prompt_clips(campaign: Campaign, question: dict | None) -> dict:
    """Per language, the question's recorded prompt (its clip ``q:<key>``), whether it still fits the text, and
    a new recording of it still being prepared (or failed) with its job."""
    if question is None:
        return {}
    prompts = {}
    key = f"q:{question['key']}"
    for language in campaign.definition["languages"]:
        clip = next(iter(same_slot(campaign.team_id, campaign.id, key, language)), None)
        upload = waiting_clips(campaign, language).get(key)
        if clip is not None or upload is not None:
            text = current_text(campaign.definition, key, language)
            fresh = clip is not None and bool(text) and clip.text_sha256 == text_hash(text)
            prompts[language] = {"clip": clip, "fresh": fresh, "upload": upload}
    return prompts


def existing_question(campaign: Campaign, key: str) -> dict:
    """The question `key` of the draft, or 404."""
    question = find_question(campaign.definition, key) if KEY_PATTERN.match(key) else None
    if question is None:
        abort(404)
    return question


@questions_blueprint.get("/<uuid:campaign_id>/new-question")
@login_required
def new_question(campaign_id):
    return question_page(editable_campaign(campaign_id), None)


@questions_blueprint.post("/<uuid:campaign_id>/new-question")
@login_required
def create_question(campaign_id):
    return save_question_form(editable_campaign(campaign_id), None)


@questions_blueprint.get("/<uuid:campaign_id>/questions/<key>")
@login_required
def question(campaign_id, key):
    campaign = editable_campaign(campaign_id)
    return question_page(campaign, existing_question(campaign, key))


@questions_blueprint.post("/<uuid:campaign_id>/questions/<key>")
@login_required
def update_question(campaign_id, key):
    campaign = editable_campaign(campaign_id)
    return save_question_form(campaign, existing_question(campaign, key))


def save_question_form(campaign: Campaign, existing: dict | None):
    """Check the posted question and store it, or show the form again with what to fix."""
    data = form_data()
    schema = question_form_schema(campaign.definition["languages"], pictogram_choices(campaign.definition))
    values, errors = load_form(schema, data)
    if not errors and values["more_rows"]:
        return question_page(campaign, existing, 200, data, extra_rows=MORE_ROWS)
    errors = errors or changed_meanwhile(campaign, values)
    if not errors:
        question, errors = build_question(campaign.definition, values, existing)
    if errors:
        return question_page(campaign, existing, 422, {**data, "revision": revision(campaign)}, errors, 0)
    save_question(campaign, question, existing["key"] if existing else None)
    db.session.commit()
    return redirect(url_for(".question", campaign_id=campaign.id, key=question["key"], saved=1), code=303)


def back_to_overview(campaign: Campaign, key: str | None = None):
    anchor = f"question-{key}" if key else None
    url = url_for("workspace.campaigns.overview", campaign_id=campaign.id, _anchor=anchor)
    return redirect(url, code=303)


@questions_blueprint.post("/<uuid:campaign_id>/questions/<key>/move")
@login_required
def move(campaign_id, key):
    campaign = editable_campaign(campaign_id)
    existing_question(campaign, key)
    values, errors = load_form(move_schema, form_data())
    if errors:
        abort(422)
    move_question(campaign, key, values["direction"])
    db.session.commit()
    return back_to_overview(campaign, key)


@questions_blueprint.post("/<uuid:campaign_id>/questions/<key>/delete")
@login_required
def delete(campaign_id, key):
    campaign = editable_campaign(campaign_id)
    existing_question(campaign, key)
    delete_question(campaign, key)
    db.session.commit()
    return back_to_overview(campaign)


# --- spoken prompts ----------------------------------------------------------------------------------

def prompt_language(campaign: Campaign, lang: str) -> str:
    if lang not in campaign.definition["languages"]:
        abort(404)
    return lang


def back_to_prompt(campaign: Campaign, key: str, lang: str):
    url = url_for(".question", campaign_id=campaign.id, key=key, _anchor=f"prompt-{lang}")
    return redirect(url, code=303)


@questions_blueprint.post("/<uuid:campaign_id>/questions/<key>/prompts/<lang>")
@login_required
def upload_prompt(campaign_id, key, lang):
    """Store a recording (made in the browser or uploaded) as the question's prompt in `lang`."""
    campaign = editable_campaign(campaign_id)
    question = existing_question(campaign, key)
    prompt_language(campaign, lang)
    values, errors = load_form(prompt_upload_schema(MAX_CLIP_BYTES), {"file": request.files.get("file")})
    if errors:
        errors = {f"prompt.{lang}": messages for messages in errors.values()}
        return question_page(campaign, question, 422, errors=errors)
    try:
        add_prompt(campaign, key, lang, values["file"], current_user())
    except ApiError as err:
        db.session.rollback()
        errors = form_error(f"prompt.{lang}", _(err.message))
        return question_page(campaign, question, err.status, errors=errors)
    db.session.commit()
    return back_to_prompt(campaign, key, lang)


@questions_blueprint.post("/<uuid:campaign_id>/questions/<key>/prompts/<lang>/delete")
@login_required
def delete_prompt(campaign_id, key, lang):
    campaign = editable_campaign(campaign_id)
    existing_question(campaign, key)
    remove_prompt(campaign, key, prompt_language(campaign, lang))
    db.session.commit()
    return back_to_prompt(campaign, key, lang)


@questions_blueprint.post("/<uuid:campaign_id>/questions/<key>/prompts/<lang>/uploads/<uuid:clip_id>/discard")
@login_required
def discard_prompt(campaign_id, key, lang, clip_id):
    """Drop the new recording the page showed as failed to be prepared; the current prompt stays."""
    campaign = editable_campaign(campaign_id)
    existing_question(campaign, key)
    discard_prompt_upload(campaign, key, prompt_language(campaign, lang), clip_id)
    db.session.commit()
    return back_to_prompt(campaign, key, lang)
