"""Storing a sync batch's new responses straight through the driver (flush, never commit): rows made ready
for the driver as they are built, the stored ids' hashes, bulk inserts, and early voice notes that may not stay.

See `server/bulk.py` for why the sync path bypasses SQLAlchemy's executemany here.
"""

from typing import NamedTuple

from sqlalchemy import select

from ..bulk import (
    KeyedQuery,
    insert_rows,
    loaded_values,
    on_session,
    rows_with_keys,
    rows_with_keys_together,
    value_binder,
    value_binders,
)
from ..extensions import db
from ..util import sha256_hex
from ..voice.models import VoiceNote
from ..voice.operations import delete_voice_notes
from .models import Answer, ErasedResponse, Response
from .rules import AnswerRow, note_may_stay, tombstone_hash


class NeedsSession(Exception):
    """A batch stored on a Core connection (`bulk.on_connection`) needs the ORM session after all: it deletes
    voice notes (their files go after the commit). The caller rolls back and stores it the usual way."""


class ResponseRow(NamedTuple):
    """A new response's row, holding what the driver stores (`ResponseRows`); its fields are the `responses`
    columns the sync fills, in order.

    Unlike the answer rows (`AnswerRow`), these are built as ResponseRow: one per response, read by field when
    early voice notes are checked; 70 ns more per row than a plain tuple, 7 µs per batch of 100.
    """

    id: object
    campaign_id: object
    campaign_version: int
    language: str
    channel: str
    source_id: int | None
    device_id: object
    collected_at: object
    received_at: object
    consent_answers: object
    consent_audio: object
    buurt: str | None
    age_bracket: str | None
    receipt_hash: str | None
    content_hash: str
    review_state: str


#: The columns of the rows that `ResponseRows` and `answer_reader` make, in order.
RESPONSE_COLUMNS = ResponseRow._fields
ANSWER_COLUMNS = AnswerRow._fields
#: The model columns the sync's rows leave out, and why. Every other column must be in `RESPONSE_COLUMNS` /
#: `ANSWER_COLUMNS` (`tests/server/test_bulk.py`): the driver does not run SQLAlchemy's Python-side
#: defaults, so a column left out is stored as NULL or as the database's own default.
LEFT_OUT = {
    Response.__tablename__: {
        "counted_hidden": "None until the results' running totals count the response (results/rollup.py)",
    },
    Answer.__tablename__: {
        "id": "numbered by the database",
        "translation": "the team's translation of a text, added in review",
    },
}
#: The columns `ResponseRows` binds before a row is built: once per response, campaign or batch.
BOUND_EARLY = ("id", "campaign_id", "device_id", "received_at")
#: A ResponseRow from the list of its values, skipping NamedTuple's `__new__` with one argument per field
#: (96 ns a row, where `ResponseRow(*values)` takes 177 ns and `tuple(values)` 29 ns).
_new_row = tuple.__new__


def response_id_binder():
    """The function that turns a response's id into the driver's value, which its rows and lookups hold."""
    return value_binder(Response.__table__, "id")


def stored_and_erased(ids: list[tuple]) -> tuple[dict, set]:
    """For (stored id, id) pairs (the id as the driver stores it, and as a UUID): stored id -> content hash of
    those already stored, and the ids of those a resident erased (`ErasedResponse`) among the others.

    Both are asked at once (one round trip in a PostgreSQL pipeline, `bulk.pipelined`), the stored ones first.
    """
    if not ids:
        return {}, set()
    by_hash = {tombstone_hash(response_id): (stored_id, response_id) for stored_id, response_id in ids}
    stored, found = rows_with_keys_together(
        KeyedQuery(Response.__table__, "id", ("id", "content_hash"), [stored_id for stored_id, _ in ids], True),
        KeyedQuery(ErasedResponse.__table__, "id_hash", ("id_hash",), list(by_hash)))
    stored = dict(stored)
    return stored, {by_hash[id_hash][1] for (id_hash,) in found if by_hash[id_hash][0] not in stored}


def insert_new(responses: list[ResponseRow], answers: list[AnswerRow]) -> None:
    """Insert a batch's new rows, every value the driver's already (`ResponseRows`, `response_id_binder`).

    :raise sqlalchemy.exc.IntegrityError: e.g. a concurrent request stored one of the ids first.
    """
    insert_rows(Response.__table__, RESPONSE_COLUMNS, responses, bound=True)
    insert_rows(Answer.__table__, ANSWER_COLUMNS, answers, bound=True)


class ResponseRows:
    """A batch's `ResponseRow`s, holding what the driver stores.

    Each value goes through its column type's bind processor (`value_binders`), so it is stored exactly as
    SQLAlchemy would store it; what repeats is bound once: the device and the time per batch, a campaign's id
    per campaign.
    """

    def __init__(self, sources: dict, device, now):
        binders = dict(zip(RESPONSE_COLUMNS, value_binders(Response.__table__, RESPONSE_COLUMNS), strict=True))
        self.sources, self.campaign_ids = sources, {}
        self.bind_campaign_id = value_binder(Response.__table__, "campaign_id")
        self.device_id = bind_once(binders["device_id"], device.id if device else None)
        self.received_at = bind_once(binders["received_at"], now)
        #: (place in the row, bind processor) of the columns bound as each row is built.
        self.late_binders = tuple((RESPONSE_COLUMNS.index(column), bind) for column, bind in binders.items()
                                  if bind is not None and column not in BOUND_EARLY)

    def row(self, data: dict, digest: str, stored_id) -> ResponseRow:
        """The response's row; `stored_id`: its id as the driver stores it."""
        campaign_id = self.campaign_ids.get(data["campaign_id"])
        if campaign_id is None:
            campaign_id = self.campaign_ids[data["campaign_id"]] = self.bind_campaign_id(data["campaign_id"])
        source = self.sources.get(data["source"])
        # In the order of ResponseRow's fields: a list, so the late binders can replace values in place.
        row = [stored_id, campaign_id, data["campaign_version"], data["language"], data["channel"],
               source.id if source else None, self.device_id, data["collected_at"], self.received_at,
               data["consent"]["answers"], data["consent"]["audio"], data["meta"]["buurt"],
               data["meta"]["age_bracket"], sha256_hex(data["receipt"].upper()) if data["receipt"] else None,
               digest, "new"]
        for index, bind in self.late_binders:
            if row[index] is not None:
                row[index] = bind(row[index])
        return _new_row(ResponseRow, row)


def bind_once(bind, value):
    return value if bind is None or value is None else bind(value)


class EarlyNote(NamedTuple):
    """A voice note that arrived before its response, as the driver returns it."""

    id: object
    response_id: object
    device_id: object
    source_id: int | None


def drop_unwelcome_voice_notes(rows: list[ResponseRow]) -> None:
    """Delete notes that arrived before their response but may not stay: the response came without audio
    consent, or the note was declared by another sender than the one who sent the response.

    `rows`: the new response rows, as the driver stores them (`ResponseRows`); the notes are read the same way.
    """
    if not rows:
        return
    responses = {row.id: row for row in rows}
    early = map(EarlyNote._make, rows_with_keys(VoiceNote.__table__, "response_id", EarlyNote._fields,
                                                list(responses), driver_values=True))
    unwelcome = [note.id for note in early if not may_stay(note, responses[note.response_id])]
    if unwelcome and not on_session():
        raise NeedsSession("a voice note that came first may not stay")
    if unwelcome:
        unwelcome = loaded_values(VoiceNote.__table__, "id", unwelcome)
        # FOR UPDATE (PostgreSQL): an upload still writing a chunk of one of them finishes first, so its file
        # is deleted after the last write, not recreated by it
        delete_voice_notes(db.session.scalars(select(VoiceNote).where(VoiceNote.id.in_(unwelcome))
                                              .with_for_update()).all())


def may_stay(note: EarlyNote, response: ResponseRow) -> bool:
    return note_may_stay(note.device_id, note.source_id, response.consent_audio, response.source_id,
                         response.device_id)
