"""Importing a phone's rescue file: what could not be synced, carried over by hand, stored once.

The whole file is checked before anything is stored (its shape with marshmallow, every response with the sync
API's own rules, every recording's size and sha256), and then stored in one transaction: a file is imported
whole or not at all. A file from a revoked phone is refused unless the operator says otherwise
(``--allow-revoked``); every import is in the audit log of the phone's team.
"""

import base64
import binascii
import json
import os

from marshmallow import ValidationError, validates_schema

from . import fields, validate
from .devices.models import Device
from .errors import N_, ApiError, ValidationCode, flatten_errors
from .extensions import db
from .privacy.operations import record_team_event
from .responses.operations import ingest_parsed
from .responses.rules import parse_items
from .storage import delete_file
from .util import sha256_hex
from .validation import RequestSchema
from .voice.models import VoiceNote
from .voice.operations import append_chunk, declare_voice_note
from .voice.schemas import VoiceNoteDeclarationSchema
from .voice.timing import ask_for_timed_copy

BATCH = 100
RESCUE_FORMAT = "wijkstem-rescue-1"
#: Errors listed in one message before "and N more".
SHOWN_ERRORS = 20


class RescueError(Exception):
    """A rescue file that cannot be imported; nothing of it was stored."""


class RescueVoiceNoteSchema(VoiceNoteDeclarationSchema):
    """A voice note in a rescue file: its declaration and its bytes (base64)."""

    data = fields.String(required=True, validate=validate.Length(1, 2**31))

    @validates_schema
    def check_bytes(self, values, **_kwargs):
        try:
            audio = base64.b64decode(values["data"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(ValidationCode("invalid_base64", N_("The recording is not valid base64.")),
                                  field_name="data")
        if len(audio) != values["size"] or sha256_hex(audio) != values["sha256"]:
            raise ValidationError(ValidationCode("checksum_mismatch",
                                                 N_("The recording does not match its size and sha256.")),
                                  field_name="data")
        values["audio"] = audio


class RescueFileSchema(RequestSchema):
    """The file the field app saves (`pwa/js/rescue.js`)."""

    format = fields.String(load_default=RESCUE_FORMAT, validate=validate.OneOf([RESCUE_FORMAT]))
    device_id = fields.UUID(load_default=None, allow_none=True)
    exported_at = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 64))
    #: Each response is checked by the sync API's own schema (`parse_items`).
    responses = fields.List(fields.Dict(), load_default=list)
    voice_notes = fields.List(fields.Nested(RescueVoiceNoteSchema), load_default=list)


rescue_file_schema = RescueFileSchema()


def error_lines(errors: list[dict], prefix: str = "") -> str:
    """``  field: message`` lines, at most `SHOWN_ERRORS` of them."""
    lines = [f"  {prefix}{error['field'] or '(file)'}: {error['message']}" for error in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        lines.append(f"  ... and {len(errors) - SHOWN_ERRORS} more")
    return "\n".join(lines)


def read_rescue_file(path: str) -> tuple[dict, list]:
    """The file's content and its parsed responses, checked whole; nothing is stored.

    :raise RescueError: unreadable, not JSON, or anything in it invalid (every problem is named).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as err:
        raise RescueError(f"{path} cannot be read: {err.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RescueError(f"{path} is not a rescue file: it is not valid JSON ({err})")
    if not isinstance(document, dict):
        raise RescueError(f"{path} is not a rescue file: it holds no JSON object with responses and voice notes")
    try:
        rescue = rescue_file_schema.load(document)
    except ValidationError as err:
        raise RescueError(f"{path} is not a valid rescue file; nothing was imported:\n"
                          + error_lines(flatten_errors(err.messages)))
    parsed, failed = parse_items(rescue["responses"], free_of_nul=True)
    if failed:
        errors = [{**error, "field": f"responses.{item.index}.{error['field'] or ''}".rstrip(".")}
                  for item in failed for error in item.errors]
        raise RescueError(f"{len(failed)} response(s) in {path} are not valid; nothing was imported:\n"
                          + error_lines(errors))
    return rescue, parsed


def rescue_device(device_id, allow_revoked: bool) -> Device | None:
    """The phone the file came from.

    :raise RescueError: unknown, or revoked without `allow_revoked`.
    """
    if device_id is None:
        return None
    device = db.session.get(Device, device_id)
    if device is None:
        raise RescueError(f"the file comes from phone {device_id}, which this server does not know; "
                          "nothing was imported")
    if device.revoked_at is not None and not allow_revoked:
        raise RescueError(f"the file comes from phone {device_id} ({device.label or 'no label'}), revoked on "
                          f"{device.revoked_at:%Y-%m-%d %H:%M} UTC; nothing was imported. If you know where this "
                          "file comes from, import it with --allow-revoked (the audit log records that).")
    return device


def import_rescue_file(path: str, *, allow_revoked: bool = False) -> dict:
    """Import a rescue file whole, in one transaction; returns counts by outcome.

    :raise RescueError: the file is invalid, comes from an unknown or (without `allow_revoked`) revoked phone,
        or one of its responses or recordings may not be stored; nothing is then stored.
    """
    rescue, parsed = read_rescue_file(path)
    device = rescue_device(rescue["device_id"], allow_revoked)
    written: list[str] = []
    try:
        summary = store_rescue(rescue, parsed, device, written)
        record_team_event("rescue_import", device.team_id if device else None, "device",
                          device.id if device else "", file=os.path.basename(path),
                          revoked_device=bool(device and device.revoked_at), allow_revoked=allow_revoked,
                          **summary)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for name in written:
            delete_file(name)
        raise
    return summary


def store_rescue(rescue: dict, parsed: list, device, written: list) -> dict:
    """Store the responses and recordings (flush, never commit); `written` collects the new files."""
    summary = {"created": 0, "duplicate": 0, "conflict": 0, "invalid": 0, "voice_notes": 0}
    refused = []
    for start in range(0, len(parsed), BATCH):
        for result in ingest_parsed(parsed[start:start + BATCH], [], device=device):
            summary[result.status] += 1
            if result.status == "invalid":
                refused += [{**error, "field": f"responses.{result.index}.{error['field'] or ''}".rstrip(".")}
                            for error in result.errors]
    if refused:
        raise RescueError(f"{summary['invalid']} response(s) may not be stored; nothing was imported:\n"
                          + error_lines(refused))
    for index, entry in enumerate(rescue["voice_notes"]):
        summary["voice_notes"] += import_voice_note(index, entry, device, written)
    return summary


def import_voice_note(index: int, entry: dict, device, written: list) -> int:
    """Store one note from the file unless it is already complete; 1 when it is complete afterwards.

    :raise RescueError: the note may not be stored, or its bytes are not a recording the server accepts.
    """
    existing = db.session.get(VoiceNote, entry["id"])
    if existing is not None and existing.state == "complete":
        return 1
    try:
        if existing is None:
            note, _created = declare_voice_note(entry, device=device, upload_key=None)
            written.append(note.storage_name)
        else:
            note = existing
            note.received_bytes = 0
        failure = append_chunk(note, 0, entry["audio"])
    except ApiError as err:
        failure = err
    if failure is not None:
        raise RescueError(f"voice note voice_notes.{index} ({entry['id']}) may not be stored: {failure.message}; "
                          "nothing was imported")
    ask_for_timed_copy(note)  # queued for when the import commits; forgotten if it rolls back
    return 1
