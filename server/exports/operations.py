"""Rows for the exports, read in keyset batches so memory stays flat at any size.

Each batch is its own short transaction: a long export never holds a lock that stops devices from syncing.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import String, cast, exists, select, tuple_

from ..campaigns.models import Campaign, CampaignVersion
from ..database import begin_reading
from ..extensions import db
from ..responses.models import Answer, Response
from ..review.models import ResponseTag, Tag
from ..review.operations import campaign_sources, filter_conditions
from ..spreadsheet import safe_row
from ..themes.exports import theme_column_name, themes_of
from ..themes.models import Theme, ThemeLink
from ..themes.operations import campaign_themes
from ..voice.models import VoiceNote

FIXED_COLUMNS = ("response_id", "received_at", "collected_at", "campaign_version", "language", "channel",
                 "source", "buurt", "age_bracket", "review_state", "tags")
RESPONSE_FIELDS = (Response.id, Response.received_at, Response.collected_at, Response.campaign_version,
                   Response.language, Response.channel, Response.source_id, Response.buurt,
                   Response.age_bracket, Response.review_state)


@dataclass(frozen=True)
class Column:
    """One question's column: its answers, or the transcripts of its voice notes."""

    name: str
    question: str
    kind: str  # "answer", "voice" or "theme" (`question` is then the theme's id)


def question_columns(campaign: Campaign) -> list[Column]:
    """A column per question ever published (newest version's order first), and one for its voice notes."""
    definitions = [campaign.definition] + [row[0] for row in db.session.execute(
        select(CampaignVersion.definition).where(CampaignVersion.campaign_id == campaign.id)
        .order_by(CampaignVersion.number.desc()))]
    columns, seen = [], set()
    for definition in definitions:
        for question in definition.get("questions", []):
            if question["key"] in seen:
                continue
            seen.add(question["key"])
            if question["type"] != "voice":
                columns.append(Column(question["key"], question["key"], "answer"))
            if question.get("voice", "allowed") != "off":
                columns.append(Column(f"{question['key']}_voice", question["key"], "voice"))
    main = campaign.definition.get("default_language", "nl")
    return columns + [Column(theme_column_name(theme, main), theme.id, "theme")
                      for theme in campaign_themes(campaign.id)]


def header(columns: list[Column]) -> list[str]:
    return safe_row([*FIXED_COLUMNS, *(column.name for column in columns)])


def raw_id(column):
    """A UUID column read as text, so that a million rows need no UUID objects: dashed on PostgreSQL,
    32 hex digits on SQLite (see `display_id`)."""
    return cast(column, String)


def display_id(raw: str) -> str:
    """The dashed form of a raw id from `raw_id`."""
    if len(raw) == 32:
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
    return raw


RESPONSE_COLUMNS = (raw_id(Response.id), *RESPONSE_FIELDS[1:])


@dataclass
class Batch:
    """A batch of responses (first column: the raw id) with everything their rows show, keyed by raw id."""

    rows: list
    answers: dict
    tags: dict
    voice: dict
    #: ``{raw id: {theme id, ...}}``: the themes on each response (whole or by a fragment).
    themes: dict


def position_conditions(conditions: list, lower, upper) -> list:
    """`conditions` narrowed to the responses after `lower` up to and including `upper`.

    The plain bounds on `received_at` say nothing new, but they let PostgreSQL estimate the batch's size (it
    cannot for row comparisons, guesses far too many, and would then scan every answer instead of looking up
    the batch's).
    """
    position = tuple_(Response.received_at, Response.id)
    narrowed = [*conditions, position <= tuple_(*upper), Response.received_at <= upper[0]]
    if lower is not None:
        narrowed += [position > tuple_(*lower), Response.received_at >= lower[0]]
    return narrowed


def prefer_serial_plans() -> None:
    """On PostgreSQL, plan this transaction's small batch queries without parallel workers: starting them costs
    more than the few thousand rows a batch reads (measured: two to four times slower per batch)."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


def response_batches(campaign_id, filters: dict, size: int) -> Iterator[tuple]:
    """``(rows, conditions)`` for the filtered responses, oldest first, `size` at a time; `conditions` select
    exactly this batch's responses, for the queries of their answers, tags and voice notes."""
    conditions = filter_conditions(campaign_id, filters)
    lower = None
    while True:
        begin_reading()  # a slow download must not hold up the phones' writes
        prefer_serial_plans()
        query = select(*RESPONSE_COLUMNS).where(*conditions)
        if lower is not None:
            query = query.where(tuple_(Response.received_at, Response.id) > tuple_(*lower))
        rows = db.session.connection().execute(query.order_by(Response.received_at, Response.id)
                                               .limit(size)).all()
        if not rows:
            db.session.commit()
            return
        upper = (rows[-1][1], uuid.UUID(display_id(rows[-1][0])))
        yield rows, position_conditions(conditions, lower, upper)
        lower = upper
        db.session.commit()  # end this batch's transaction before the next


def campaign_has_tags(campaign_id) -> bool:
    return bool(db.session.scalar(select(exists().where(Tag.campaign_id == campaign_id))))


def campaign_has_voice(campaign_id) -> bool:
    return bool(db.session.scalar(select(exists().where(VoiceNote.response_id == Response.id,
                                                       Response.campaign_id == campaign_id))))


def grouped(query) -> dict:
    """``{raw id: {key: [row, ...]}}`` from rows whose first columns are the raw id and a key."""
    found: dict = {}
    for row in db.session.connection().execute(query).all():
        found.setdefault(row[0], {}).setdefault(row[1], []).append(row)
    return found


def answers_of(conditions: list) -> dict:
    """The batch's answers: ``{raw id: {question: [row, ...]}}``."""
    return grouped(select(raw_id(Answer.response_id), Answer.question_key, Answer.choice_key, Answer.number,
                          Answer.text).join(Response, Response.id == Answer.response_id).where(*conditions)
                   .order_by(Answer.id))


def tag_names_of(conditions: list) -> dict:
    found: dict = {}
    for response_id, name in db.session.connection().execute(
            select(raw_id(ResponseTag.response_id), Tag.name).join(Tag, Tag.id == ResponseTag.tag_id)
            .join(Response, Response.id == ResponseTag.response_id).where(*conditions).order_by(Tag.name)).all():
        found.setdefault(response_id, []).append(name)
    return found


def voice_notes_of(conditions: list) -> dict:
    """The batch's complete voice notes: ``{raw id: {question: [row, ...]}}``."""
    return grouped(select(raw_id(VoiceNote.response_id), VoiceNote.question_key, VoiceNote.duration_ms,
                          VoiceNote.transcript, VoiceNote.translation)
                   .join(Response, Response.id == VoiceNote.response_id)
                   .where(*conditions, VoiceNote.state == "complete").order_by(VoiceNote.created_at))


def campaign_has_themes(campaign_id) -> bool:
    return bool(db.session.scalar(select(exists().where(Theme.campaign_id == campaign_id))))


def theme_ids_of(conditions: list) -> dict:
    return themes_of(select(raw_id(ThemeLink.response_id), ThemeLink.theme_id)
                     .join(Response, Response.id == ThemeLink.response_id).where(*conditions))


def export_batches(campaign: Campaign, filters: dict, size: int) -> Iterator[Batch]:
    with_tags, with_voice = campaign_has_tags(campaign.id), campaign_has_voice(campaign.id)
    with_themes = campaign_has_themes(campaign.id)
    for rows, conditions in response_batches(campaign.id, filters, size):
        yield Batch(rows, answers_of(conditions), tag_names_of(conditions) if with_tags else {},
                    voice_notes_of(conditions) if with_voice else {},
                    theme_ids_of(conditions) if with_themes else {})


def answer_value(rows: list):
    """One question's answer as one cell: a choice key, keys joined by ``;``, a number or the text."""
    first = rows[0]
    if first[2] is not None:
        return ";".join(row[2] for row in rows)
    if first[3] is not None:
        return first[3]
    return first[4]


def voice_value(notes: list) -> str:
    """Transcripts (or "[voice note m:ss]" where none is written) of one question's notes."""
    parts = []
    for note in notes:
        seconds = round((note[2] or 0) / 1000)
        parts.append(note[3] or f"[voice note {seconds // 60}:{seconds % 60:02d}]")
    return " | ".join(parts)


def flat_rows(batch: Batch, columns: list[Column], source_names: dict) -> Iterator[list]:
    """One list of cell values per response (``None`` for no answer), every cell through `safe_row`: the
    spreadsheet writers (CSV and XLSX) write them as they are."""
    plan = [(column.kind, column.question) for column in columns]
    no_answers: dict = {}
    no_themes: set = set()
    for row in batch.rows:
        answers, notes = batch.answers.get(row[0], no_answers), batch.voice.get(row[0], no_answers)
        tags, themes = batch.tags.get(row[0]), batch.themes.get(row[0], no_themes)
        cells = [display_id(row[0]), row[1].isoformat(), row[2].isoformat(), row[3], row[4], row[5],
                 source_names.get(row[6]), row[7], row[8], row[9], ";".join(tags) if tags else None]
        for kind, question in plan:
            if kind == "theme":
                cells.append(1 if question in themes else None)
            elif kind == "answer":
                given = answers.get(question)
                cells.append(answer_value(given) if given else None)
            else:
                spoken = notes.get(question)
                cells.append(voice_value(spoken) if spoken else None)
        yield safe_row(cells)


def json_record(row, answers: dict, tags: list, notes: dict, source_names: dict, themes: list | None = None) -> dict:
    """One response as a JSON object (`themes`: the names of its themes)."""
    return {"themes": themes or [],
        "id": display_id(row[0]), "received_at": row[1].isoformat(), "collected_at": row[2].isoformat(),
        "campaign_version": row[3], "language": row[4], "channel": row[5], "source": source_names.get(row[6]),
        "buurt": row[7], "age_bracket": row[8], "review_state": row[9], "tags": tags or [],
        "answers": {key: [r[2] for r in given] if len(given) > 1 else answer_value(given)
                    for key, given in answers.items()},
        "voice_notes": [{"question": question, "duration_ms": note[2], "transcript": note[3],
                         "translation": note[4]} for question, spoken in notes.items() for note in spoken],
    }


def source_names(campaign: Campaign) -> dict:
    return campaign_sources(campaign.id)


def voice_files(campaign: Campaign, filters: dict, size: int) -> Iterator[list]:
    """Batches of ``(VoiceNote, response row)`` for the filtered responses' stored recordings."""
    for rows, conditions in response_batches(campaign.id, filters, size):
        by_id = {display_id(row[0]): row for row in rows}
        notes = db.session.scalars(select(VoiceNote).join(Response, Response.id == VoiceNote.response_id)
                                   .where(*conditions, VoiceNote.state == "complete",
                                          VoiceNote.audio_deleted_at.is_(None))
                                   .order_by(VoiceNote.created_at)).all()
        if notes:
            yield [(note, by_id[str(note.response_id)]) for note in notes]
