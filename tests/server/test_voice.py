"""Resumable voice-note uploads: declare, HEAD for the offset, PATCH chunks, verified on completion."""

import hashlib
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from server.campaigns.operations import close_campaign, revoke_source
from server.devices.operations import make_enrolment_code
from server.extensions import db
from server.voice.models import VoiceNote
from tests.factories import flyer_body, response_body, voice_declaration, wav_bytes

NOTES = "/api/v1/voice-notes"
CHUNK = "application/offset+octet-stream"
VISITOR_KEY = "k3y-of-a-flyer-visitor-0123456789"


def declare(client, headers, body):
    return client.post(NOTES, json=body, headers=headers)


def patch(client, headers, note_id, offset, chunk, content_type=CHUNK):
    return client.patch(f"{NOTES}/{note_id}", data=chunk,
                        headers={**headers, "Upload-Offset": str(offset), "Content-Type": content_type})


def head(client, headers, note_id):
    return client.head(f"{NOTES}/{note_id}", headers=headers)


def upload(client, headers, body, data, chunk_size=4096):
    """Declare and send `data` in chunks; the last reply."""
    reply = declare(client, headers, body)
    assert reply.status_code in (200, 201), reply.json
    for offset in range(0, len(data), chunk_size):
        reply = patch(client, headers, body["id"], offset, data[offset:offset + chunk_size])
    return reply


def note(note_id) -> VoiceNote | None:
    db.session.expire_all()
    return db.session.get(VoiceNote, uuid.UUID(str(note_id)))


def stored_bytes(app, note_id) -> bytes:
    return (Path(app.config["MEDIA_DIR"]) / note(note_id).storage_name).read_bytes()


def media_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file())


def error_code(reply) -> str:
    return reply.json["error"]["code"]


@pytest.fixture
def other_device(client, team):
    code = make_enrolment_code(team, "Andere telefoon")
    db.session.commit()
    token = client.post("/api/v1/devices/enrol", json={"code": code}).json["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def visitor():
    return {"Upload-Key": VISITOR_KEY}


# --- the happy path -------------------------------------------------------------------------------------

def test_declare_then_upload_in_chunks_completes_with_identical_bytes(app, client, auth, campaign):
    data = wav_bytes(1.0)
    body = voice_declaration(uuid.uuid4(), data)
    declared = declare(client, auth, body)
    assert declared.status_code == 201
    assert declared.json == {"id": body["id"], "state": "uploading", "offset": 0, "size": len(data),
                             "duration_ms": None}
    assert declared.headers["Upload-Offset"] == "0" and declared.headers["Upload-Length"] == str(len(data))
    offsets = []
    for offset in range(0, len(data), 5000):
        reply = patch(client, auth, body["id"], offset, data[offset:offset + 5000])
        assert reply.status_code == 200
        offsets.append(int(reply.headers["Upload-Offset"]))
    assert offsets == [min(o + 5000, len(data)) for o in range(0, len(data), 5000)]
    assert reply.json["state"] == "complete" and reply.json["duration_ms"] == 1000
    stored = note(body["id"])
    assert stored.container == "wav" and stored.completed_at is not None
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_bytes(app, body["id"]) == data


def test_declaring_again_returns_the_current_state(client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    patch(client, auth, body["id"], 0, data[:1000])
    again = declare(client, auth, body)
    assert again.status_code == 200 and again.json["offset"] == 1000


def test_declaring_the_same_id_with_other_content_is_a_conflict(client, auth):
    body = voice_declaration(uuid.uuid4(), wav_bytes())
    declare(client, auth, body)
    reply = declare(client, auth, {**body, "size": body["size"] + 1})
    assert reply.status_code == 409 and error_code(reply) == "voice_note_conflict"
    assert reply.json["error"]["field"] == "id"


def test_content_type_parameters_are_ignored(client, auth):
    data = wav_bytes()
    reply = upload(client, auth, voice_declaration(uuid.uuid4(), data, content_type="Audio/WAV; codecs=1"), data)
    assert reply.json["state"] == "complete"


# --- resuming -------------------------------------------------------------------------------------------

def test_head_tells_the_offset_to_resume_from(client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    patch(client, auth, body["id"], 0, data[:3000])
    reply = head(client, auth, body["id"])
    assert reply.status_code == 200 and reply.data == b""
    assert reply.headers["Upload-Offset"] == "3000" and reply.headers["Upload-Length"] == str(len(data))
    assert reply.headers["Cache-Control"] == "no-store"
    state = client.get(f"{NOTES}/{body['id']}", headers=auth)
    assert state.json["offset"] == 3000 and state.json["state"] == "uploading"


def test_upload_resumes_after_an_interruption(app, client, auth):
    data = wav_bytes(1.0)
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    patch(client, auth, body["id"], 0, data[:4000])
    # the next chunk never arrived; the client asks where to continue
    offset = int(head(client, auth, body["id"]).headers["Upload-Offset"])
    assert offset == 4000
    reply = patch(client, auth, body["id"], offset, data[offset:])
    assert reply.json["state"] == "complete"
    assert stored_bytes(app, body["id"]) == data


def test_chunk_at_the_wrong_offset_is_refused_with_the_servers_offset(client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    patch(client, auth, body["id"], 0, data[:2000])
    for wrong in (0, 1000, 2500):
        reply = patch(client, auth, body["id"], wrong, data[wrong:wrong + 100])
        assert reply.status_code == 409 and error_code(reply) == "offset_mismatch"
        assert reply.headers["Upload-Offset"] == "2000" and reply.json["error"]["offset"] == 2000
    assert note(body["id"]).received_bytes == 2000


def test_resent_chunk_after_a_lost_acknowledgement_is_refused_and_harmless(app, client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    patch(client, auth, body["id"], 0, data[:3000])
    assert patch(client, auth, body["id"], 0, data[:3000]).status_code == 409
    assert patch(client, auth, body["id"], 3000, data[3000:]).json["state"] == "complete"
    assert stored_bytes(app, body["id"]) == data


# --- content checks and caps ----------------------------------------------------------------------------

def test_damaged_upload_is_reset_and_can_be_sent_again(app, client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    damaged = data[:500] + bytes(100) + data[600:]
    reply = patch(client, auth, body["id"], 0, damaged)
    assert reply.status_code == 422 and error_code(reply) == "checksum_mismatch"
    assert reply.json["error"]["field"] == "sha256"
    assert reply.headers["Upload-Offset"] == "0"
    assert note(body["id"]).received_bytes == 0 and note(body["id"]).state == "uploading"
    assert media_files(app) == []
    assert patch(client, auth, body["id"], 0, data).json["state"] == "complete"
    assert stored_bytes(app, body["id"]) == data


def test_bytes_that_are_not_audio_are_refused_whatever_the_declared_type(app, client, auth):
    fake = b"RIFX" + b"<script>alert(1)</script>" * 40
    reply = upload(client, auth, voice_declaration(uuid.uuid4(), fake), fake)
    assert reply.status_code == 415 and error_code(reply) == "unsupported_audio"
    assert media_files(app) == []


def test_audio_in_another_container_than_declared_is_refused(client, auth):
    data = wav_bytes()
    reply = upload(client, auth, voice_declaration(uuid.uuid4(), data, content_type="audio/webm"), data)
    assert reply.status_code == 415 and error_code(reply) == "unsupported_audio"


@pytest.mark.parametrize("content_type", ["audio/mpeg", "text/html", "application/octet-stream", "video/x-msvideo"])
def test_content_type_outside_the_allowlist_is_refused_at_declaration(client, auth, content_type):
    reply = declare(client, auth, voice_declaration(uuid.uuid4(), wav_bytes(), content_type=content_type))
    assert reply.status_code == 415 and error_code(reply) == "unsupported_audio"
    assert reply.json["error"]["field"] == "content_type"
    assert db.session.scalars(select(VoiceNote)).first() is None


def test_note_over_the_size_cap_is_refused_at_declaration(app, client, auth):
    data = wav_bytes()
    too_big = app.config["VOICE_MAX_BYTES"] + 1
    reply = declare(client, auth, voice_declaration(uuid.uuid4(), data, size=too_big))
    assert reply.status_code == 413 and error_code(reply) == "audio_too_large"


def test_more_bytes_than_declared_are_refused(client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    reply = patch(client, auth, body["id"], 0, data + b"extra")
    assert reply.status_code == 413 and error_code(reply) == "upload_too_large"
    assert note(body["id"]).received_bytes == 0


def test_declared_duration_over_the_cap_is_refused(app, client, auth):
    too_long = app.config["VOICE_MAX_SECONDS"] * 1000 + 1
    reply = declare(client, auth, voice_declaration(uuid.uuid4(), wav_bytes(), duration_ms=too_long))
    assert reply.status_code == 422 and error_code(reply) == "audio_too_long"


class TestSmallCaps:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "VOICE_MAX_SECONDS": 1, "VOICE_MAX_CHUNK": 2048}

    def test_recording_longer_than_the_cap_is_refused_on_completion(self, app, client, auth):
        data = wav_bytes(1.5)
        body = voice_declaration(uuid.uuid4(), data, duration_ms=900)  # the container tells the truth
        reply = upload(client, auth, body, data, chunk_size=2048)
        assert reply.status_code == 422 and error_code(reply) == "audio_too_long"
        assert note(body["id"]).received_bytes == 0
        assert media_files(app) == []

    def test_chunk_over_the_cap_is_refused(self, client, auth):
        data = wav_bytes()
        body = voice_declaration(uuid.uuid4(), data)
        declare(client, auth, body)
        reply = patch(client, auth, body["id"], 0, data[:2049])
        assert reply.status_code == 413 and error_code(reply) == "chunk_too_large"
        assert patch(client, auth, body["id"], 0, data[:2048]).status_code == 200


def test_chunk_must_be_sent_as_octets_with_an_offset(client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    wrong_type = patch(client, auth, body["id"], 0, data[:100], content_type="application/json")
    assert wrong_type.status_code == 415 and error_code(wrong_type) == "chunk_type_required"
    for offset in ("", "-1", "1.5", "²", "9" * 5000, "0x10"):
        reply = client.patch(f"{NOTES}/{body['id']}", data=data[:100],
                             headers={**auth, "Content-Type": CHUNK, "Upload-Offset": offset})
        assert reply.status_code == 400 and error_code(reply) == "offset_required", offset
    assert note(body["id"]).received_bytes == 0


# --- a complete note is never stored twice --------------------------------------------------------------

def test_uploading_a_complete_note_again_stores_nothing(app, client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    upload(client, auth, body, data)
    files, completed = media_files(app), note(body["id"]).completed_at
    mtime = files[0].stat().st_mtime_ns
    again = upload(client, auth, body, data, chunk_size=1000)
    assert again.status_code == 200 and again.json["state"] == "complete"
    assert declare(client, auth, body).status_code == 200
    assert media_files(app) == files and files[0].stat().st_mtime_ns == mtime
    assert note(body["id"]).completed_at == completed
    assert len(db.session.scalars(select(VoiceNote)).all()) == 1


# --- who may touch a note -------------------------------------------------------------------------------

def test_another_device_cannot_see_or_touch_a_note(client, auth, other_device):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    declare(client, auth, body)
    assert head(client, other_device, body["id"]).status_code == 404
    assert error_code(client.get(f"{NOTES}/{body['id']}", headers=other_device)) == "voice_note_not_found"
    assert error_code(patch(client, other_device, body["id"], 0, data)) == "voice_note_not_found"
    assert error_code(declare(client, other_device, body)) == "voice_note_not_found"
    assert note(body["id"]).received_bytes == 0


def test_unknown_note_is_not_found(client, auth):
    assert error_code(client.get(f"{NOTES}/{uuid.uuid4()}", headers=auth)) == "voice_note_not_found"


def test_flyer_visitor_uploads_with_an_upload_key(app, client, campaign, flyer, visitor):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data, source=flyer.code)
    reply = upload(client, visitor, body, data)
    assert reply.json["state"] == "complete"
    stored = note(body["id"])
    assert stored.device_id is None and stored.source_id == flyer.id
    assert stored.upload_key_hash == hashlib.sha256(VISITOR_KEY.encode()).hexdigest()
    assert head(client, visitor, body["id"]).headers["Upload-Offset"] == str(len(data))


def test_others_cannot_touch_a_visitors_note(client, auth, flyer, visitor):
    body = voice_declaration(uuid.uuid4(), wav_bytes(), source=flyer.code)
    declare(client, visitor, body)
    other_key = {"Upload-Key": "another-visitor-key-0123456789"}
    assert error_code(client.get(f"{NOTES}/{body['id']}", headers=other_key)) == "voice_note_not_found"
    assert error_code(client.get(f"{NOTES}/{body['id']}", headers=auth)) == "voice_note_not_found"
    assert error_code(declare(client, other_key, body)) == "voice_note_not_found"


@pytest.mark.parametrize("headers", [{}, {"Upload-Key": "too-short"}])
def test_visitor_needs_an_upload_key(client, flyer, headers):
    reply = declare(client, headers, voice_declaration(uuid.uuid4(), wav_bytes(), source=flyer.code))
    assert reply.status_code == 401 and error_code(reply) == "upload_key_required"


def test_upload_key_is_never_taken_from_the_url(client, flyer, visitor):
    body = voice_declaration(uuid.uuid4(), wav_bytes(), source=flyer.code)
    declare(client, visitor, body)
    reply = client.get(f"{NOTES}/{body['id']}?upload_key={VISITOR_KEY}")
    assert reply.status_code == 401


def test_visitor_needs_an_open_flyer(client, flyer, visitor):
    for source in (None, "ZZZZZZ"):
        reply = declare(client, visitor, voice_declaration(uuid.uuid4(), wav_bytes(), source=source))
        assert reply.status_code == 422 and error_code(reply) == "source_required"
    revoke_source(flyer)
    db.session.commit()
    reply = declare(client, visitor, voice_declaration(uuid.uuid4(), wav_bytes(), source=flyer.code))
    assert reply.status_code == 410 and error_code(reply) == "source_closed"


def test_visitor_cannot_record_for_a_closed_campaign(client, campaign, flyer, visitor):
    close_campaign(campaign)
    db.session.commit()
    reply = declare(client, visitor, voice_declaration(uuid.uuid4(), wav_bytes(), source=flyer.code.lower()))
    assert reply.status_code == 410 and error_code(reply) == "source_closed"


# --- notes and their responses, in either order ---------------------------------------------------------

def sync(client, headers, *responses):
    return client.post("/api/v1/sync", json={"responses": list(responses)}, headers=headers)


def with_voice(campaign, note_id, **overrides):
    return response_body(campaign, voice_notes=[{"id": str(note_id), "question": "vertel"}], **overrides)


def test_note_may_arrive_before_its_response(app, client, auth, campaign):
    data = wav_bytes()
    response_id = uuid.uuid4()
    body = voice_declaration(response_id, data)
    assert upload(client, auth, body, data).json["state"] == "complete"
    reply = sync(client, auth, with_voice(campaign, body["id"], id=str(response_id)))
    assert reply.json["results"][0]["status"] == "created"
    assert note(body["id"]).state == "complete"
    assert stored_bytes(app, body["id"]) == data


def test_note_may_arrive_after_its_response(client, auth, campaign):
    response = with_voice(campaign, uuid.uuid4())
    sync(client, auth, response)
    data = wav_bytes()
    body = voice_declaration(response["id"], data, id=response["voice_notes"][0]["id"])
    assert upload(client, auth, body, data).json["state"] == "complete"


def test_flyer_visitors_note_and_response(client, campaign, flyer, visitor):
    response = flyer_body(campaign, flyer, voice_notes=[{"id": str(uuid.uuid4()), "question": "vertel"}])
    data = wav_bytes()
    body = voice_declaration(response["id"], data, id=response["voice_notes"][0]["id"], source=flyer.code)
    assert upload(client, visitor, body, data).json["state"] == "complete"
    assert sync(client, visitor, response).json["results"][0]["status"] == "created"


def test_response_without_audio_consent_deletes_notes_that_came_early(app, client, auth, campaign):
    data = wav_bytes()
    response_id = uuid.uuid4()
    early = voice_declaration(response_id, data)
    half = voice_declaration(response_id, data)
    upload(client, auth, early, data)
    declare(client, auth, half)
    patch(client, auth, half["id"], 0, data[:1000])
    assert len(media_files(app)) == 2
    sync(client, auth, response_body(campaign, id=str(response_id), consent={"answers": True, "audio": False}))
    assert note(early["id"]) is None and note(half["id"]) is None
    assert media_files(app) == []
    gone = patch(client, auth, half["id"], 1000, data[1000:])
    assert gone.status_code == 404 and error_code(gone) == "voice_note_not_found"


def test_a_note_cannot_be_attached_to_another_senders_response(client, auth, other_device, campaign, flyer,
                                                                visitor):
    response = with_voice(campaign, uuid.uuid4())
    sync(client, auth, response)
    for headers, source in ((other_device, None), (visitor, flyer.code)):
        reply = declare(client, headers, voice_declaration(response["id"], wav_bytes(), source=source))
        assert reply.status_code == 404 and error_code(reply) == "response_not_found"


def test_early_notes_from_another_sender_are_dropped_when_the_response_arrives(app, client, auth, other_device,
                                                                                campaign):
    data = wav_bytes()
    response_id = uuid.uuid4()
    mine, theirs = voice_declaration(response_id, data), voice_declaration(response_id, data)
    upload(client, auth, mine, data)
    upload(client, other_device, theirs, data)
    sync(client, auth, with_voice(campaign, mine["id"], id=str(response_id)))
    assert note(mine["id"]).state == "complete"
    assert note(theirs["id"]) is None
    assert len(media_files(app)) == 1


def test_note_for_a_response_without_audio_consent_is_refused(client, auth, campaign):
    response = response_body(campaign, consent={"answers": True, "audio": False})
    sync(client, auth, response)
    reply = declare(client, auth, voice_declaration(response["id"], wav_bytes()))
    assert reply.status_code == 422 and error_code(reply) == "audio_consent_required"


def test_notes_are_stored_under_server_made_names(app, client, auth):
    data = wav_bytes()
    body = voice_declaration(uuid.uuid4(), data)
    upload(client, auth, body, data)
    [path] = media_files(app)
    assert path.relative_to(app.config["MEDIA_DIR"]).parts[0] == "voice"
    assert path.suffix == ".bin" and body["id"] not in path.name


# --- real recordings in every accepted container --------------------------------------------------------

FFMPEG = shutil.which("ffmpeg")
CONTAINERS = {
    "webm (Chromium-like, no Duration)": (["-c:a", "libopus", "-live", "1", "-f", "webm"], "audio/webm;codecs=opus",
                                          "webm"),
    "webm with Duration": (["-c:a", "libopus", "-f", "webm"], "audio/webm", "webm"),
    "ogg": (["-c:a", "libopus", "-f", "ogg"], "audio/ogg", "ogg"),
    "mp4": (["-c:a", "aac", "-f", "mp4"], "audio/mp4", "mp4"),
    "fragmented mp4 (Safari-like)": (["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov", "-f", "mp4"],
                                     "audio/mp4", "mp4"),
    "fragmented mp4, base in moof": (["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
                                      "-f", "mp4"], "audio/mp4", "mp4"),
    "wav": (["-f", "wav"], "audio/wav", "wav"),
}


def encode(tmp_path, seconds: float, args: list) -> bytes:
    out = tmp_path / "recording"
    subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-b:a", "24k", *args, str(out)], check=True)
    return out.read_bytes()


@pytest.mark.slow  # a real recording encoded by ffmpeg for every container
@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("args, content_type, container", CONTAINERS.values(), ids=CONTAINERS.keys())
def test_real_recording_is_sniffed_and_measured(app, client, auth, tmp_path, args, content_type, container):
    data = encode(tmp_path, 2, args)
    body = voice_declaration(uuid.uuid4(), data, content_type=content_type)
    reply = upload(client, auth, body, data, chunk_size=1500)
    assert reply.json["state"] == "complete"
    stored = note(body["id"])
    assert stored.container == container
    assert 1900 <= stored.duration_ms <= 2100
    assert stored_bytes(app, body["id"]) == data


@pytest.mark.slow  # a real recording encoded by ffmpeg for every container
@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
class TestRealRecordingTooLong:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "VOICE_MAX_SECONDS": 2}

    @pytest.mark.parametrize("args, content_type, container", CONTAINERS.values(), ids=CONTAINERS.keys())
    def test_duration_is_read_from_the_container(self, client, auth, tmp_path, args, content_type, container):
        data = encode(tmp_path, 3, args)
        body = voice_declaration(uuid.uuid4(), data, content_type=content_type, duration_ms=1000)
        reply = upload(client, auth, body, data)
        assert reply.status_code == 422 and error_code(reply) == "audio_too_long"


@pytest.mark.slow  # five minutes and more of audio encoded by ffmpeg
@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_fragmented_mp4_over_five_minutes_declared_short_is_refused(app, client, auth, tmp_path):
    """Issue 11 section 7: the declared 1,000 ms used to be stored, and the 5-minute cap did not apply."""
    data = encode(tmp_path, 320, CONTAINERS["fragmented mp4 (Safari-like)"][0])
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/mp4", duration_ms=1000)
    reply = upload(client, auth, body, data, chunk_size=app.config["VOICE_MAX_CHUNK"])
    assert reply.status_code == 422 and error_code(reply) == "audio_too_long"
    assert reply.headers["Upload-Offset"] == "0" and note(body["id"]).state != "complete"
    assert media_files(app) == []


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_declared_duration_never_replaces_the_real_one(client, auth, tmp_path):
    data = encode(tmp_path, 4, CONTAINERS["fragmented mp4 (Safari-like)"][0])
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/mp4", duration_ms=1000)
    reply = upload(client, auth, body, data)
    assert reply.json["state"] == "complete"
    assert 3900 <= reply.json["duration_ms"] <= 4100 and note(body["id"]).duration_ms == reply.json["duration_ms"]


def wav_with_byte_rate(byte_rate: int) -> bytes:
    data = bytearray(wav_bytes(2))
    data[28:32] = byte_rate.to_bytes(4, "little")
    return bytes(data)


def test_wav_whose_byte_rate_does_not_match_its_format_is_refused(app, client, auth):
    """A byte rate 100 times too high would make 2 s of audio look like 20 ms."""
    data = wav_with_byte_rate(1_600_000)
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/wav", duration_ms=20)
    reply = upload(client, auth, body, data)
    assert reply.status_code == 422 and error_code(reply) == "audio_unreadable"
    assert media_files(app) == []


def test_file_that_does_not_tell_its_length_is_refused_whatever_it_declares(app, client, auth):
    data = wav_bytes(1)[:36]  # RIFF header and format, but no data chunk
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/wav", duration_ms=1000)
    reply = upload(client, auth, body, data)
    assert reply.status_code == 422 and error_code(reply) == "audio_unreadable"
    assert media_files(app) == []


def test_webkit_recording_is_stored_with_the_length_of_its_audio(client, auth):
    """Fragmented MP4 from WebKit's MediaRecorder (Safari's engine), as the field app uploads it."""
    data = (Path(__file__).parent / "data" / "webkit-recording.mp4").read_bytes()
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/mp4", duration_ms=60_000)
    reply = upload(client, auth, body, data, chunk_size=5000)
    assert reply.json["state"] == "complete" and reply.json["duration_ms"] == 2879
    assert (note(body["id"]).container, note(body["id"]).duration_ms) == ("mp4", 2879)


# --- the question a note answers (issue 11 §1) ------------------------------------------------------------

@pytest.mark.parametrize("question", ["../../../../../tmp/x", "geen_vraag", "jaren"])
def test_a_note_for_a_question_not_in_the_campaign_or_without_voice_is_refused(client, flyer, visitor, question):
    """`jaren` is in the campaign but takes no voice; the others are not in it at all."""
    data = wav_bytes()
    reply = declare(client, visitor, voice_declaration(uuid.uuid4(), data, source=flyer.code, question=question))
    assert reply.status_code == 422 and error_code(reply) == "voice_not_allowed"
    assert reply.json["error"]["field"] == "question"
    assert db.session.scalars(select(VoiceNote)).all() == []


def test_a_devices_note_is_checked_against_its_responses_version(client, auth, campaign):
    body = response_body(campaign)
    assert client.post("/api/v1/sync", json={"responses": [body]}, headers=auth).json["results"][0]["status"] \
        == "created"
    data = wav_bytes()
    refused = declare(client, auth, voice_declaration(body["id"], data, question="idee_x"))
    assert refused.status_code == 422 and error_code(refused) == "voice_not_allowed"
    assert declare(client, auth, voice_declaration(body["id"], data)).status_code == 201
    early = declare(client, auth, voice_declaration(uuid.uuid4(), data, question="../x"))
    assert early.status_code == 422 and error_code(early) == "voice_not_allowed"


# --- timed copies: every handed-out file states its duration (issue 12, section 5) ------------------------

def probed_seconds(path: Path) -> float | None:
    """What ffprobe, as players do, reads as the file's duration from its header (``None``: it does not know)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], check=True, capture_output=True, text=True).stdout.strip()
    return None if out in ("", "N/A") else float(out)


#: Which recordings state no duration in their header and get a timed copy when their upload completes.
NEEDS_COPY = {"webm (Chromium-like, no Duration)": True, "webm with Duration": False, "ogg": False, "mp4": False,
              "fragmented mp4 (Safari-like)": True, "fragmented mp4, base in moof": True, "wav": False}


@pytest.mark.slow  # a real recording encoded, remuxed and probed by ffmpeg for every container
@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("args, content_type, container, copied",
                         [(*CONTAINERS[name], NEEDS_COPY[name]) for name in CONTAINERS], ids=CONTAINERS.keys())
def test_the_file_handed_out_states_its_duration_and_the_original_is_kept(app, client, auth, tmp_path, args,
                                                                          content_type, container, copied):
    from server.storage import media_path
    from server.voice.audio import duration_ms, states_duration
    from server.voice.timing import stored_file

    data = encode(tmp_path, 2, args)
    body = voice_declaration(uuid.uuid4(), data, content_type=content_type)
    assert upload(client, auth, body, data).json["state"] == "complete"
    stored = note(body["id"])
    original = media_path(stored.storage_name)
    assert original.read_bytes() == data and hashlib.sha256(original.read_bytes()).hexdigest() == body["sha256"]
    assert states_duration(original, container) is not copied
    assert (stored.timed_name is not None) is copied
    handed_out_name, size = stored_file(stored)
    handed_out = media_path(handed_out_name)
    assert size == handed_out.stat().st_size and (handed_out_name != stored.storage_name) is copied
    assert states_duration(handed_out, container)
    assert 1.9 <= probed_seconds(handed_out) <= 2.1
    if copied:
        assert handed_out != original and len(media_files(app)) == 2
        assert abs(duration_ms(handed_out, container) - stored.duration_ms) <= 50  # remuxed: the same audio
        if container == "webm":
            assert probed_seconds(original) is None  # what MediaRecorder's file tells players


@pytest.mark.commits
@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_the_upload_completes_without_waiting_for_ffmpeg_and_a_job_makes_the_timed_copy(app, client, auth,
                                                                                        tmp_path, backend):
    """ffmpeg behind a gate that stays shut until the upload has answered: the request never ran it."""
    from server.jobs.models import Job
    from server.jobs.queue import drain

    data = encode(tmp_path, 2, CONTAINERS["webm (Chromium-like, no Duration)"][0])
    gate, ran = tmp_path / "gate", tmp_path / "ran"
    gated = tmp_path / "gated-ffmpeg"
    gated.write_text(f"#!/bin/sh\nwhile [ ! -e {gate} ]; do sleep 0.02; done\necho run >> {ran}\n"
                     f'exec {FFMPEG} "$@"\n')
    gated.chmod(0o755)
    app.config.update(FFMPEG_BINARY=str(gated), JOBS_RUNNER="thread")
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/webm;codecs=opus")

    assert upload(client, auth, body, data).json["state"] == "complete"
    assert note(body["id"]).timed_name is None and not ran.exists()
    (job,) = db.session.scalars(select(Job).where(Job.object_id == body["id"]))
    assert (job.name, job.status) == ("timed_copy", "pending")
    db.session.rollback()

    gate.touch()
    assert drain(app, timeout=60)
    stored = note(body["id"])
    assert stored.timed_name is not None and ran.read_text() == "run\n"
    assert db.session.scalars(select(Job).where(Job.object_id == body["id"])).all() == []  # done and gone


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_the_timed_copy_is_made_by_remuxing_not_reencoding(app, client, auth, tmp_path):
    from server.storage import media_path

    data = encode(tmp_path, 3, CONTAINERS["webm (Chromium-like, no Duration)"][0])
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/webm;codecs=opus")
    upload(client, auth, body, data)
    copy = media_path(note(body["id"]).timed_name)

    def packets(path):
        return subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "packet=size",
                               "-of", "csv=p=0", str(path)], check=True, capture_output=True, text=True).stdout

    assert packets(copy) == packets(media_path(note(body["id"]).storage_name))


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_deleting_a_note_deletes_its_timed_copy(app, client, auth, tmp_path):
    from server.privacy.operations import delete_audio
    from server.voice.operations import delete_voice_notes

    for remove in (delete_audio, lambda n: delete_voice_notes([n])):
        data = encode(tmp_path, 1, CONTAINERS["webm (Chromium-like, no Duration)"][0])
        body = voice_declaration(uuid.uuid4(), data, content_type="audio/webm")
        upload(client, auth, body, data)
        assert len(media_files(app)) == 2
        remove(note(body["id"]))
        db.session.commit()
        assert media_files(app) == []


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
def test_without_ffmpeg_the_original_is_handed_out(app, client, auth, tmp_path):
    from server.voice.timing import stored_file

    app.config["FFMPEG_BINARY"] = None
    data = encode(tmp_path, 1, CONTAINERS["webm (Chromium-like, no Duration)"][0])
    body = voice_declaration(uuid.uuid4(), data, content_type="audio/webm")
    assert upload(client, auth, body, data).json["state"] == "complete"
    stored = note(body["id"])
    assert stored.timed_name is None and stored_file(stored) == (stored.storage_name, len(data))


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")
@pytest.mark.parametrize("cut", [10, 60, 200])  # before WebM's Duration (about byte 250) and MP4's moov
def test_a_cut_header_states_no_duration_and_raises_nothing(tmp_path, cut):
    from server.voice.audio import states_duration

    for name in ("webm with Duration", "mp4"):
        path = tmp_path / "cut"
        path.write_bytes(encode(tmp_path, 1, CONTAINERS[name][0])[:cut])
        assert states_duration(path, CONTAINERS[name][2]) is False
