"""Importing a phone's rescue file: what could not be synced, carried over by hand, stored once."""

import base64
import json
import uuid

from .devices.models import Device
from .extensions import db
from .responses.operations import ingest_batch
from .voice.models import VoiceNote
from .voice.operations import append_chunk, declare_voice_note
from .voice.schemas import declaration_schema

BATCH = 100


def import_rescue_file(path: str) -> dict:
    """Import responses and voice notes; returns counts by outcome. Commits per batch."""
    with open(path, encoding="utf-8") as handle:
        rescue = json.load(handle)
    device = db.session.get(Device, uuid.UUID(rescue["device_id"])) if rescue.get("device_id") else None
    summary = {"created": 0, "duplicate": 0, "conflict": 0, "invalid": 0, "voice_notes": 0}
    responses = rescue.get("responses", [])
    for start in range(0, len(responses), BATCH):
        for result in ingest_batch(responses[start:start + BATCH], device=device):
            summary[result.status] += 1
        db.session.commit()
    for note in rescue.get("voice_notes", []):
        summary["voice_notes"] += import_voice_note(note, device)
        db.session.commit()
    return summary


def import_voice_note(entry: dict, device) -> int:
    """Store one note from the file unless it is already complete; 1 if it is complete afterwards."""
    data = declaration_schema.load({k: v for k, v in entry.items() if k != "data"})
    existing = db.session.get(VoiceNote, data["id"])
    if existing is not None and existing.state == "complete":
        return 1
    if existing is not None:
        existing.received_bytes = 0
    owner = device if device is not None else None
    note, _ = declare_voice_note(data, device=owner, upload_key=None) if existing is None else (existing, False)
    failure = append_chunk(note, 0, base64.b64decode(entry["data"]))
    return 0 if failure else 1
