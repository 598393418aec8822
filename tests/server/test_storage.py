"""The storage interface against both backends: the local folder and an S3-compatible server (moto's, over real
HTTP); uploads that cross servers, recordings served through the app with Range, erasure, `storage check`."""

import hashlib
import io
import shutil
import subprocess
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.privacy.operations import erase_for_resident
from server.storage import media_store, new_storage_name
from server.storage.check import check_storage, delete_orphans
from server.voice.models import VoiceNote
from server.voice.operations import delete_voice_notes
from tests.factories import response_body, voice_declaration, wav_bytes
from tests.s3_server import s3_settings

NOTES = "/api/v1/voice-notes"
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
CHUNK_TYPE = "application/offset+octet-stream"


#: The S3 half runs with the slow tests: each of its tests talks to the moto S3 server over HTTP.
@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.slow)])
def storage_kind(request):
    return request.param


@pytest.fixture
def app_config(app_config, storage_kind, request):
    """Every test here runs on both backends (a bucket of its own on the test's S3 server)."""
    if storage_kind == "s3":
        app_config.update(s3_settings(request.getfixturevalue("s3_endpoint")))
    return app_config


@pytest.fixture
def store(app):
    return media_store()


# --- the interface --------------------------------------------------------------------------------------

def test_the_configured_backend_is_used(store, storage_kind):
    assert store.kind == storage_kind
    store.ping()


def test_chunks_written_at_their_offsets_are_put_together_whole(store):
    name, data = new_storage_name("voice"), bytes(range(256)) * 1000
    for offset in range(0, len(data), 70_000):
        store.write_at(name, offset, data[offset:offset + 70_000])
    with store.assembled(name) as path:
        assert hashlib.sha256(Path(path).read_bytes()).digest() == hashlib.sha256(data).digest()
    store.discard_parts(name)
    assert store.read_bytes(name) == data
    assert [item.name for item in store.files()] == [name]
    assert not any(item.part for item in store.files())


def test_a_chunk_sent_again_replaces_the_one_that_was_not_committed(store):
    """A request whose commit failed wrote its chunk; the phone sends it again (perhaps shorter)."""
    name = new_storage_name("voice")
    store.write_at(name, 0, b"abcd")
    store.write_at(name, 4, b"WRONG-CHUNK")
    store.write_at(name, 4, b"efgh")
    with store.assembled(name) as path:
        assert Path(path).read_bytes() == b"abcdefgh"
    store.discard_parts(name)
    assert store.read_bytes(name) == b"abcdefgh"


def test_an_upload_that_fails_its_checks_is_not_kept(store):
    name = new_storage_name("voice")
    store.write_at(name, 0, b"noise")
    with pytest.raises(ValueError), store.assembled(name):
        raise ValueError("checksum")
    store.delete(name)
    assert store.read_bytes(name) is None
    assert list(store.files()) == []


def test_whole_files_read_sized_streamed_and_deleted(store, tmp_path):
    name, data = new_storage_name("clips"), b"0123456789" * 10_000
    store.put_bytes(name, data)
    assert store.size(name) == len(data)
    assert store.read_bytes(name) == data
    assert b"".join(store.stream(name, 5, 25)) == data[5:25]
    assert b"".join(store.stream(name, 0, len(data), block=4096)) == data
    with store.local_copy(name) as path:
        assert Path(path).read_bytes() == data
    local = tmp_path / "copy.m4a"
    local.write_bytes(b"copy")
    other = new_storage_name("playback")
    store.put_file(other, local)
    assert not local.exists() and store.read_bytes(other) == b"copy"
    store.delete(name)
    store.delete(name)  # a missing file is no error
    assert store.size(name) is None and store.read_bytes(name) is None
    with pytest.raises(FileNotFoundError), store.local_copy(name):
        pass


# --- through the API ------------------------------------------------------------------------------------

def upload(client, headers, body, data, chunk_size):
    reply = client.post(NOTES, json=body, headers=headers)
    assert reply.status_code in (200, 201), reply.json
    for offset in range(0, len(data), chunk_size):
        reply = client.patch(f"{NOTES}/{body['id']}", data=data[offset:offset + chunk_size],
                             headers={**headers, "Upload-Offset": str(offset), "Content-Type": CHUNK_TYPE})
        assert reply.status_code == 200, reply.json
    return reply


def test_a_voice_note_uploaded_in_chunks_is_stored_whole_and_its_parts_cleared(app, client, auth, campaign,
                                                                               store):
    data = wav_bytes(1.0)
    body = voice_declaration(uuid.uuid4(), data)
    assert upload(client, auth, body, data, 3000).json["state"] == "complete"
    note = db.session.get(VoiceNote, uuid.UUID(body["id"]))
    assert store.read_bytes(note.storage_name) == data
    assert [(item.name, item.part) for item in store.files()] == [(note.storage_name, False)]
    assert check_storage().clean


def test_a_damaged_upload_starts_again_and_leaves_nothing(app, client, auth, campaign, store):
    data = wav_bytes(0.5)
    body = voice_declaration(uuid.uuid4(), data, sha256="0" * 64)
    reply = client.patch(f"{NOTES}/{body['id']}", data=data, headers={**auth, "Upload-Offset": "0",
                                                                      "Content-Type": CHUNK_TYPE})
    assert reply.status_code == 404  # not declared yet
    client.post(NOTES, json=body, headers=auth)
    reply = client.patch(f"{NOTES}/{body['id']}", data=data, headers={**auth, "Upload-Offset": "0",
                                                                      "Content-Type": CHUNK_TYPE})
    assert reply.status_code == 422 and reply.json["error"]["code"] == "checksum_mismatch"
    assert list(store.files()) == []


@pytest.mark.commits  # the second app reads, on its own connections, what the first committed
def test_an_upload_continues_on_another_server(app, client, auth, campaign, app_config, tmp_path, store,
                                               storage_kind, backend):
    """Chunks to one server, the rest to another (its own folder, the same database and store): one note, whole.
    On the local backend the second server has no file to continue: that is why several servers need S3."""
    if storage_kind == "local":
        pytest.skip("servers with a local folder each do not share partial uploads (docs/deployment.md)")
    data = wav_bytes(2.0)
    body = voice_declaration(uuid.uuid4(), data)
    half = len(data) // 2
    client.post(NOTES, json=body, headers=auth)
    assert client.patch(f"{NOTES}/{body['id']}", data=data[:half],
                        headers={**auth, "Upload-Offset": "0", "Content-Type": CHUNK_TYPE}).status_code == 200
    db.session.commit()
    second = create_app({**app_config, "MEDIA_DIR": str(tmp_path / "second-media")})
    with second.app_context():
        try:
            other = second.test_client()
            assert other.head(f"{NOTES}/{body['id']}", headers=auth).headers["Upload-Offset"] == str(half)
            reply = other.patch(f"{NOTES}/{body['id']}", data=data[half:],
                                headers={**auth, "Upload-Offset": str(half), "Content-Type": CHUNK_TYPE})
            assert reply.status_code == 200 and reply.json["state"] == "complete", reply.json
        finally:
            db.session.remove()
            db.engine.dispose()
    note = db.session.get(VoiceNote, uuid.UUID(body["id"]))
    db.session.refresh(note)
    assert hashlib.sha256(store.read_bytes(note.storage_name)).hexdigest() == body["sha256"]


# --- served through the app -----------------------------------------------------------------------------

def test_a_recording_is_served_through_the_app_with_ranges(app, web_as, coordinator, campaign, voiced_response,
                                                          store):
    from server.review.playback import playable_file

    _response_id, note_id = voiced_response
    note = db.session.get(VoiceNote, note_id)
    data = store.read_bytes(playable_file(note)[0])  # the copy the job made, or (without ffmpeg) the recording
    browser = web_as(coordinator)
    url = f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio"
    whole = browser.get(url)
    assert whole.status_code == 200 and whole.data == data
    assert whole.headers["Accept-Ranges"] == "bytes" and int(whole.headers["Content-Length"]) == len(data)
    part = browser.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == data[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = browser.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    beyond = browser.get(url, headers={"Range": f"bytes={len(data) + 5}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"


def test_a_playback_copy_is_made_into_the_store_and_served(app, web_as, coordinator, campaign, voiced_response,
                                                          store):
    _response_id, note_id = voiced_response
    reply = web_as(coordinator).get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200 and reply.mimetype == "audio/mp4"
    note = db.session.get(VoiceNote, note_id)
    assert store.read_bytes(note.playback_name) == reply.data
    assert check_storage().clean


def test_the_playback_job_finds_nothing_to_do_when_the_recording_left_the_store(app, voiced_response, store):
    from server.review.playback import playback_copy_job

    _response_id, note_id = voiced_response
    note = db.session.get(VoiceNote, note_id)
    store.delete(note.playback_name)
    store.delete(note.storage_name)  # erased behind the job's back: nothing to copy, and no failure to retry
    playback_copy_job(str(note_id))
    db.session.commit()
    assert list(store.files()) == []


def test_transcription_reads_the_recording_out_of_the_store(app, reviewer, campaign, voiced_response, store):
    app.config["TRANSCRIPTION_BACKEND"] = "tests.review_world:make_test_backend"  # it measures the real file
    _response_id, note_id = voiced_response
    assert reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe").status_code == 303
    note = db.session.get(VoiceNote, note_id)
    db.session.refresh(note)
    assert note.transcript == "Opname van 1000 ms (tr)"


@needs_ffmpeg
def test_a_timed_copy_is_stored_exported_checked_and_deleted_through_the_store(app, reviewer, campaign, sync,
                                                                              upload_voice, store, tmp_path):
    """Chromium's WebM states no duration: its remuxed copy goes into the store, the zip streams it from there,
    `storage check` knows it, and deleting the note deletes it."""
    from server.util import uuid7
    from server.voice.timing import delete_timed_copy, make_timed_copy

    recording = tmp_path / "chromium.webm"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-b:a", "24k", "-c:a", "libopus", "-live", "1", "-f", "webm", str(recording)], check=True)
    data = recording.read_bytes()
    note_id = uuid7()
    (response_id,) = sync(response_body(campaign, voice_notes=[{"id": str(note_id), "question": "vertel"}]))
    upload_voice(response_id, data, "audio/webm;codecs=opus", note_id=note_id)
    note = db.session.get(VoiceNote, note_id)
    timed = store.read_bytes(note.timed_name)
    assert timed and timed != data and store.read_bytes(note.storage_name) == data
    assert check_storage().clean
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/export.zip", {})
    with zipfile.ZipFile(io.BytesIO(reply.get_data())) as archive:
        [entry] = [name for name in archive.namelist() if name.endswith(".webm")]
        assert archive.read(entry) == timed
    reply.close()
    # made again later from the recording in the store (copied out of it: on S3 a download)
    delete_timed_copy(note)
    assert make_timed_copy(note) and store.size(note.timed_name) == len(timed)  # the muxer's ids differ
    db.session.commit()
    assert check_storage().clean
    delete_voice_notes([note])
    db.session.commit()
    assert list(store.files()) == []


def test_readyz_asks_the_store(app, client, app_config, storage_kind, tmp_path):
    assert client.get("/readyz").json["checks"]["storage"] == "ok"
    if storage_kind == "s3":  # a bucket that is not there
        broken = create_app({**app_config, "S3_BUCKET": f"missing-{uuid.uuid4().hex[:8]}"})
    else:  # a media folder that is a file
        (tmp_path / "a-file").write_text("")
        broken = create_app({**app_config, "MEDIA_DIR": str(tmp_path / "a-file")})
    try:
        reply = broken.test_client().get("/readyz")
        assert reply.status_code == 503 and reply.json["checks"]["storage"] == "failed"
    finally:  # its /readyz opened a connection of its own to the database
        with broken.app_context():
            db.engine.dispose()


def test_a_clip_is_read_from_the_store(app, client, campaign, store):
    from server.voicepacks.operations import store_clip

    clip = store_clip(campaign, "title", "nl", "Titel", b"OggS-fake-but-stored", 1000, "audio/ogg")
    db.session.commit()
    reply = client.get(f"/api/v1/clips/{clip.id}")
    assert reply.status_code == 200 and reply.data == b"OggS-fake-but-stored"
    assert client.get(f"/api/v1/clips/{clip.id}", headers={"Range": "bytes=0-3"}).data == b"OggS"


# --- erasure, retention, the check -----------------------------------------------------------------------

def test_deleting_notes_deletes_their_files_from_the_store(app, voiced_response, store):
    notes = list(db.session.scalars(select(VoiceNote)))
    names = [note.storage_name for note in notes]
    assert all(store.size(name) for name in names)
    delete_voice_notes(notes)
    db.session.commit()
    assert all(store.size(name) is None for name in names)
    assert list(store.files()) == []


def test_storage_check_lists_files_without_a_row_and_rows_without_a_file(app, runner, voiced_response, store):
    assert runner.invoke(args=["storage", "check"]).exit_code == 0
    note = db.session.scalars(select(VoiceNote)).one()
    orphan = new_storage_name("voice")
    store.put_bytes(orphan, b"left behind")
    store.write_at(new_storage_name("voice"), 0, b"a part of an upload nobody declared")
    store.delete(note.storage_name)
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 1
    assert f"file without a row: {orphan}" in result.output
    assert f"row without a file: voice_notes {note.id}: {note.storage_name}" in result.output
    report = check_storage()
    assert len(report.orphans) == 2 and len(report.missing) == 1
    assert delete_orphans(report, timedelta(hours=1)) == 0  # too young: may belong to a request under way
    assert delete_orphans(report, timedelta(seconds=-60)) == 2
    assert [name for _table, _row, name in check_storage().missing] == [note.storage_name]
    assert not check_storage().orphans


def test_an_upload_under_way_is_neither_orphan_nor_missing(app, client, auth, campaign, store):
    data = wav_bytes(1.0)
    body = voice_declaration(uuid.uuid4(), data)
    client.post(NOTES, json=body, headers=auth)
    client.patch(f"{NOTES}/{body['id']}", data=data[:1000],
                 headers={**auth, "Upload-Offset": "0", "Content-Type": CHUNK_TYPE})
    assert check_storage().clean


def test_a_response_erased_by_its_receipt_takes_its_recording_from_the_store(app, client, campaign, sync,
                                                                             upload_voice, store):
    from server.util import uuid7

    note_id = uuid7()
    body = response_body(campaign, voice_notes=[{"id": str(note_id), "question": "vertel"}],
                         receipt="K7M2QXH4PB")
    (response_id,) = sync(body)
    upload_voice(response_id, note_id=note_id)
    note = db.session.get(VoiceNote, note_id)
    assert {item.name for item in store.files()} == {note.storage_name, note.playback_name}  # the job's copy
    erase_for_resident("K7M2QXH4PB")
    db.session.commit()
    assert list(store.files()) == []


def test_local_files_are_the_owners_only_whoever_made_them(store, storage_kind, tmp_path):
    if storage_kind != "local":
        pytest.skip("file modes are the local folder's")
    made = tmp_path / "by-ffmpeg.m4a"
    made.write_bytes(b"copy")
    made.chmod(0o644)
    name = new_storage_name("playback")
    store.put_file(name, made)
    store.put_bytes(new_storage_name("clips"), b"clip")
    assert {path.stat().st_mode & 0o777 for path in store.root.rglob("*") if path.is_file()} == {0o600}


@pytest.mark.sqlite_only
def test_a_backup_holds_the_stored_files_and_a_restore_puts_them_back(app, app_config, voiced_response, store,
                                                                      storage_kind, tmp_path, request):
    from server.backups.archive import make_backup, restore_backup

    note = db.session.scalars(select(VoiceNote)).one()
    data = store.read_bytes(note.storage_name)
    db.session.commit()
    archive = tmp_path / "backup.tar.gz"
    manifest = make_backup(archive)
    assert {"path": f"media/{note.storage_name}", "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()} in manifest["files"]
    fresh = {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restored.db'}",
             "MEDIA_DIR": str(tmp_path / "restored-media")}
    if storage_kind == "s3":
        fresh.update(s3_settings(request.getfixturevalue("s3_endpoint")))
    restored = create_app(fresh)
    with restored.app_context():
        try:
            restore_backup(archive)
            assert media_store().read_bytes(note.storage_name) == data
            assert check_storage().clean
        finally:
            db.session.remove()
            db.engine.dispose()
