"""What anonymous visitors may upload (issue 11): real audio whose length explains its size, within hourly
caps per address and per flyer, only with a flyer's code, only while the flyer is out; and their notes
whose response never came are gone after a day."""

import os
import struct
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from server import create_app
from server.campaigns.operations import create_source, revoke_source
from server.extensions import db
from server.privacy.operations import apply_retention
from server.responses.models import Response
from server.util import utcnow
from server.voice.models import UploadAllowance, VoiceNote
from tests.factories import flyer_body, response_body, voice_declaration, wav_bytes

NOTES = "/api/v1/voice-notes"
CHUNK = "application/offset+octet-stream"
VISITOR = {"Upload-Key": "k3y-of-a-flyer-visitor-0123456789"}


def declare(client, headers, body, address="192.0.2.1"):
    return client.post(NOTES, json=body, headers=headers, environ_base={"REMOTE_ADDR": address})


def patch(client, headers, note_id, offset, chunk, address="192.0.2.1"):
    return client.patch(f"{NOTES}/{note_id}", data=chunk, environ_base={"REMOTE_ADDR": address},
                        headers={**headers, "Upload-Offset": str(offset), "Content-Type": CHUNK})


def upload(client, headers, body, data, address="192.0.2.1", chunk_size=64 * 1024):
    reply = declare(client, headers, body, address)
    assert reply.status_code in (200, 201), reply.json
    for offset in range(0, len(data), chunk_size):
        reply = patch(client, headers, body["id"], offset, data[offset:offset + chunk_size], address)
        if reply.status_code != 200:
            return reply
    return reply


def error_code(reply) -> str:
    return reply.json["error"]["code"]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def lying_wav(byte_rate: int, data_bytes: int) -> bytes:
    """A WAV header whose byte rate claims `byte_rate` bytes a second, and random bytes as its 'audio'."""
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, byte_rate, 2, 16)
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", data_bytes) + os.urandom(data_bytes))


# --- an upload must really be audio ---------------------------------------------------------------------

def test_a_wav_whose_header_lies_about_its_byte_rate_is_refused(app, client, flyer):
    data = lying_wav(50_000_000, 2 * 1024 * 1024)  # "lasts" 42 ms
    body = voice_declaration(uuid.uuid4(), data, source=flyer.code, duration_ms=42)
    reply = upload(client, VISITOR, body, data)
    # the byte rate does not match the PCM format it names, so the file tells no length the server believes
    assert reply.status_code == 422 and error_code(reply) == "audio_unreadable"
    assert reply.headers["Upload-Offset"] == "0"
    db.session.expire_all()
    note = db.session.get(VoiceNote, uuid.UUID(body["id"]))
    assert note.state == "uploading" and note.received_bytes == 0
    assert not any(path.is_file() for path in Path(app.config["MEDIA_DIR"]).rglob("*"))


def test_a_file_much_larger_than_its_length_explains_is_refused(client, auth):
    """One honest second of WAV, then a megabyte in a chunk no player reads: the length cannot explain the size."""
    junk = os.urandom(1024 * 1024)
    audio = wav_bytes(1.0)
    data = audio[:4] + struct.pack("<I", len(audio) - 8 + 8 + len(junk)) + audio[8:] + b"junk" + \
        struct.pack("<I", len(junk)) + junk
    reply = upload(client, auth, voice_declaration(uuid.uuid4(), data, duration_ms=1000), data)
    assert reply.status_code == 422 and error_code(reply) == "audio_implausible"


def test_a_wav_without_audio_data_has_no_length_and_is_refused(client, auth):
    data = b"RIFF" + struct.pack("<I", 4 + 8 + 4000) + b"WAVE" + b"junk" + struct.pack("<I", 4000) + os.urandom(4000)
    reply = upload(client, auth, voice_declaration(uuid.uuid4(), data, duration_ms=1000), data)
    assert reply.status_code == 422 and error_code(reply) == "audio_unreadable"


def test_an_honest_wav_at_a_high_rate_is_kept(client, auth):
    data = wav_bytes(1.0, rate=48_000)  # 96,000 bytes a second
    reply = upload(client, auth, voice_declaration(uuid.uuid4(), data), data)
    assert reply.status_code == 200 and reply.json["state"] == "complete"
    assert reply.json["duration_ms"] == 1000


# --- hourly caps per address and per flyer --------------------------------------------------------------

class TestUploadCaps:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "VOICE_BYTES_PER_ADDRESS_HOUR": 40_000, "VOICE_BYTES_PER_FLYER_HOUR": 60_000}

    def test_an_address_may_upload_so_many_bytes_an_hour(self, client, flyer):
        data = wav_bytes(1.0)  # 16,044 bytes
        for _ in range(2):
            reply = upload(client, VISITOR, voice_declaration(uuid.uuid4(), data, source=flyer.code), data)
            assert reply.json["state"] == "complete"
        reply = upload(client, VISITOR, voice_declaration(uuid.uuid4(), data, source=flyer.code), data)
        assert reply.status_code == 429 and error_code(reply) == "upload_quota_exceeded"
        assert 1 <= int(reply.headers["Retry-After"]) <= 3600
        # the refused chunk counted for nothing; another address may still upload
        assert upload(client, VISITOR, voice_declaration(uuid.uuid4(), data, source=flyer.code), data,
                      address="192.0.2.2").json["state"] == "complete"

    def test_a_flyer_may_take_so_many_bytes_an_hour_from_all_addresses(self, client, flyer):
        data = wav_bytes(1.0)
        states = [upload(client, VISITOR, voice_declaration(uuid.uuid4(), data, source=flyer.code), data,
                         address=f"192.0.2.{n}") for n in range(1, 5)]
        assert [r.status_code for r in states] == [200, 200, 200, 429]
        assert error_code(states[-1]) == "upload_quota_exceeded"

    def test_devices_are_not_capped(self, client, auth):
        data = wav_bytes(1.0)
        for _ in range(4):
            assert upload(client, auth, voice_declaration(uuid.uuid4(), data), data).json["state"] == "complete"

    @pytest.mark.commits
    def test_the_caps_hold_across_workers(self, app_config, client, flyer):
        """Two apps on one database, as two gunicorn workers are: they count in the same place."""
        other_worker = create_app(app_config)
        code, data = flyer.code, wav_bytes(1.0)
        db.session.commit()  # on SQLite this test's own session would hold the writers' turn
        try:
            first = upload(client, VISITOR, voice_declaration(uuid.uuid4(), data, source=code), data)
            db.session.commit()
            with other_worker.test_client() as second_client:
                second = upload(second_client, VISITOR, voice_declaration(uuid.uuid4(), data, source=code), data)
                third = upload(second_client, VISITOR, voice_declaration(uuid.uuid4(), data, source=code), data)
            assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
        finally:
            with other_worker.app_context():
                db.session.remove()
                db.engine.dispose()

    def test_the_retention_sweep_forgets_past_hours(self, client, flyer):
        data = wav_bytes(1.0)
        upload(client, VISITOR, voice_declaration(uuid.uuid4(), data, source=flyer.code), data)
        assert count(UploadAllowance) == 2  # the address's and the flyer's
        db.session.execute(update(UploadAllowance).values(hour=UploadAllowance.hour - 1))
        db.session.commit()
        apply_retention()
        db.session.commit()
        assert count(UploadAllowance) == 0


# --- only flyers, and only while they are out -----------------------------------------------------------

@pytest.fixture
def door_to_door(campaign):
    source = create_source(campaign, "Team Noord", kind="door_to_door")
    db.session.commit()
    return source


def test_visitors_cannot_use_a_door_to_door_code(client, campaign, door_to_door):
    reply = client.post("/api/v1/sync", json={"responses": [flyer_body(campaign, door_to_door)]})
    assert reply.json["results"][0]["status"] == "invalid"
    assert reply.json["results"][0]["errors"][0]["code"] == "source_required"
    reply = declare(client, VISITOR, voice_declaration(uuid.uuid4(), wav_bytes(), source=door_to_door.code))
    assert reply.status_code == 422 and error_code(reply) == "source_required"
    assert client.get(f"/api/v1/sources/{door_to_door.code}").status_code == 404
    assert client.get(f"/f/{door_to_door.code}").status_code == 404
    assert count(Response) == 0 and count(VoiceNote) == 0


def test_devices_still_attribute_responses_to_a_door_to_door_team(client, auth, campaign, door_to_door):
    reply = client.post("/api/v1/sync", json={"responses": [response_body(campaign, source=door_to_door.code)]},
                        headers=auth)
    assert reply.json["results"][0]["status"] == "created"


def test_a_note_declared_before_its_flyer_was_revoked_cannot_be_completed_after(client, flyer):
    data = wav_bytes(1.0)
    body = voice_declaration(uuid.uuid4(), data, source=flyer.code)
    declare(client, VISITOR, body)
    assert patch(client, VISITOR, body["id"], 0, data[:4000]).status_code == 200
    revoke_source(flyer)
    db.session.commit()
    reply = patch(client, VISITOR, body["id"], 4000, data[4000:])
    assert reply.status_code == 410 and error_code(reply) == "source_closed"
    db.session.expire_all()
    assert db.session.get(VoiceNote, uuid.UUID(body["id"])).state == "uploading"


# --- a visitor's note whose response never came ---------------------------------------------------------

def test_a_visitors_note_whose_response_never_came_is_deleted_after_a_day(app, client, auth, flyer):
    data = wav_bytes()
    visitors = voice_declaration(uuid.uuid4(), data, source=flyer.code)
    devices = voice_declaration(uuid.uuid4(), data)
    upload(client, VISITOR, visitors, data)
    upload(client, auth, devices, data)
    two_days_ago = utcnow() - timedelta(days=2)
    db.session.execute(update(VoiceNote).values(created_at=two_days_ago))
    db.session.commit()
    assert apply_retention().unclaimed == 1
    db.session.commit()
    db.session.expire_all()
    remaining = db.session.scalars(select(VoiceNote.id)).all()
    assert remaining == [uuid.UUID(devices["id"])]  # a device's note waits VOICE_UNCLAIMED_DAYS (30)
    assert app.config["VOICE_UNCLAIMED_ANONYMOUS_DAYS"] == 1


# --- a 500 in a race --------------------------------------------------------------------------------------

def sync_in_another_session(app, body, headers):
    """POST a sync from another thread (its own app context, session and connection), as a second phone
    request handled beside this one would be; returns its reply."""
    replies = []
    worker = threading.Thread(target=lambda: replies.append(
        app.test_client().post("/api/v1/sync", json={"responses": [body]}, headers=headers)))
    worker.start()
    worker.join(30)
    return replies[0]


def test_a_chunk_whose_note_is_deleted_by_a_sync_right_after_its_commit_gets_no_500(app, client, auth,
                                                                                  campaign):
    """Issue 11: a PATCH in flight while its response arrives without audio consent sometimes got 500
    (`ObjectDeletedError`): the sync deleted the note between the PATCH's commit and its reply. Here the
    sync runs exactly there, every time."""
    body = response_body(campaign, consent={"answers": True, "audio": False})
    data = wav_bytes()
    declaration = voice_declaration(body["id"], data)
    assert client.post(NOTES, json=declaration, headers=auth).status_code == 201
    syncs = []

    def sync_now(_session):
        if threading.current_thread() is threading.main_thread() and not syncs:
            syncs.append(None)
            syncs[0] = sync_in_another_session(app, body, auth)

    event.listen(Session, "after_commit", sync_now)
    try:
        reply = client.patch(f"{NOTES}/{declaration['id']}", data=data[:1000],
                             headers={**auth, "Upload-Offset": "0", "Content-Type": CHUNK})
    finally:
        event.remove(Session, "after_commit", sync_now)
    assert syncs and syncs[0].json["results"][0]["status"] == "created"
    assert reply.status_code == 200 and reply.json["offset"] == 1000  # what this request committed
    following = client.patch(f"{NOTES}/{declaration['id']}", data=data[1000:2000],
                             headers={**auth, "Upload-Offset": "1000", "Content-Type": CHUNK})
    assert following.status_code == 404 and error_code(following) == "voice_note_not_found"
    db.session.expire_all()
    assert count(VoiceNote) == 0
    assert not any(path.is_file() for path in Path(app.config["MEDIA_DIR"]).rglob("*"))
