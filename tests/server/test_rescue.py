"""`wijkstem import-rescue`: checked whole before anything is stored, stored whole or not at all, never a
traceback, and a revoked phone's file only when the operator says so (issue 11 §6)."""

import base64
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.devices.models import Device
from server.extensions import db
from server.privacy.models import AuditEvent
from server.responses.models import Response
from server.util import utcnow, uuid7
from server.voice.models import VoiceNote
from tests.factories import response_body, voice_declaration, wav_bytes


def rescue_document(campaign, device_id, responses: int = 2, **note_overrides) -> dict:
    bodies = [response_body(campaign) for _ in range(responses)]
    audio = wav_bytes(1.0)
    note = {**voice_declaration(bodies[0]["id"], audio, **note_overrides),
            "data": base64.b64encode(audio).decode()}
    bodies[0]["voice_notes"] = [{"id": note["id"], "question": "vertel"}]
    return {"format": "wijkstem-rescue-1", "device_id": str(device_id), "exported_at": "2026-12-04T10:00:00Z",
            "responses": bodies, "voice_notes": [note]}


def write(tmp_path, document, name="rescue.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def counts() -> tuple:
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(Response)),
            db.session.scalar(select(func.count()).select_from(VoiceNote)))


def media_files(app) -> list:
    return [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()]


def run(runner, path, *options):
    return runner.invoke(args=["import-rescue", str(path), *options])


def test_a_rescue_file_is_imported_once_and_audited(runner, campaign, enrolled, tmp_path, backend):
    path = write(tmp_path, rescue_document(campaign, enrolled[0]))
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created: 2, duplicate: 0, conflict: 0, invalid: 0, voice_notes: 1"
    assert run(runner, path).output.strip() == "created: 0, duplicate: 2, conflict: 0, invalid: 0, voice_notes: 1"
    assert counts() == (2, 1)
    assert db.session.scalars(select(VoiceNote)).one().state == "complete"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rescue_import")).all()
    assert [(e.object_id, e.details["created"], e.details["allow_revoked"]) for e in events] == [
        (enrolled[0], 2, False), (enrolled[0], 0, False)]


def spoil(document: dict, how: str):
    if how == "responses_not_a_list":
        document["responses"] = {"a": 1}
    elif how == "one_bad_response":
        document["responses"][1]["collected_at"] = "yesterday"
    elif how == "bad_base64":
        document["voice_notes"][0]["data"] = "not base64 at all!"
    elif how == "wrong_sha256":
        document["voice_notes"][0]["sha256"] = "0" * 64
    elif how == "unknown_format":
        document["format"] = "something-else"
    elif how == "unknown_field":
        document["extra"] = True
    elif how == "note_without_id":
        del document["voice_notes"][0]["id"]
    elif how == "nul_character":
        document["responses"][0]["answers"][-1]["value"] = "a\u0000b"
    return document


MALFORMED = ["responses_not_a_list", "one_bad_response", "bad_base64", "wrong_sha256", "unknown_format",
             "unknown_field", "note_without_id", "nul_character"]


@pytest.mark.parametrize("how", MALFORMED)
def test_a_malformed_file_gets_a_clear_error_and_stores_nothing(app, runner, campaign, enrolled, tmp_path, how,
                                                                backend):
    path = write(tmp_path, spoil(rescue_document(campaign, enrolled[0]), how))
    result = run(runner, path)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "nothing was imported" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)  # click's clean exit
    assert counts() == (0, 0) and media_files(app) == []


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]", "\"text\"", "\udcff"])
def test_a_file_that_is_not_json_gets_a_clear_error(runner, tmp_path, content, backend):
    path = tmp_path / "rescue.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    result = run(runner, path)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "not a rescue file" in result.output
    assert isinstance(result.exception, SystemExit)


def test_nothing_is_half_imported(app, runner, campaign, enrolled, tmp_path, backend):
    """The responses are fine, the last recording may not be stored: none of it is stored."""
    document = rescue_document(campaign, enrolled[0], responses=3)
    audio = wav_bytes(0.5)
    document["voice_notes"].append({**voice_declaration(document["responses"][2]["id"], audio, question="jaren"),
                                    "data": base64.b64encode(audio).decode()})
    result = run(runner, write(tmp_path, document))
    assert result.exit_code == 1 and "voice_notes.1" in result.output and "nothing was imported" in result.output
    assert counts() == (0, 0) and media_files(app) == []
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rescue_import")).all() == []


def test_a_response_the_server_refuses_refuses_the_file(runner, campaign, enrolled, tmp_path, backend):
    document = rescue_document(campaign, enrolled[0])
    document["responses"][1]["campaign_id"] = str(uuid.uuid4())
    result = run(runner, write(tmp_path, document))
    assert result.exit_code == 1 and "responses.1" in result.output
    assert counts() == (0, 0)


def test_a_revoked_phones_file_needs_allow_revoked_and_is_audited(runner, campaign, enrolled, tmp_path, backend):
    device = db.session.get(Device, uuid.UUID(enrolled[0]))
    device.revoked_at = utcnow()
    db.session.commit()
    path = write(tmp_path, rescue_document(campaign, enrolled[0]))
    refused = run(runner, path)
    assert refused.exit_code == 1 and "revoked" in refused.output and "--allow-revoked" in refused.output
    assert counts() == (0, 0)
    allowed = run(runner, path, "--allow-revoked")
    assert allowed.exit_code == 0, allowed.output
    assert counts() == (2, 1)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rescue_import")).one()
    assert (event.team_id, event.details["revoked_device"], event.details["allow_revoked"]) == (
        device.team_id, True, True)


def test_a_file_from_an_unknown_phone_is_refused(runner, campaign, enrolled, tmp_path, backend):
    result = run(runner, write(tmp_path, rescue_document(campaign, uuid7())))
    assert result.exit_code == 1 and "does not know" in result.output
    assert counts() == (0, 0)


def test_an_imported_recording_gets_its_timed_copy_from_a_job(app, runner, campaign, enrolled, tmp_path, backend):
    """A Chromium recording (WebM without a Duration) in the file gets a copy that states its length, as an
    uploaded one does."""
    from tests.server.test_voice import CONTAINERS, FFMPEG, encode

    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    args, content_type, _container = CONTAINERS["webm (Chromium-like, no Duration)"]
    audio = encode(tmp_path, 1, args)
    document = rescue_document(campaign, enrolled[0])
    document["voice_notes"] = [{**voice_declaration(document["responses"][0]["id"], audio, content_type=content_type),
                                "data": base64.b64encode(audio).decode()}]
    result = run(runner, write(tmp_path, document))
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    note = db.session.scalars(select(VoiceNote)).one()
    assert note.state == "complete" and note.timed_name is not None
    assert len(media_files(app)) == 2  # the recording as the phone made it, and its timed copy
