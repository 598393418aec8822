"""The codebook, themes on responses and fragments, bulk attach with undo (flush, never commit).

A fragment keeps its exact words (`ThemeLink.quoted_text`) beside its offsets. When its text is edited
(a transcript corrected, a translation rewritten), `relocate_fragments` looks for the same words again: found,
the offsets follow them (the occurrence nearest the old place); gone, the offsets become ``None`` and the
fragment is *detached*: it keeps its words and its theme (it still counts), and its quote leaves the public page
until a coordinator marks the words again.
"""

import uuid

from flask import abort
from sqlalchemy import delete, exists, func, insert, literal, select

from ..db_types import UTCDateTime
from ..errors import N_, ApiError
from ..extensions import db
from ..responses.models import Answer, Response
from ..review.operations import filter_conditions
from ..util import utcnow
from ..voice.models import VoiceNote
from .models import Quote, Theme, ThemeBatch, ThemeLink

# --- the codebook ------------------------------------------------------------------------------------

def campaign_themes(campaign_id) -> list[Theme]:
    return list(db.session.scalars(select(Theme).where(Theme.campaign_id == campaign_id).order_by(Theme.id)))


def campaign_theme(campaign, theme_id: int) -> Theme:
    """:raise 404: no such theme in this campaign."""
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.campaign_id != campaign.id:
        abort(404)
    return theme


def languages_of(campaign) -> list[str]:
    return list(campaign.definition.get("languages", [])) or ["nl"]


def kept_texts(texts: dict, languages: list[str]) -> dict:
    return {code: texts[code].strip() for code in languages if (texts.get(code) or "").strip()}


def save_theme(theme: Theme, campaign, values: dict) -> Theme:
    """Store a theme's names, descriptions (campaign languages only) and colour.

    :raise ApiError 422: no name in the campaign's main language.
    """
    languages = languages_of(campaign)
    names = kept_texts(values["name"], languages)
    main = campaign.definition.get("default_language", languages[0])
    if not names.get(main):
        raise ApiError(422, "name_missing", N_("Name the theme at least in the campaign's main language."),
                       field=f"name.{main}")
    theme.name, theme.description = names, kept_texts(values["description"], languages)
    theme.colour = values["colour"].lower()
    theme.campaign_id = campaign.id
    db.session.add(theme)
    db.session.flush()
    return theme


def delete_theme(theme: Theme) -> None:
    db.session.delete(theme)
    db.session.flush()


def theme_response_counts(campaign_id) -> dict[int, int]:
    """``{theme id: responses carrying it}`` (whole or by a fragment), hidden ones included."""
    rows = db.session.execute(select(ThemeLink.theme_id, func.count(ThemeLink.response_id.distinct()))
                              .join(Theme, Theme.id == ThemeLink.theme_id)
                              .where(Theme.campaign_id == campaign_id).group_by(ThemeLink.theme_id))
    return dict(rows.all())


# --- fragments -----------------------------------------------------------------------------------------

def source_object(response: Response, source: str):
    """``(kind, answer, note)`` of a form's `source` (``response``, ``answer:12``, ``transcript:<uuid>``...).

    :raise ApiError 422: not a text of this response.
    """
    if source == "response":
        return "response", None, None
    kind, _sep, key = source.partition(":")
    try:
        if kind in ("answer", "answer_translation"):
            answer = db.session.get(Answer, int(key))
            if answer is not None and answer.response_id == response.id and answer.text is not None:
                return kind, answer, None
        elif kind in ("transcript", "translation"):
            note = db.session.get(VoiceNote, uuid.UUID(key))
            if note is not None and note.response_id == response.id:
                return kind, None, note
    except ValueError:
        pass
    raise ApiError(422, "invalid_source", N_("Choose one of this response's texts."), field="source")


def text_of(kind: str, answer: Answer | None, note: VoiceNote | None) -> str:
    """The text a fragment of `kind` is taken from ("" when there is none yet)."""
    value = {"answer": lambda: answer.text, "answer_translation": lambda: answer.translation,
             "transcript": lambda: note.transcript, "translation": lambda: note.translation}[kind]()
    return value or ""


def locate(text: str, words: str, near: int | None) -> int | None:
    """Where `words` occur in `text`: the occurrence nearest `near` (else the first), or ``None``."""
    found, start = [], text.find(words)
    while start != -1:
        found.append(start)
        start = text.find(words, start + 1)
    if not found:
        return None
    return min(found, key=lambda at: abs(at - near)) if near is not None else found[0]


def fragment_span(text: str, words: str | None, start: int | None, end: int | None) -> tuple[int, int]:
    """The offsets of the fragment: the selection when it holds exactly `words`, else where the words are.

    :raise ApiError 422: the words are not in the text, or the text is empty.
    """
    if not text.strip():
        raise ApiError(422, "empty_text", N_("This text is empty: write the transcript or translation first."),
                       field="source")
    if not words:
        return (start, end) if start is not None and end is not None and 0 <= start < end <= len(text) \
            else (0, len(text))
    if start is not None and end is not None and text[start:end] == words:
        return start, end
    at = locate(text, words, start)
    if at is None:
        raise ApiError(422, "words_not_found", N_("These words are not in the chosen text."), field="words")
    return at, at + len(words)


def attach(theme: Theme, response: Response, values: dict, user) -> ThemeLink:
    """Put `theme` on the whole response or on a fragment of one of its texts (a whole-response theme that
    is already there is not added twice)."""
    kind, answer, note = source_object(response, values["source"])
    if kind == "response":
        existing = db.session.scalar(select(ThemeLink).where(
            ThemeLink.theme_id == theme.id, ThemeLink.response_id == response.id, ThemeLink.source_kind == "response"))
        if existing is not None:
            return existing
        link = ThemeLink(theme_id=theme.id, response_id=response.id, source_kind="response",
                         user_id=user.id)
    else:
        text = text_of(kind, answer, note)
        start, end = fragment_span(text, values.get("words"), values.get("start"), values.get("end"))
        link = ThemeLink(theme_id=theme.id, response_id=response.id, source_kind=kind,
                         answer_id=answer.id if answer else None, voice_note_id=note.id if note else None,
                         start_offset=start, end_offset=end, quoted_text=text[start:end], user_id=user.id)
    db.session.add(link)
    db.session.flush()
    return link


def response_links(response_id) -> list[ThemeLink]:
    return list(db.session.scalars(select(ThemeLink).where(ThemeLink.response_id == response_id)
                                   .order_by(ThemeLink.id)))


def response_link(response: Response, link_id: int) -> ThemeLink:
    """:raise 404: no such link on this response."""
    link = db.session.get(ThemeLink, link_id)
    if link is None or link.response_id != response.id:
        abort(404)
    return link


def remove_link(link: ThemeLink) -> None:
    db.session.delete(link)
    db.session.flush()


def relocate_fragments(kind: str, text: str | None, answer_id=None, voice_note_id=None) -> int:
    """After an edit of a text, move its fragments to where their words are now, or detach them (offsets
    ``None``) and take back their quotes' approval; returns how many were detached."""
    column = ThemeLink.answer_id == answer_id if answer_id is not None else ThemeLink.voice_note_id == voice_note_id
    detached = 0
    text = text or ""
    for link in db.session.scalars(select(ThemeLink).where(column, ThemeLink.source_kind == kind)):
        if link.start_offset is not None and text[link.start_offset:link.end_offset] == link.quoted_text:
            continue
        at = locate(text, link.quoted_text or "", link.start_offset) if link.quoted_text else None
        if at is None:
            link.start_offset = link.end_offset = None
            withdraw_approval(link.id)
            detached += 1
        else:
            link.start_offset, link.end_offset = at, at + len(link.quoted_text)
    db.session.flush()
    return detached


def withdraw_approval(link_id: int) -> None:
    quote = db.session.scalar(select(Quote).where(Quote.link_id == link_id))
    if quote is not None:
        quote.approved_at = quote.approved_by = None


# --- bulk attach and undo ------------------------------------------------------------------------------

def matching_responses(campaign_id, filters: dict):
    """The ids of the responses the inbox shows under `filters` (the inbox's own filter function)."""
    return select(Response.id).where(*filter_conditions(campaign_id, filters))


def not_yet_themed(theme_id: int):
    return ~exists().where(ThemeLink.response_id == Response.id, ThemeLink.theme_id == theme_id,
                           ThemeLink.source_kind == "response")


def bulk_counts(campaign_id, filters: dict, theme: Theme | None) -> tuple[int, int]:
    """``(responses matching, of which would get the theme now)``."""
    query = matching_responses(campaign_id, filters).subquery()
    total = db.session.scalar(select(func.count()).select_from(query)) or 0
    if theme is None:
        return total, total
    new = db.session.scalar(select(func.count()).select_from(
        matching_responses(campaign_id, filters).where(not_yet_themed(theme.id)).subquery())) or 0
    return total, new


def bulk_attach(theme: Theme, campaign_id, filters: dict, shown_filters: dict, user) -> ThemeBatch:
    """Put `theme` on every matching response that does not carry it yet, in one statement; the batch says
    which links it made."""
    now = utcnow()
    batch = ThemeBatch(theme_id=theme.id, user_id=user.id, filters=shown_filters, created_at=now)
    db.session.add(batch)
    db.session.flush()
    chosen = matching_responses(campaign_id, filters).where(not_yet_themed(theme.id)).with_only_columns(
        literal(theme.id), Response.id, literal("response"), literal(batch.id), literal(user.id),
        literal(now, UTCDateTime))
    db.session.execute(insert(ThemeLink).from_select(
        ["theme_id", "response_id", "source_kind", "batch_id", "user_id", "created_at"], chosen))
    # counted, not the driver's rowcount: PostgreSQL's drivers may not report one for INSERT ... SELECT
    batch.added = db.session.scalar(select(func.count()).where(ThemeLink.batch_id == batch.id))
    db.session.flush()
    return batch


def campaign_batch(campaign, batch_id: int) -> ThemeBatch:
    """:raise 404: no such batch in this campaign."""
    batch = db.session.get(ThemeBatch, batch_id)
    if batch is None or campaign_theme(campaign, batch.theme_id) is None:
        abort(404)
    return batch


def undo_batch(batch: ThemeBatch) -> int:
    """Remove exactly the links the batch made (those a coordinator removed already stay removed)."""
    removed = db.session.execute(delete(ThemeLink).where(ThemeLink.batch_id == batch.id)).rowcount
    batch.undone_at = batch.undone_at or utcnow()
    db.session.flush()
    return removed


def recent_batches(campaign_id, limit: int = 10) -> list[ThemeBatch]:
    return list(db.session.scalars(select(ThemeBatch).join(Theme, Theme.id == ThemeBatch.theme_id)
                                   .where(Theme.campaign_id == campaign_id)
                                   .order_by(ThemeBatch.id.desc()).limit(limit)))
