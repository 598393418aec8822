"""`wijkstem backup` and `wijkstem restore`: one consistent archive of a running server, every sha256 checked on
the way back, never over a database that holds data unless asked."""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from server import create_app
from server.backups.cli import backup_command, restore_command
from server.extensions import db
from server.responses.models import Answer, Response
from server.voice.models import VoiceNote
from tests.conftest import scratch_database
from tests.factories import response_body, voice_declaration, wav_bytes
from tests.server.test_crash import ANSWER_ROWS, ProductionServer, SyncClient, Upload, prepare

ROOT = Path(__file__).resolve().parents[2]

#: A backup and a restore read and write the database on connections of their own: real commits.
pytestmark = pytest.mark.commits


@pytest.fixture
def fresh_url(backend, tmp_path):
    """An empty database nobody has used: a file not made yet, or a new PostgreSQL database."""
    if backend == "sqlite":
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'wijkstem.db'}"
        return
    with scratch_database("wijkstem_restore") as url:
        yield url


def restored_app(url: str, media: Path):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(media), "SECRET_KEY": "another-key",
                       "TESTING": True})


def invoke(app, command, *args):
    with app.app_context():  # `with_appcontext` keeps whichever app is current: make it this one
        result = app.test_cli_runner().invoke(command, [str(a) for a in args])
        db.session.remove()
        db.engine.dispose()  # no connection left for the garbage collector (ResourceWarning)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def stored_audio(app) -> dict:
    """Each complete voice note's bytes, by note id."""
    media = Path(app.config["MEDIA_DIR"])
    with app.app_context():
        notes = db.session.scalars(select(VoiceNote).where(VoiceNote.state == "complete")).all()
        audio = {n.id: (media / n.storage_name).read_bytes() for n in notes}
        db.session.remove()
        db.engine.dispose()
    return audio


def response_rows(app) -> dict:
    with app.app_context():
        rows = dict(db.session.execute(select(Response.id, Response.content_hash)).all())
        db.session.remove()
        db.engine.dispose()
    return rows


@pytest.fixture
def some_data(campaign, sync, voiced_response):
    """The voiced response and three more without audio."""
    sync(*[response_body(campaign) for _ in range(3)])
    return voiced_response


def test_backup_restores_every_response_and_recording_into_a_fresh_instance(app, some_data, fresh_url, tmp_path):
    archive = tmp_path / "wijkstem-backup.tar.gz"
    code, output = invoke(app, backup_command, archive)
    assert code == 0, output
    assert "2 media files" in output  # the recording and the playback copy its job made
    assert os.stat(archive).st_mode & 0o077 == 0  # it holds residents' voices
    fresh = restored_app(fresh_url, tmp_path / "restored-media")
    code, output = invoke(fresh, restore_command, archive)
    assert code == 0, output
    assert response_rows(fresh) == response_rows(app) and len(response_rows(app)) == 4
    original = stored_audio(app)
    assert list(original) == [some_data[1]]
    assert stored_audio(fresh) == original
    with fresh.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) > 0
        db.session.remove()
        db.engine.dispose()


def test_the_manifest_lists_every_file_with_its_sha256(app, some_data, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert invoke(app, backup_command, archive)[0] == 0
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        for entry in manifest["files"]:
            data = tar.extractfile(entry["path"]).read()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        names = {m.name for m in tar.getmembers()}
    assert names == {e["path"] for e in manifest["files"]} | {"manifest.json"}
    assert manifest["database"] in ("sqlite", "postgresql") and manifest["schema_revision"]
    assert sum(name.startswith("media/voice/") for name in names) == 1


def rewrite_archive(source: Path, target: Path, change) -> None:
    """Copy an archive, letting `change(name, data)` alter each file's bytes (the manifest is kept)."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_a_damaged_archive_is_refused_and_changes_nothing(app, some_data, fresh_url, tmp_path):
    archive, damaged = tmp_path / "backup.tar.gz", tmp_path / "damaged.tar.gz"
    assert invoke(app, backup_command, archive)[0] == 0

    def flip_one_byte(name, data):
        return data[:100] + bytes([data[100] ^ 1]) + data[101:] if name.startswith("media/voice/") else data

    rewrite_archive(archive, damaged, flip_one_byte)
    fresh = restored_app(fresh_url, tmp_path / "restored-media")
    code, output = invoke(fresh, restore_command, damaged)
    assert code == 1 and "sha256 does not match" in output
    assert not (tmp_path / "restored-media").exists() or not any((tmp_path / "restored-media").rglob("*.bin"))
    with fresh.app_context():
        assert "responses" not in inspect(db.engine).get_table_names()  # no database put in place
        db.engine.dispose()


def test_an_entry_outside_the_layout_is_refused_even_with_a_matching_sha256(app, some_data, tmp_path):
    archive, hostile = tmp_path / "backup.tar.gz", tmp_path / "hostile.tar.gz"
    assert invoke(app, backup_command, archive)[0] == 0
    payload = b"not yours"
    with tarfile.open(archive) as old, tarfile.open(hostile, "w:gz") as new:
        manifest = json.loads(old.extractfile("manifest.json").read())
        manifest["files"].append({"path": "media/../../escaped", "size": len(payload),
                                  "sha256": hashlib.sha256(payload).hexdigest()})
        for member in old.getmembers():
            data = json.dumps(manifest).encode() if member.name == "manifest.json" else old.extractfile(member).read()
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
        info = tarfile.TarInfo("media/../../escaped")
        info.size = len(payload)
        new.addfile(info, io.BytesIO(payload))
    (tmp_path / "x").mkdir()
    fresh = restored_app(f"sqlite:///{tmp_path / 'x' / 'wijkstem.db'}", tmp_path / "x" / "media")
    code, output = invoke(fresh, restore_command, hostile)
    assert code == 1 and "refusing the archive entry" in output
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "x" / "escaped").exists()


def test_restore_refuses_a_database_that_holds_data_unless_told_to(app, some_data, campaign, sync, tmp_path):
    archive = tmp_path / "backup.tar.gz"
    assert invoke(app, backup_command, archive)[0] == 0
    before = set(response_rows(app))
    sync(response_body(campaign))  # this instance went on collecting after the backup
    later = set(response_rows(app))
    code, output = invoke(app, restore_command, archive)
    assert code == 1 and "holds data" in output and "--overwrite" in output
    assert set(response_rows(app)) == later
    code, output = invoke(app, restore_command, archive, "--overwrite")
    assert code == 0, output
    assert set(response_rows(app)) == before
    media = Path(app.config["MEDIA_DIR"])
    assert list(media.parent.glob(f"{media.name}.before-restore-*"))  # the replaced media were kept aside
    assert stored_audio(app)[some_data[1]]


def test_restore_into_a_migrated_but_empty_instance(app, some_data, database_url, backend, tmp_path, request):
    archive = tmp_path / "backup.tar.gz"
    assert invoke(app, backup_command, archive)[0] == 0
    if backend == "sqlite":
        import shutil

        target = tmp_path / "empty" / "wijkstem.db"
        target.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("fresh_url")
        with restored_app(url, tmp_path / "m").app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()
    fresh = restored_app(url, tmp_path / "empty-media")
    code, output = invoke(fresh, restore_command, archive)
    assert code == 0, output
    assert response_rows(fresh) == response_rows(app)


def test_without_pg_dump_the_backup_says_what_to_run(app, backend, tmp_path, monkeypatch):
    if backend != "postgresql":
        pytest.skip("about PostgreSQL")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump there
    code, output = invoke(app, backup_command, tmp_path / "backup.tar.gz")
    assert code == 1
    assert "pg_dump is not on the PATH" in output and "postgresql-client" in output and "--clean" in output
    assert not (tmp_path / "backup.tar.gz").exists()


# --- a backup of a running server while phones sync ------------------------------------------------------

@pytest.mark.slow
def test_backup_while_phones_sync_restores_every_acknowledged_response_once(database_url, fresh_url, tmp_path):
    class CampaignId:
        def __init__(self, campaign_id):
            self.id = campaign_id

    backup_done = threading.Event()

    class PacedClient(SyncClient):
        """A phone on a field connection: a pause after each batch until the backup is done, so that syncing
        outlasts it; then as fast as it can."""

        def sync_some(self, http):
            super().sync_some(http)
            backup_done.wait(0.4)

    media_dir = tmp_path / "media"
    campaign_id, tokens = prepare(database_url, media_dir, 4)
    server = ProductionServer(database_url, media_dir, tmp_path / "server.log")
    clients = []
    for n, token in enumerate(tokens):
        responses = [response_body(CampaignId(campaign_id)) for _ in range(150)]
        uploads = [Upload(voice_declaration(responses[k]["id"], data), data)
                   for k, data in enumerate(wav_bytes(2.0 + n * 0.1 + k * 0.05) for k in range(4))]
        clients.append(PacedClient(server, token, responses, uploads))
    total = sum(len(c.responses) for c in clients)
    archive = tmp_path / "backup.tar.gz"
    server.start()
    try:
        deadline = time.monotonic() + 300
        threads = [threading.Thread(target=c.run, args=(deadline,), daemon=True) for c in clients]
        for thread in threads:
            thread.start()

        def under_way() -> bool:
            acked = sum(len(c.acked) for c in clients)
            return acked >= total / 4 and any(u.complete for c in clients for u in c.uploads)

        while not under_way() and time.monotonic() < deadline:
            time.sleep(0.01)
        acked_before = {uuid.UUID(i) for c in clients for i in list(c.acked)}
        complete_before = {uuid.UUID(u.body["id"]): u.data for c in clients for u in c.uploads if u.complete}
        done = subprocess.run([sys.executable, "-c", "from server.cli import main; main()", "backup", str(archive)],
                              cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=300)
        acked_after_backup = sum(len(c.acked) for c in clients)
        backup_done.set()
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.monotonic()))
    finally:
        backup_done.set()
        server.stop()
    assert done.returncode == 0, done.stderr
    assert acked_after_backup < total, "the phones had finished before the backup did: nothing ran concurrently"
    assert all(c.finished() for c in clients) and [e for c in clients for e in c.server_errors] == []
    assert 0 < len(acked_before) < total and complete_before

    fresh = restored_app(fresh_url, tmp_path / "restored-media")
    code, output = invoke(fresh, restore_command, archive)
    assert code == 0, output
    sent = {uuid.UUID(r["id"]): r for c in clients for r in c.responses}
    with fresh.app_context():
        counted = dict(db.session.execute(select(Response.id, func.count()).group_by(Response.id)).all())
        assert {i: counted.get(i) for i in acked_before} == dict.fromkeys(acked_before, 1)
        assert counted.keys() <= sent.keys()
        rows = dict(db.session.execute(select(Answer.response_id, func.count()).group_by(Answer.response_id)).all())
        assert all(rows[i] == ANSWER_ROWS for i in counted), "a response restored without all its answers"
        db.session.remove()
        db.engine.dispose()
    audio = stored_audio(fresh)
    assert {i: audio.get(i) for i in complete_before} == complete_before  # byte-identical


def test_a_backup_that_cannot_be_made_says_why_and_leaves_no_file(tmp_path):
    app = restored_app(f"sqlite:///{tmp_path / 'never-made.db'}", tmp_path / "media")
    code, output = invoke(app, backup_command, tmp_path / "backup.tar.gz")
    assert code == 1 and "there is no database at" in output
    assert list(tmp_path.glob("backup.tar.gz*")) == []
