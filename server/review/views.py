"""The review pages: a campaign's inbox, one response, and the actions on it."""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.auth import acting_partnership, current_user, login_required, require_campaign
from ..campaigns.models import Campaign
from ..errors import N_, ApiError
from ..extensions import db
from ..forms import form_data, load_form
from ..i18n import LANGUAGES, current_language
from ..jobs.queue import pending_or_failed
from ..pages import install_page_handlers, render_page, safe_next
from ..privacy.operations import delete_audio, record_event, record_event_once_a_day
from ..responses.models import AGE_BRACKETS, CHANNELS, REVIEW_STATES, Answer, Response
from ..search.operations import snippets
from ..storage.serving import send_stored
from ..themes.operations import campaign_themes, relocate_fragments, response_links
from ..themes.quotes import quoted_links
from .operations import (
    add_comment,
    add_tag,
    answer_items,
    ask_for_transcription,
    campaign_labels,
    campaign_response,
    campaign_sources,
    campaign_tags,
    campaign_voice_note,
    keyset_page,
    neighbours,
    remove_tag,
    response_answers,
    response_comments,
    response_voice_notes,
    save_answer_translation,
    save_transcript,
    set_review_state,
    tag_names,
    tags_by_response,
    version_definition,
)
from .playback import ask_for_playback_copy, file_extension, needs_playback_copy, playable_file
from .schemas import (
    FILTER_NAMES,
    Cursor,
    comment_form_schema,
    read_filters,
    return_schema,
    state_form_schema,
    tag_form_schema,
    transcript_form_schema,
    translation_form_schema,
)
from .transcription import configured_backend

review_blueprint = Blueprint("review", __name__, url_prefix="/workspace")
install_page_handlers(review_blueprint)

STATE_NAMES = {"new": N_("New"), "reviewed": N_("Reviewed"), "flagged": N_("Flagged"), "hidden": N_("Hidden")}
CHANNEL_NAMES = {"door_to_door": N_("Door to door"), "flyer": N_("Flyer")}
#: What a search result's text is (`server.search.models.TEXT_KINDS`).
TEXT_KIND_NAMES = {"answer": N_("Answer"), "answer_translation": N_("Translation"), "transcript": N_("Transcript"),
                   "note_translation": N_("Translation of the transcript"), "comment": N_("Comment")}
_CURSOR = Cursor()


@review_blueprint.app_template_global()
def review_state_name(state: str) -> str:
    return _(STATE_NAMES.get(state, state))


@review_blueprint.app_template_global()
def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES.get(channel, channel))


@review_blueprint.app_template_global()
def language_name(code: str) -> str:
    return LANGUAGES[code].native_name if code in LANGUAGES else code


@review_blueprint.app_template_filter()
def local_time(moment) -> str:
    """A timestamp in the team's time zone as ``2026-11-28 10:15``: readable in every language, and cheap."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@review_blueprint.app_template_filter()
def duration(milliseconds: int | None) -> str:
    """``83000`` -> ``1:23``."""
    if milliseconds is None:
        return "?"
    seconds = round(milliseconds / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


# --- filters -----------------------------------------------------------------------------------------

def filter_args(filters: dict) -> dict:
    """The active filters as URL arguments (without the page position)."""
    args = {}
    for name in FILTER_NAMES:
        value = filters.get(name)
        if value is not None and not (name == "state" and value == "visible"):
            args[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return args


def cursor_text(position) -> str | None:
    return _CURSOR._serialize(position, None, None)


def filter_options(campaign, sources: dict, tags: list) -> dict:
    definition = campaign.definition
    return {
        "language": [(code, language_name(code)) for code in definition.get("languages", [])],
        "source": list(sources.items()),
        "channel": [(channel, channel_name(channel)) for channel in CHANNELS],
        "buurt": [(buurt, buurt) for buurt in definition.get("buurten", [])],
        "age_bracket": [(age, age) for age in AGE_BRACKETS],
        "state": [("visible", _("All but hidden")), ("all", _("All"))] +
                 [(state, review_state_name(state)) for state in REVIEW_STATES],
        "tag": tags,
    }


# --- the inbox ---------------------------------------------------------------------------------------

@review_blueprint.get("/responses")
@login_required
def overview():
    """The campaigns whose responses the signed-in user may review, by team."""
    user = current_user()
    teams = [team for team in user.teams if user.can_write]
    campaigns = db.session.scalars(select(Campaign).where(Campaign.team_id.in_([t.id for t in teams]))
                                   .order_by(Campaign.created_at.desc())).all()
    counts = dict(db.session.execute(select(Response.campaign_id, func.count())
                                     .where(Response.campaign_id.in_([c.id for c in campaigns]))
                                     .group_by(Response.campaign_id)).all()) if campaigns else {}
    return render_page("review/overview.html", teams=[(t, [c for c in campaigns if c.team_id == t.id])
                                                      for t in teams], counts=counts)


@review_blueprint.get("/campaigns/<uuid:campaign_id>/responses")
@login_required
def inbox(campaign_id):
    """A page of the campaign's responses, newest first, filtered (and searched: `q`, with the matching words
    in context); paged by (received_at, id). Searching is not audited per query, as the inbox is not."""
    campaign = require_campaign(campaign_id, action="read")
    audit_partner_read(campaign, "campaign", campaign.id)
    filters, errors = read_filters(request.args)
    size = current_app.config["INBOX_PAGE_SIZE"]
    rows, newer, older = keyset_page(campaign.id, filters, size)
    sources, all_tags = campaign_labels(campaign.id)
    args = filter_args(filters)
    found = snippets([row.id for row in rows], filters["q"]) if filters.get("q") else {}
    return render_page(
        "review/inbox.html", status=422 if errors else 200, campaign=campaign, rows=rows, errors=errors,
        filters=filters, args=args, options=filter_options(campaign, sources, all_tags), sources=sources,
        tag_names=tag_names, themes=campaign_themes(campaign.id), found=found,
        kind_names={kind: _(name) for kind, name in TEXT_KIND_NAMES.items()},
        newer=cursor_text(newer), older=cursor_text(older), names=row_names(campaign),
        row_link=url_for("review.inbox", campaign_id=campaign.id) + "/",
        row_query=("?" + urlencode(args)) if args else "",
        values={key: value for key, value in request.args.items()}, partner=acting_partnership())


def audit_partner_read(campaign, object_type: str, object_id) -> None:
    """A partner's reading of answers goes into the owner's audit log (once a day per page and person)."""
    if acting_partnership() is not None:
        record_event_once_a_day("partner_read", campaign, object_type, object_id, current_user())
        db.session.commit()


def row_names(campaign) -> dict:
    """Translated names the inbox rows repeat, looked up once per page."""
    return {"state": {state: review_state_name(state) for state in REVIEW_STATES},
            "channel": {channel: channel_name(channel) for channel in CHANNELS},
            "language": {code: language_name(code) for code in campaign.definition.get("languages", [])}}


# --- one response ------------------------------------------------------------------------------------

@review_blueprint.get("/campaigns/<uuid:campaign_id>/responses/<uuid:response_id>")
@login_required
def response(campaign_id, response_id):
    campaign = require_campaign(campaign_id, action="read")
    answer = campaign_response(campaign, response_id)
    partnership = acting_partnership()
    audit_partner_read(campaign, "response", answer.id)
    filters, _errors = read_filters(request.args)
    newer, older = neighbours(campaign.id, answer, filters)
    notes = response_voice_notes(answer)
    note_jobs = pending_or_failed("voice_note", [note.id for note in notes])
    # a note stored before jobs made the copies, or whose job was lost: ask for its copy now
    wanting = [note for note in notes
               if ("playback_copy", str(note.id)) not in note_jobs and needs_playback_copy(note)]
    if wanting:
        for note in wanting:
            ask_for_playback_copy(note, campaign.id)
        db.session.commit()
        note_jobs = pending_or_failed("voice_note", [note.id for note in notes])
    definition = version_definition(campaign, answer.campaign_version)
    items = answer_items(definition, response_answers(answer), notes, current_language(), answer.language)
    links = response_links(answer.id)
    args = filter_args(filters)
    return render_page(
        "review/response.html", campaign=campaign, response=answer, items=items, args=args,
        newer=newer, older=older, tags=tags_by_response([answer.id]).get(answer.id, []),
        all_tags=campaign_tags(campaign.id), comments=response_comments(answer),
        themes=campaign_themes(campaign.id), links=links, quoted=quoted_links([link.id for link in links]),
        sources=campaign_sources(campaign.id), can_transcribe=configured_backend() is not None,
        note_jobs=note_jobs,
        here=url_for("review.response", campaign_id=campaign.id, response_id=answer.id, **args),
        next_url=url_for("review.response", campaign_id=campaign.id, response_id=older, **args) if older
        else url_for("review.inbox", campaign_id=campaign.id, **args), values={}, errors={},
        partner=partnership, may_listen=partnership is None or "listen" in partnership.current_grants())


def back_to(campaign, response_id, return_to: str | None):
    default = url_for("review.response", campaign_id=campaign.id, response_id=response_id)
    return redirect(safe_next(return_to, default), code=303)


def invalid_form(errors: dict):
    """A review form that did not validate: a 422 page that names the problem."""
    message = "; ".join(" ".join(messages) for messages in errors.values())
    raise ApiError(422, "invalid_input", message or N_("Some of the data sent is not valid."))


@review_blueprint.post("/campaigns/<uuid:campaign_id>/responses/<uuid:response_id>/state")
@login_required
def change_state(campaign_id, response_id):
    campaign = require_campaign(campaign_id, write=True)
    answer = campaign_response(campaign, response_id)
    values, errors = load_form(state_form_schema, form_data())
    if errors:
        invalid_form(errors)
    set_review_state(answer, values["state"])
    db.session.commit()
    return back_to(campaign, answer.id, values["return_to"])


@review_blueprint.post("/campaigns/<uuid:campaign_id>/responses/<uuid:response_id>/tags")
@login_required
def tag(campaign_id, response_id):
    campaign = require_campaign(campaign_id, write=True)
    answer = campaign_response(campaign, response_id)
    values, errors = load_form(tag_form_schema, form_data())
    if errors:
        invalid_form(errors)
    add_tag(campaign, answer, values["name"])
    db.session.commit()
    return back_to(campaign, answer.id, values["return_to"])


@review_blueprint.post("/campaigns/<uuid:campaign_id>/responses/<uuid:response_id>/tags/<int:tag_id>/remove")
@login_required
def untag(campaign_id, response_id, tag_id):
    campaign = require_campaign(campaign_id, write=True)
    answer = campaign_response(campaign, response_id)
    values, _errors = load_form(return_schema, form_data())
    remove_tag(answer, tag_id)
    db.session.commit()
    return back_to(campaign, answer.id, (values or {}).get("return_to"))


@review_blueprint.post("/campaigns/<uuid:campaign_id>/responses/<uuid:response_id>/comments")
@login_required
def comment(campaign_id, response_id):
    campaign = require_campaign(campaign_id, write=True)
    answer = campaign_response(campaign, response_id)
    values, errors = load_form(comment_form_schema, form_data())
    if errors:
        invalid_form(errors)
    add_comment(answer, current_user(), values["body"])
    db.session.commit()
    return back_to(campaign, answer.id, values["return_to"])


@review_blueprint.post("/campaigns/<uuid:campaign_id>/responses/<uuid:response_id>/answers/<int:answer_id>/translation")
@login_required
def translate_answer(campaign_id, response_id, answer_id):
    campaign = require_campaign(campaign_id, write=True)
    answer = campaign_response(campaign, response_id)
    given = db.session.get(Answer, answer_id)
    if given is None or given.response_id != answer.id:
        raise ApiError(404, "not_found", N_("This was not found."))
    values, errors = load_form(translation_form_schema, form_data())
    if errors:
        invalid_form(errors)
    save_answer_translation(given, values["translation"])
    relocate_fragments("answer_translation", given.translation, answer_id=given.id)
    db.session.commit()
    return back_to(campaign, answer.id, values["return_to"])


# --- voice notes -------------------------------------------------------------------------------------

@review_blueprint.post("/campaigns/<uuid:campaign_id>/voice-notes/<uuid:note_id>/transcript")
@login_required
def transcript(campaign_id, note_id):
    campaign = require_campaign(campaign_id, write=True)
    note = campaign_voice_note(campaign, note_id)
    values, errors = load_form(transcript_form_schema, form_data())
    if errors:
        invalid_form(errors)
    save_transcript(note, values["transcript"], values["translation"])
    relocate_fragments("transcript", note.transcript, voice_note_id=note.id)
    relocate_fragments("translation", note.translation, voice_note_id=note.id)
    db.session.commit()
    return back_to(campaign, note.response_id, values["return_to"])


@review_blueprint.post("/campaigns/<uuid:campaign_id>/voice-notes/<uuid:note_id>/transcribe")
@login_required
def transcribe(campaign_id, note_id):
    campaign = require_campaign(campaign_id, write=True)
    note = campaign_voice_note(campaign, note_id)
    values, _errors = load_form(return_schema, form_data())
    answer = campaign_response(campaign, note.response_id)
    ask_for_transcription(campaign, note, answer.language)  # a job: never inside this request
    record_event("transcribe", campaign, "voice_note", note.id, current_user())
    db.session.commit()
    return back_to(campaign, note.response_id, (values or {}).get("return_to"))


@review_blueprint.post("/campaigns/<uuid:campaign_id>/voice-notes/<uuid:note_id>/delete-audio")
@login_required
def delete_recording(campaign_id, note_id):
    """Delete the recording itself; what was written down about it stays."""
    campaign = require_campaign(campaign_id, write=True)
    note = campaign_voice_note(campaign, note_id)
    values, _errors = load_form(return_schema, form_data())
    if note.audio_deleted_at is None:
        delete_audio(note)
        record_event("delete_voice", campaign, "voice_note", note.id, current_user())
    db.session.commit()
    return back_to(campaign, note.response_id, (values or {}).get("return_to"))


@review_blueprint.get("/campaigns/<uuid:campaign_id>/voice-notes/<uuid:note_id>/audio")
@login_required
def audio(campaign_id, note_id):
    """The recording, made playable in every browser; each listen (or download) goes into the audit log."""
    campaign = require_campaign(campaign_id, action="listen")
    note = campaign_voice_note(campaign, note_id)
    download = request.args.get("download") == "1"
    if download and acting_partnership() is not None:  # a partner listens, and never takes a copy away
        raise ApiError(404, "not_found", N_("This was not found."))
    if note.audio_deleted_at is not None:
        raise ApiError(410, "audio_deleted", N_("This recording has been deleted."))
    name, content_type = playable_file(note)  # as recorded until its playable copy is made
    ask_for_playback_copy(note, campaign.id)
    # every fetch counts, whatever its Range; one event per person, note and day is enough
    record_event_once_a_day("download" if download else "listen", campaign, "voice_note", note.id, current_user())
    db.session.commit()
    reply = send_stored(name, content_type, as_attachment=download,
                        download_name=f"voice-note-{note.id}.{file_extension(content_type)}")
    reply.headers["Cache-Control"] = "private, no-store"
    return reply
