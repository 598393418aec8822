"""Storing synced responses exactly once (flush, never commit)."""

from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from typing import NamedTuple

import orjson
from flask_babel import gettext
from marshmallow import ValidationError
from sqlalchemy import delete, insert, select

from ..bulk import insert_rows, loaded_values, rows_with_keys, value_binder, value_binders
from ..campaigns.models import Campaign, CampaignVersion, Source
from ..errors import N_, flatten_errors
from ..extensions import db
from ..util import canonical_json, normalise_code, sha256_hex, utcnow
from ..voice.models import VoiceNote
from ..voice.operations import delete_voice_notes
from .models import Answer, Response, SyncConflict
from .schemas import load_response


@dataclass
class ItemResult:
    """The server's word on one response of a batch."""

    index: int
    id: str | None
    status: str
    errors: list = field(default_factory=list)

    def to_dict(self) -> dict:
        result = {"index": self.index, "id": self.id, "status": self.status}
        if self.errors:
            result["errors"] = self.errors
        return result


class ItemInvalid(Exception):
    """One response breaks a rule; `field` is the path within the response."""

    def __init__(self, code: str, msgid: str, field: str | None = None, **params):
        super().__init__(msgid)
        self.code, self.msgid, self.field, self.params = code, msgid, field, params

    def to_error(self) -> dict:
        return {"field": self.field, "code": self.code, "message": gettext(self.msgid).format(**self.params)}


@dataclass(frozen=True)
class VersionIndex:
    """What validating answers against one frozen campaign version needs, built once per version."""

    campaign_id: object
    team_id: int
    state: str
    languages: frozenset
    buurten: frozenset
    #: key -> `answer_reader` of each question.
    readers: dict
    #: Keys of the questions a response must answer (by tapping or by voice).
    required: tuple
    #: Keys of the questions that may be answered by a voice note.
    by_voice: frozenset


@lru_cache(maxsize=256)
def _version_index(campaign_id, team_id, state, etag, version_id) -> VersionIndex:
    definition = db.session.get(CampaignVersion, version_id).definition
    questions = definition["questions"]
    return VersionIndex(campaign_id, team_id, state, frozenset(definition["languages"]),
                        frozenset(definition.get("buurten", [])),
                        {q["key"]: answer_reader(q) for q in questions},
                        tuple(q["key"] for q in questions if q.get("required")),
                        frozenset(q["key"] for q in questions if q.get("voice", "allowed") != "off"))


def load_versions(pairs: set) -> dict:
    """(campaign_id, number) -> VersionIndex for the pairs that exist."""
    campaign_ids = list({campaign_id for campaign_id, _ in pairs})
    campaigns = {row[0]: row for row in rows_with_keys(Campaign.__table__, "id", ("id", "team_id", "state"),
                                                      campaign_ids)}
    versions = rows_with_keys(CampaignVersion.__table__, "campaign_id", ("id", "campaign_id", "number", "etag"),
                              list(campaigns))
    return {(campaign_id, number): _version_index(campaign_id, *campaigns[campaign_id][1:], etag, version_id)
            for version_id, campaign_id, number, etag in versions if (campaign_id, number) in pairs}


class SourceRow(NamedTuple):
    """What checking and storing a response needs to know of its flyer or door-to-door team."""

    id: int
    code: str
    campaign_id: object
    revoked_at: object


def load_sources(codes: set) -> dict:
    """code -> SourceRow for the codes that exist."""
    return {row[1]: SourceRow(*row) for row in rows_with_keys(
        Source.__table__, "code", ("id", "code", "campaign_id", "revoked_at"), list(codes))}


def checked_answer_rows(data: dict, version: VersionIndex | None, source: SourceRow | None, device,
                        stored_id) -> list:
    """The answer rows of a response that may be stored for this sender; `stored_id`: the response's id as
    the driver stores it (see `check_items`).

    :raise ItemInvalid: the response breaks a rule (the first one found).
    """
    if version is None or (device is not None and version.team_id != device.team_id):
        raise ItemInvalid("campaign_not_found", N_("This campaign or version is not known here."),
                          "campaign_version")
    if not data["consent"]["answers"]:
        raise ItemInvalid("consent_required", N_("Answers are only stored with the resident's consent."),
                          "consent.answers")
    if data["language"] not in version.languages:
        raise ItemInvalid("language_not_in_campaign", N_("This language is not part of the campaign."),
                          "language")
    check_attribution(data, version, source, device)
    buurt = data["meta"]["buurt"]
    if buurt is not None and buurt not in version.buurten:
        raise ItemInvalid("unknown_buurt", N_("This neighbourhood is not one of the campaign's."), "meta.buurt")
    return checked_answers(data, version, stored_id)


def check_attribution(data: dict, version: VersionIndex, source: SourceRow | None, device) -> None:
    if data["source"] is not None and (source is None or source.campaign_id != version.campaign_id):
        raise ItemInvalid("source_not_found", N_("This flyer code is not known."), "source")
    if device is None:
        if data["channel"] != "flyer" or source is None:
            raise ItemInvalid("source_required", N_("Answers without a device need a flyer code."), "source")
        if source.revoked_at is not None or version.state != "published":
            raise ItemInvalid("source_closed", N_("This poll has closed."), "source")


def checked_answers(data: dict, version: VersionIndex, stored_id) -> list:
    """The answer rows, once every answer and voice note fits its question and every required one is there."""
    rows, answered = [], set()
    for index, answer in enumerate(data["answers"]):
        key = answer["question"]
        read = version.readers.get(key)
        if read is None:
            raise ItemInvalid("unknown_question", N_("This question is not part of the campaign."),
                              f"answers.{index}.question")
        if key in answered:
            raise ItemInvalid("duplicate_answer", N_("A question was answered twice."), f"answers.{index}.question")
        answered.add(key)
        answer_rows = read(stored_id, answer["value"])
        if answer_rows is None:
            raise ItemInvalid("invalid_answer", N_("This answer does not fit the question."),
                              f"answers.{index}.value")
        rows += answer_rows
    for index, note in enumerate(data["voice_notes"]):
        if note["question"] not in version.by_voice:
            raise ItemInvalid("voice_not_allowed", N_("This question cannot be answered by voice."),
                              f"voice_notes.{index}.question")
        if not data["consent"]["audio"]:
            raise ItemInvalid("audio_consent_required",
                              N_("Voice notes are only stored with consent for the recording."), "consent.audio")
        answered.add(note["question"])
    if not answered.issuperset(version.required):
        raise ItemInvalid("answer_required", N_("This question must be answered."), "answers")
    return rows


def answer_reader(question: dict):
    """For one question, `read(response_id, value)`: the answer's rows if `value` fits the question, else None.

    Rows: one per chosen choice, else one holding the choice, the number or the (trimmed) text.
    """
    key, kind = question["key"], question["type"]
    choices = frozenset(c["key"] for c in question.get("choices", []))
    if kind == "single_choice":
        return lambda response_id, value: ([(response_id, key, value, None, None)]
                                           if isinstance(value, str) and value in choices else None)
    if kind == "multiple_choice":
        def read_choices(response_id, value):
            if (isinstance(value, list) and all(isinstance(v, str) and v in choices for v in value)
                    and 0 < len(value) == len(set(value))):
                return [(response_id, key, choice, None, None) for choice in value]
            return None
        return read_choices
    if kind == "yes_no":
        return lambda response_id, value: ([(response_id, key, value, None, None)]
                                           if isinstance(value, str) and value in ("yes", "no") else None)
    if kind in ("smiley", "number"):
        low, high = (1, 5) if kind == "smiley" else (question.get("min"), question.get("max"))

        def read_number(response_id, value):
            if (isinstance(value, int) and not isinstance(value, bool) and (low is None or value >= low)
                    and (high is None or value <= high) and abs(value) < 2**31):
                return [(response_id, key, None, value, None)]
            return None
        return read_number
    if kind == "short_text":
        longest = question.get("max_length", 300)

        def read_text(response_id, value):
            if isinstance(value, str) and 0 < len(text := value.strip()) <= longest:
                return [(response_id, key, None, None, text)]
            return None
        return read_text
    return lambda _response_id, _value: None  # voice questions are answered by voice notes only


#: The columns of the rows that `response_row` and `answer_reader` make, in order.
RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "device_id",
                    "collected_at", "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket",
                    "receipt_hash", "content_hash", "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "choice_key", "number", "text")
CONSENT_AUDIO, SOURCE_ID, DEVICE_ID = (RESPONSE_COLUMNS.index(name)
                                      for name in ("consent_audio", "source_id", "device_id"))
#: The columns `ResponseRows` binds before a row is built: once per response, campaign or batch.
BOUND_EARLY = ("id", "campaign_id", "device_id", "received_at")


def content_hash(data: dict) -> str:
    """sha256 of the response's content in a canonical form; equal content, equal hash.

    `collected_at` counts as an instant (stored in UTC), so ``10:15+01:00`` and ``09:15Z`` are the same content.
    """
    # canonical_json writes UUIDs as str() does and an aware datetime as its isoformat()
    return sha256_hex(canonical_json({**data, "collected_at": data["collected_at"].astimezone(UTC)}))


def invalid_result(index: int, raw, errors: list) -> ItemResult:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    return ItemResult(index, raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else None, "invalid", errors)


def parse_items(items: list, *, free_of_nul: bool = False) -> tuple[list, list]:
    """Validate each response on its own: ([(index, data, content hash)], [ItemResult for the invalid ones]).

    Needs no database, so the sync view runs it before its transaction starts. `free_of_nul`: see
    `load_response`.
    """
    parsed, failed = [], []
    for index, raw in enumerate(items):
        try:
            data = load_response(raw, free_of_nul=free_of_nul)
        except ValidationError as err:
            failed.append(invalid_result(index, raw, flatten_errors(err.messages)))
        else:
            if data["source"] is not None:
                data["source"] = normalise_code(data["source"])  # flyer codes are typed by hand
            parsed.append((index, data, content_hash(data)))
    return parsed, failed


def ingest_batch(items: list, *, device=None) -> list[ItemResult]:
    """Store each new response once; report duplicates, conflicts and invalid items per item."""
    parsed, failed = parse_items(items)
    return ingest_parsed(parsed, failed, device=device)


def ingest_parsed(parsed: list, failed: list, *, device=None) -> list[ItemResult]:
    """`ingest_batch` for items that `parse_items` has validated already."""
    return store_checked(check_items(parsed, failed, device=device), device=device)


@dataclass
class CheckedBatch:
    """A batch after `check_items`: what is invalid, and what may be stored."""

    #: ItemResult of each invalid response.
    invalid: list
    #: (index, data, content hash, stored id, answer rows) of each response that passed its checks; the
    #: stored id is the response's id as the driver stores it, and the answer rows hold it.
    accepted: list
    #: code -> SourceRow of the flyer codes the batch names.
    sources: dict


def check_items(parsed: list, failed: list, *, device=None) -> CheckedBatch:
    """Check each parsed response against its frozen campaign version and its sender, and make its answer rows.

    Only reads, so the sync view runs it before the transaction that writes (on SQLite, beside the writer).
    The answer rows hold the response's id as the driver stores it, bound once here for all of them.
    """
    versions = load_versions({(d["campaign_id"], d["campaign_version"]) for _, d, _ in parsed})
    sources = load_sources({d["source"] for _, d, _ in parsed if d["source"]})
    bind_id = value_binder(Response.__table__, "id")
    invalid, accepted = list(failed), []
    for index, data, digest in parsed:
        stored_id = bind_id(data["id"])
        try:
            rows = checked_answer_rows(data, versions.get((data["campaign_id"], data["campaign_version"])),
                                       sources.get(data["source"]), device, stored_id)
        except ItemInvalid as err:
            invalid.append(ItemResult(index, str(data["id"]), "invalid", [err.to_error()]))
        else:
            accepted.append((index, data, digest, stored_id, rows))
    return CheckedBatch(invalid, accepted, sources)


def store_checked(checked: CheckedBatch, *, device=None) -> list[ItemResult]:
    """Store what `check_items` accepted; every item's result, in the batch's order."""
    results = checked.invalid + store_accepted(checked.accepted, checked.sources, device)
    return sorted(results, key=lambda r: r.index)


def store_accepted(accepted: list, sources: dict, device) -> list[ItemResult]:
    """Insert what is new, log what conflicts, acknowledge what is already there.

    `accepted`: as in `CheckedBatch`. Rows go to the driver as they are built (`ResponseRows`).
    """
    stored = dict(rows_with_keys(Response.__table__, "id", ("id", "content_hash"),
                                 [stored_id for _, _, _, stored_id, _ in accepted], driver_values=True))
    now, results, responses, answers, conflicts = utcnow(), [], [], [], []
    response_rows = ResponseRows(sources, device, now)
    for index, data, digest, stored_id, rows in accepted:
        known = stored.get(stored_id)
        if known is None:
            stored[stored_id] = digest
            responses.append(response_rows.row(data, digest, stored_id))
            answers += rows
            results.append(ItemResult(index, str(data["id"]), "created"))
        elif known == digest:
            results.append(ItemResult(index, str(data["id"]), "duplicate"))
        else:
            conflicts.append({"response_id": data["id"], "device_id": device.id if device else None,
                              "received_at": now, "stored_hash": known, "incoming_hash": digest,
                              "incoming": items_json(data)})
            results.append(ItemResult(index, str(data["id"]), "conflict", [ItemInvalid(
                "conflict", N_("A different response with this id is already stored; it was kept."),
                "id").to_error()]))
    insert_rows(Response.__table__, RESPONSE_COLUMNS, responses, bound=True)
    insert_rows(Answer.__table__, ANSWER_COLUMNS, answers, bound=True)
    if conflicts:
        db.session.execute(insert(SyncConflict.__table__), conflicts)
    drop_unwelcome_voice_notes(responses)
    return results


class ResponseRows:
    """A batch's response rows, in the order of `RESPONSE_COLUMNS`, holding what the driver stores.

    Each value goes through its column type's bind processor (`value_binders`), so it is stored exactly as
    SQLAlchemy would store it; what repeats is bound once: the device and the time per batch, a campaign's id
    per campaign.
    """

    def __init__(self, sources: dict, device, now):
        binders = value_binders(Response.__table__, RESPONSE_COLUMNS)
        self.sources, self.campaign_ids = sources, {}
        self.bind_campaign_id = value_binder(Response.__table__, "campaign_id")
        self.device_id = bind_once(binders[DEVICE_ID], device.id if device else None)
        self.received_at = bind_once(binders[RESPONSE_COLUMNS.index("received_at")], now)
        self.late_binders = tuple((index, bind) for index, bind in enumerate(binders)
                                  if bind is not None and RESPONSE_COLUMNS[index] not in BOUND_EARLY)

    def row(self, data: dict, digest: str, stored_id) -> tuple:
        """The response's row; `stored_id`: its id as the driver stores it."""
        campaign_id = self.campaign_ids.get(data["campaign_id"])
        if campaign_id is None:
            campaign_id = self.campaign_ids[data["campaign_id"]] = self.bind_campaign_id(data["campaign_id"])
        source = self.sources.get(data["source"])
        row = [stored_id, campaign_id, data["campaign_version"], data["language"], data["channel"],
               source.id if source else None, self.device_id, data["collected_at"], self.received_at,
               data["consent"]["answers"], data["consent"]["audio"], data["meta"]["buurt"],
               data["meta"]["age_bracket"], sha256_hex(data["receipt"].upper()) if data["receipt"] else None,
               digest, "new"]
        for index, bind in self.late_binders:
            if row[index] is not None:
                row[index] = bind(row[index])
        return tuple(row)


def bind_once(bind, value):
    return value if bind is None or value is None else bind(value)


def items_json(data: dict) -> dict:
    """The refused version, JSON-safe, for the conflict log."""
    return orjson.loads(orjson.dumps(data, default=str))


def drop_unwelcome_voice_notes(rows: list[tuple]) -> None:
    """Delete notes that arrived before their response but may not stay: the response came without audio
    consent, or the note was declared by another sender than the one who sent the response.

    `rows`: the new response rows, as the driver stores them (`ResponseRows`); the notes are read the same way.
    """
    if not rows:
        return

    senders = {row[0]: (row[CONSENT_AUDIO], row[SOURCE_ID], row[DEVICE_ID]) for row in rows}
    early = rows_with_keys(VoiceNote.__table__, "response_id", ("id", "response_id", "device_id", "source_id"),
                           list(senders), driver_values=True)
    unwelcome = [note_id for note_id, response_id, device_id, source_id in early
                 if not note_may_stay(device_id, source_id, *senders[response_id])]
    if unwelcome:
        unwelcome = loaded_values(VoiceNote.__table__, "id", unwelcome)
        delete_voice_notes(db.session.scalars(select(VoiceNote).where(VoiceNote.id.in_(unwelcome))).all())


def note_may_stay(note_device_id, note_source_id, consent_audio: bool, source_id, device_id) -> bool:
    """Whether a note that came first may stay with its response: audio consent, and the same sender."""
    if not consent_audio:
        return False
    if device_id is not None:
        return note_device_id == device_id
    return note_device_id is None and note_source_id == source_id


def erase_by_receipt(receipt: str) -> int:
    """Erase every response (with answers and voice notes) that carries this receipt code."""
    digest = sha256_hex(receipt.strip().upper())
    ids = list(db.session.scalars(select(Response.id).where(Response.receipt_hash == digest)))
    if ids:
        delete_voice_notes(db.session.scalars(select(VoiceNote).where(VoiceNote.response_id.in_(ids))).all())
        db.session.execute(delete(Answer).where(Answer.response_id.in_(ids)))
        db.session.execute(delete(Response).where(Response.id.in_(ids)))
    return len(ids)


