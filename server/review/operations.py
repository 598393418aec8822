"""The inbox (keyset pages), a response with its answers in two languages, and the review actions.

Flush, never commit.
"""

from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import and_, delete, exists, func, literal, select, tuple_, union_all
from sqlalchemy.orm import aliased

from ..campaigns.models import Campaign, CampaignVersion, Source
from ..errors import N_, ApiError
from ..extensions import db
from ..responses.models import Answer, Response
from ..storage import media_store
from ..voice.models import VoiceNote
from .models import ResponseTag, ReviewComment, Tag
from .transcription import TranscriptionFailed, configured_backend

# --- filters and keyset pages ------------------------------------------------------------------------

def day_start(day) -> datetime:
    """Midnight of `day` in the team's time zone (the workspace shows local dates)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(0), tzinfo=zone)


def filter_conditions(campaign_id, filters: dict) -> list:
    """SQL conditions for the inbox's and the exports' filters."""
    conditions = [Response.campaign_id == campaign_id]
    for name in ("language", "channel", "buurt", "age_bracket"):
        if filters.get(name):
            conditions.append(getattr(Response, name) == filters[name])
    if filters.get("source"):
        conditions.append(Response.source_id == filters["source"])
    if filters.get("received_from"):
        conditions.append(Response.received_at >= day_start(filters["received_from"]))
    if filters.get("received_to"):
        conditions.append(Response.received_at < day_start(filters["received_to"] + timedelta(days=1)))
    state = filters.get("state") or "visible"
    if state == "visible":
        conditions.append(Response.review_state != "hidden")
    elif state != "all":
        conditions.append(Response.review_state == state)
    if filters.get("tag"):
        tagged = aliased(ResponseTag)  # its own name: the tags of an export's batch are read beside it
        conditions.append(exists().where(tagged.response_id == Response.id, tagged.tag_id == filters["tag"]))
    return conditions


def page_query(campaign_id, filters: dict) -> tuple:
    """The filtered responses and the two columns that order them.

    With a tag chosen, pages run along the tag's own index (tag, received_at, response): a rare tag then
    costs as little as no filter, at any depth.
    """
    query = select(Response).where(*filter_conditions(campaign_id, {**filters, "tag": None}))
    if filters.get("tag"):
        query = query.join(ResponseTag, and_(ResponseTag.response_id == Response.id,
                                             ResponseTag.tag_id == filters["tag"]))
        return query, (ResponseTag.received_at, ResponseTag.response_id)
    return query, (Response.received_at, Response.id)


#: Joins tag names in one column (a control character: no one types it into a tag).
TAG_SEPARATOR = "\x1f"
#: What an inbox row shows: the response, how many voice notes it has, the first text typed and its tags
#: (looked up per row inside the page's query, through the indexes on `response_id`).
INBOX_COLUMNS = (
    Response.id, Response.received_at, Response.review_state, Response.language, Response.channel,
    Response.source_id, Response.buurt, Response.age_bracket,
    select(func.count()).where(VoiceNote.response_id == Response.id, VoiceNote.state == "complete")
    .correlate(Response).scalar_subquery().label("voice_notes"),
    select(Answer.text).where(Answer.response_id == Response.id, Answer.text.is_not(None))
    .correlate(Response).order_by(Answer.id).limit(1).scalar_subquery().label("snippet"),
    select(func.aggregate_strings(Tag.name, TAG_SEPARATOR)).join(ResponseTag, ResponseTag.tag_id == Tag.id)
    .where(ResponseTag.response_id == Response.id).correlate(Response).scalar_subquery().label("tag_names"),
)


def tag_names(row) -> list[str]:
    """The names of an inbox row's tags, sorted."""
    return sorted(row.tag_names.split(TAG_SEPARATOR)) if row.tag_names else []


def keyset_page(campaign_id, filters: dict, size: int) -> tuple[list, tuple | None, tuple | None]:
    """One page of responses (rows of `INBOX_COLUMNS`), newest first, and the cursors of the newer and the
    older page (or ``None``)."""
    query, (moment, key) = page_query(campaign_id, filters)
    query = query.with_only_columns(*INBOX_COLUMNS)
    position = tuple_(moment, key)
    if filters.get("before"):
        rows = core_rows(query.where(position > tuple_(*filters["before"])).order_by(moment, key).limit(size + 1))
        newer_exists, rows = len(rows) > size, rows[:size][::-1]
        older_exists = True
    else:
        if filters.get("after"):
            query = query.where(position < tuple_(*filters["after"]))
        rows = core_rows(query.order_by(moment.desc(), key.desc()).limit(size + 1))
        older_exists, rows = len(rows) > size, rows[:size]
        newer_exists = filters.get("after") is not None
    if not rows:
        return [], None, None
    newer = (rows[0].received_at, rows[0].id) if newer_exists else None
    older = (rows[-1].received_at, rows[-1].id) if older_exists else None
    return rows, newer, older


def neighbours(campaign_id, response: Response, filters: dict) -> tuple:
    """The ids of the next newer and the next older response under the same filters."""
    query, (moment, key) = page_query(campaign_id, filters)
    position, here = tuple_(moment, key), tuple_(response.received_at, response.id)
    query = query.with_only_columns(Response.id)
    newer = db.session.scalar(query.where(position > here).order_by(moment, key).limit(1))
    older = db.session.scalar(query.where(position < here).order_by(moment.desc(), key.desc()).limit(1))
    return newer, older


# --- what each inbox row shows -----------------------------------------------------------------------

def core_rows(query) -> list:
    """Rows of a plain column query, without the ORM's per-statement work (the inbox runs several)."""
    return db.session.connection().execute(query).all()


def tags_by_response(response_ids: list) -> dict:
    """``{response id: [(tag id, name), ...]}``, by name."""
    found: dict = {}
    if response_ids:
        for response_id, tag_id, name in core_rows(
                select(ResponseTag.response_id, Tag.id, Tag.name).join(Tag, Tag.id == ResponseTag.tag_id)
                .where(ResponseTag.response_id.in_(response_ids)).order_by(Tag.name)):
            found.setdefault(response_id, []).append((tag_id, name))
    return found


def campaign_sources(campaign_id) -> dict:
    """``{source id: name}``, by name."""
    return dict(core_rows(select(Source.id, Source.name).where(Source.campaign_id == campaign_id)
                          .order_by(Source.name)))


def campaign_tags(campaign_id) -> list[tuple]:
    """``[(tag id, name), ...]``, by name."""
    return core_rows(select(Tag.id, Tag.name).where(Tag.campaign_id == campaign_id).order_by(Tag.name))


def campaign_labels(campaign_id) -> tuple[dict, list[tuple]]:
    """The campaign's sources ``{id: name}`` and tags ``[(id, name), ...]``, by name, in one query."""
    sources = select(literal("source").label("kind"), Source.id, Source.name).where(Source.campaign_id == campaign_id)
    tags = select(literal("tag"), Tag.id, Tag.name).where(Tag.campaign_id == campaign_id)
    rows = core_rows(union_all(sources, tags).order_by("kind", "name"))
    return ({id_: name for kind, id_, name in rows if kind == "source"},
            [(id_, name) for kind, id_, name in rows if kind == "tag"])


# --- one response ------------------------------------------------------------------------------------

def campaign_response(campaign: Campaign, response_id) -> Response:
    """The response if it belongs to `campaign`.

    :raise 404: no such response in this campaign.
    """
    response = db.session.get(Response, response_id)
    if response is None or response.campaign_id != campaign.id:
        abort(404)
    return response


def campaign_voice_note(campaign: Campaign, note_id) -> VoiceNote:
    """A complete voice note of one of the campaign's responses.

    :raise 404: no such note, still uploading, or another campaign's.
    """
    note = db.session.get(VoiceNote, note_id)
    if note is None or note.state != "complete":
        abort(404)
    campaign_response(campaign, note.response_id)
    return note


@lru_cache(maxsize=128)
def _frozen_definition(version_id: int, etag: str) -> dict:
    return db.session.get(CampaignVersion, version_id).definition


def version_definition(campaign: Campaign, number: int) -> dict:
    """The definition the response answered (published versions never change: cached by id and hash)."""
    row = db.session.execute(select(CampaignVersion.id, CampaignVersion.etag)
                             .where(CampaignVersion.campaign_id == campaign.id, CampaignVersion.number == number)
                             ).first()
    return _frozen_definition(row.id, row.etag) if row is not None else campaign.definition


def localised(texts: dict, language: str, fallback: str) -> str:
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")


def answer_items(definition: dict, answers: list[Answer], notes: list[VoiceNote], reader: str,
                 resident: str) -> list[dict]:
    """Per question the resident answered: its text and the answer, in the reader's and the resident's language."""
    fallback = definition.get("default_language", "nl")
    by_question: dict = {}
    for answer in answers:
        by_question.setdefault(answer.question_key, []).append(answer)
    notes_by_question: dict = {}
    for note in notes:
        notes_by_question.setdefault(note.question_key, []).append(note)
    items = []
    for question in definition["questions"]:
        given, spoken = by_question.get(question["key"], []), notes_by_question.get(question["key"], [])
        if not given and not spoken:
            continue
        labels = {c["key"]: c.get("label", {}) for c in question.get("choices", [])}
        items.append({
            "key": question["key"], "type": question["type"],
            "text": localised(question.get("text", {}), reader, fallback),
            "text_as_asked": localised(question.get("text", {}), resident, fallback),
            "values": [value_item(answer, labels, reader, resident, fallback) for answer in given],
            "voice_notes": spoken,
        })
    return items


def value_item(answer: Answer, labels: dict, reader: str, resident: str, fallback: str) -> dict:
    """One answer value: a choice shown in both languages, a number, or the typed text."""
    item = {"answer": answer, "number": answer.number, "text": answer.text, "choice": answer.choice_key}
    if answer.choice_key is not None:
        texts = labels.get(answer.choice_key, {})
        item["label"] = localised(texts, reader, fallback) if texts else answer.choice_key
        item["label_as_given"] = localised(texts, resident, fallback) if texts else answer.choice_key
    return item


def response_answers(response: Response) -> list[Answer]:
    return list(db.session.scalars(select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)))


def response_voice_notes(response: Response) -> list[VoiceNote]:
    return list(db.session.scalars(select(VoiceNote).where(VoiceNote.response_id == response.id,
                                                           VoiceNote.state == "complete")
                                   .order_by(VoiceNote.created_at)))


def response_comments(response: Response) -> list[ReviewComment]:
    return list(db.session.scalars(select(ReviewComment).where(ReviewComment.response_id == response.id)
                                   .order_by(ReviewComment.created_at, ReviewComment.id)))


# --- review actions ----------------------------------------------------------------------------------

def set_review_state(response: Response, state: str) -> None:
    response.review_state = state
    db.session.flush()


def find_or_make_tag(campaign: Campaign, name: str) -> Tag:
    tag = db.session.scalar(select(Tag).where(Tag.campaign_id == campaign.id, Tag.name == name))
    if tag is None:
        tag = Tag(campaign_id=campaign.id, name=name)
        db.session.add(tag)
        db.session.flush()
    return tag


def add_tag(campaign: Campaign, response: Response, name: str) -> Tag:
    """Tag the response (the tag is made on first use); tagging twice changes nothing."""
    tag = find_or_make_tag(campaign, " ".join(name.split()))
    if db.session.get(ResponseTag, (response.id, tag.id)) is None:
        db.session.add(ResponseTag(response_id=response.id, tag_id=tag.id, received_at=response.received_at))
        db.session.flush()
    return tag


def remove_tag(response: Response, tag_id: int) -> None:
    db.session.execute(delete(ResponseTag).where(and_(ResponseTag.response_id == response.id,
                                                      ResponseTag.tag_id == tag_id)))
    db.session.flush()


def add_comment(response: Response, user, body: str) -> ReviewComment:
    comment = ReviewComment(response_id=response.id, user_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    return comment


def save_transcript(note: VoiceNote, transcript: str | None, translation: str | None) -> None:
    """Store the team's transcript and translation; an emptied field clears it."""
    if transcript != note.transcript:
        note.transcript_source = "manual" if transcript else None
    note.transcript, note.translation = transcript, translation
    db.session.flush()


def save_answer_translation(answer: Answer, translation: str | None) -> None:
    answer.translation = translation
    db.session.flush()


def transcribe_automatically(note: VoiceNote, language: str) -> None:
    """Ask the configured backend for a transcript.

    :raise ApiError 409: no backend is configured, or the recording is no longer stored.
    :raise ApiError 502: the backend failed.
    """
    backend = configured_backend()
    if backend is None:
        raise ApiError(409, "no_transcription_backend", N_("Automatic transcription is not set up on this server."))
    if note.audio_deleted_at is not None:
        raise ApiError(410, "audio_deleted", N_("This recording has been deleted."))
    try:
        with media_store().local_copy(note.storage_name) as path:
            result = backend.transcribe(path, note.content_type, language)
    except FileNotFoundError:
        raise ApiError(410, "audio_deleted", N_("This recording has been deleted."))
    except TranscriptionFailed as err:
        current_app.logger.warning("transcription of %s failed: %s", note.id, err)
        raise ApiError(502, "transcription_failed", N_("The transcription service could not transcribe this."))
    note.transcript, note.transcript_source = result.text, backend.name
    db.session.flush()
