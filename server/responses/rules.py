"""The sync's rules, on plain values: what a response must be to be stored, and the rows its answers make.

No database here: `operations.py` loads what the rules need and `storing.py` writes what they accept.
"""

from dataclasses import dataclass, field
from datetime import UTC
from typing import NamedTuple

from flask_babel import gettext
from marshmallow import ValidationError

from ..errors import N_, flatten_errors
from ..util import canonical_json, normalise_code, sha256_hex
from .models import AGE_BRACKETS
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


class Parsed(NamedTuple):
    """A response of a batch that passed `load_response`."""

    #: Its place in the batch.
    index: int
    #: What `load_response` made of it.
    data: dict
    #: Its `content_hash`.
    digest: str


class SourceRow(NamedTuple):
    """What checking and storing a response needs to know of its flyer or door-to-door team."""

    id: int
    code: str
    campaign_id: object
    revoked_at: object
    #: ``flyer`` or ``door_to_door``: visitors without a device may only use flyers.
    kind: str


class AnswerRow(NamedTuple):
    """The shape of an answer's row, as `answer_reader` makes it; its fields are the `answers` columns the sync
    fills, in order.

    The readers make plain tuples in this order, not AnswerRow: a batch of 100 responses makes about 650 rows,
    and building them as AnswerRow made the checks 140 µs slower per batch (290 → 430 µs, some 2 % of a batch's
    time; `docs/performance.md`, issue 15). Nothing reads them by field: they go to the driver as they are.
    """

    #: The response's id as the caller gave it (the driver's value on the sync path).
    response_id: object
    question_key: str
    #: The chosen choice's key (choices, yes/no); else None.
    choice_key: str | None
    #: A smiley or a number; else None.
    number: int | None
    #: The trimmed text of a short text; else None.
    text: str | None


@dataclass(frozen=True)
class VersionIndex:
    """What validating answers against one frozen campaign version needs, built once per version."""

    campaign_id: object
    team_id: int
    state: str
    languages: frozenset
    buurten: frozenset
    #: The age brackets the campaign asks for (none when it asks for none), as its document lists them.
    age_brackets: frozenset
    #: key -> `answer_reader` of each question.
    readers: dict
    #: Keys of the questions a response must answer (by tapping or by voice).
    required: tuple
    #: Keys of the questions that may be answered by a voice note.
    by_voice: frozenset


def version_index(campaign_id, team_id: int, state: str, definition: dict) -> VersionIndex:
    """The `VersionIndex` of a campaign version's `definition`."""
    questions = definition["questions"]
    return VersionIndex(campaign_id, team_id, state, frozenset(definition["languages"]),
                        frozenset(definition.get("buurten", [])),
                        frozenset(AGE_BRACKETS if definition.get("ask_age_bracket", True) else ()),
                        {q["key"]: answer_reader(q) for q in questions},
                        tuple(q["key"] for q in questions if q.get("required")),
                        frozenset(q["key"] for q in questions if q.get("voice", "allowed") != "off"))


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
    """Validate each response on its own: ([Parsed], [ItemResult for the invalid ones]).

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
            parsed.append(Parsed(index, data, content_hash(data)))
    return parsed, failed


def checked_answer_rows(data: dict, version: VersionIndex | None, source: SourceRow | None, device,
                        response_id) -> list:
    """The answer rows (shaped as `AnswerRow`) of a response that may be stored for this sender; they hold
    `response_id` as given.

    :raise ItemInvalid: the response breaks a rule (the first one found).
    """
    if version is None or (device is not None and (version.team_id != device.team_id or
                                                   device.campaign_id not in (None, version.campaign_id))):
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
    age_bracket = data["meta"]["age_bracket"]
    if age_bracket is not None and age_bracket not in version.age_brackets:
        raise ItemInvalid("unknown_age_bracket", N_("This age group is not one of the campaign's."),
                          "meta.age_bracket")
    return checked_answers(data, version, response_id)


def check_attribution(data: dict, version: VersionIndex, source: SourceRow | None, device) -> None:
    if data["source"] is not None and (source is None or source.campaign_id != version.campaign_id):
        raise ItemInvalid("source_not_found", N_("This flyer code is not known."), "source")
    if device is None:
        if data["channel"] != "flyer" or source is None or source.kind != "flyer":
            raise ItemInvalid("source_required", N_("Answers without a device need a flyer code."), "source")
        if source.revoked_at is not None or version.state != "published":
            raise ItemInvalid("source_closed", N_("This poll has closed."), "source")


def checked_answers(data: dict, version: VersionIndex, response_id) -> list:
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
        answer_rows = read(response_id, answer["value"])
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
    """For one question, `read(response_id, value)`: the answer's rows (shaped as `AnswerRow`) if `value` fits
    the question, else None.

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


def conflict_result(index: int, data: dict) -> ItemResult:
    """The result of a response whose id is stored already with other content: the stored one is kept."""
    return ItemResult(index, str(data["id"]), "conflict", [ItemInvalid(
        "conflict", N_("A different response with this id is already stored; it was kept."), "id").to_error()])


def erased_result(index: int, data: dict) -> ItemResult:
    """The result of a response a resident erased: acknowledged, never stored again."""
    return ItemResult(index, str(data["id"]), "erased")


def tombstone_hash(response_id) -> str:
    """What an erased response leaves behind (`ErasedResponse`): the sha256 of its id as `str(uuid)` writes it."""
    return sha256_hex(str(response_id))


def note_may_stay(note_device_id, note_source_id, consent_audio: bool, source_id, device_id) -> bool:
    """Whether a note that came first may stay with its response: audio consent, and the same sender."""
    if not consent_audio:
        return False
    if device_id is not None:
        return note_device_id == device_id
    return note_device_id is None and note_source_id == source_id
