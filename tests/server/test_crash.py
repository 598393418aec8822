"""SIGKILL the production server while several clients sync: after a restart and the clients' retries, every
acknowledged item is stored exactly once and nothing unacknowledged is half-written."""

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from server import create_app
from server.demo import ensure_demo
from server.devices.operations import enrol_device, make_enrolment_code
from server.extensions import db
from server.responses.models import Answer, Response, SyncConflict
from server.responses.rules import content_hash
from server.responses.schemas import response_schema
from server.voice.models import VoiceNote
from tests.factories import response_body, voice_declaration, wav_bytes
from tests.processes import stop_group

pytestmark = [pytest.mark.slow, pytest.mark.commits]  # the server processes read what the test committed

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 4
RESPONSES_PER_CLIENT = 60
NOTES_PER_CLIENT = 2
BATCH = 6
CHUNK = 8 * 1024
KILLS = 2
ANSWER_ROWS = 7  # the demo answers: the multiple choice gives two rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProductionServer:
    """`wijkstem serve` with two gunicorn workers, in its own process group."""

    def __init__(self, database_url: str, media_dir: Path, log: Path):
        self.port, self.log, self.process = free_port(), log, None
        self.env = {**os.environ, "DATABASE_URL": database_url, "WIJKSTEM_MEDIA_DIR": str(media_dir),
                    "WIJKSTEM_SECRET_KEY": "crash-test", "PYTHONPATH": str(ROOT),
                    "WIJKSTEM_RETENTION_INTERVAL_SECONDS": "0"}  # no background sweeps unless a test asks

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from server.cli import main; main()", "serve", "--bind",
                 f"127.0.0.1:{self.port}", "--workers", "2"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.url}/api/openapi.json", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a loaded machine
                time.sleep(0.1)
        self.stop()  # a server that exited, or never answered, leaves no process behind
        raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: no cleanup, no graceful shutdown."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop_group(self.process)


@dataclass
class Upload:
    body: dict
    data: bytes
    offset: int | None = None
    declared: bool = False
    complete: bool = False


@dataclass
class SyncClient:
    """A field device: sends its outbox until everything is acknowledged, whatever happens to the server."""

    server: ProductionServer
    token: str
    responses: list
    uploads: list
    acked: set = field(default_factory=set)
    server_errors: list = field(default_factory=list)
    interruptions: int = 0

    def run(self, deadline: float) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.token}"
        while time.monotonic() < deadline and not self.finished():
            try:
                self.sync_some(http)
                self.upload_some(http)
            except requests.RequestException:
                self.interruptions += 1
                time.sleep(0.1)  # the server is away: try again shortly

    def finished(self) -> bool:
        return len(self.acked) == len(self.responses) and all(u.complete for u in self.uploads)

    def sync_some(self, http) -> None:
        batch = [r for r in self.responses if r["id"] not in self.acked][:BATCH]
        if not batch:
            return
        reply = http.post(f"{self.server.url}/api/v1/sync", json={"responses": batch}, timeout=30)
        if self.refused(reply):
            return
        for result in reply.json()["results"]:
            assert result["status"] in ("created", "duplicate"), result
            self.acked.add(result["id"])

    def upload_some(self, http) -> None:
        upload = next((u for u in self.uploads if not u.complete), None)
        if upload is None:
            return
        url = f"{self.server.url}/api/v1/voice-notes/{upload.body['id']}"
        if not upload.declared:
            reply = http.post(f"{self.server.url}/api/v1/voice-notes", json=upload.body, timeout=30)
            if not self.refused(reply):
                upload.declared, upload.offset = True, reply.json()["offset"]
                upload.complete = reply.json()["state"] == "complete"
            return
        if upload.offset is None:
            reply = http.head(url, timeout=30)
            if not self.refused(reply):
                upload.offset = int(reply.headers["Upload-Offset"])
                upload.complete = upload.offset == len(upload.data)
            return
        chunk = upload.data[upload.offset:upload.offset + CHUNK]
        upload.offset, sent_at = None, upload.offset  # unknown until the server answers
        reply = http.patch(url, data=chunk, timeout=30, headers={
            "Upload-Offset": str(sent_at), "Content-Type": "application/offset+octet-stream"})
        if reply.status_code in (200, 409):
            upload.offset = int(reply.headers["Upload-Offset"])
            upload.complete = reply.status_code == 200 and reply.json()["state"] == "complete"
        else:
            self.refused(reply)

    def refused(self, reply) -> bool:
        if reply.status_code >= 500:
            self.server_errors.append((reply.status_code, reply.text[:300]))
        assert reply.status_code < 400 or reply.status_code >= 500, reply.text
        return reply.status_code >= 400


def prepare(database_url: str, media_dir: Path, count: int) -> tuple:
    """The demo campaign and `count` enrolled devices, made before the server starts."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_DIR": str(media_dir),
                      "SECRET_KEY": "crash-test"})
    with app.app_context():
        team, campaign = ensure_demo()
        tokens = [enrol_device(make_enrolment_code(team, f"phone {n}"))[1] for n in range(count)]
        campaign_id = campaign.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return campaign_id, tokens


class Campaign:
    def __init__(self, campaign_id):
        self.id = campaign_id


def make_clients(server, campaign_id, tokens) -> list[SyncClient]:
    clients = []
    for n, token in enumerate(tokens):
        responses = [response_body(Campaign(campaign_id)) for _ in range(RESPONSES_PER_CLIENT)]
        uploads = []
        for k in range(NOTES_PER_CLIENT):
            data = wav_bytes(2.5 + n * 0.1 + k * 0.05)
            uploads.append(Upload(voice_declaration(responses[k]["id"], data), data))
        clients.append(SyncClient(server, token, responses, uploads))
    return clients


def check_nothing_half_written(app, clients) -> None:
    """What the database holds right after a crash: acknowledged items all there, no fragments."""
    with app.app_context():
        sent = {r["id"]: r for c in clients for r in c.responses}
        acked = {uuid.UUID(i) for c in list(clients) for i in list(c.acked)}
        stored = dict(db.session.execute(select(Response.id, Response.content_hash)).all())
        assert acked <= stored.keys(), "an acknowledged response is missing"
        for response_id, digest in stored.items():
            assert digest == content_hash(response_schema.load(sent[str(response_id)]))
        rows = dict(db.session.execute(select(Answer.response_id, func.count()).group_by(Answer.response_id)).all())
        assert rows.keys() <= stored.keys(), "answers without their response"
        assert all(rows.get(i) == ANSWER_ROWS for i in stored), "a response with only some of its answers"
        media = Path(app.config["MEDIA_DIR"])
        for note in db.session.scalars(select(VoiceNote).where(VoiceNote.state == "complete")):
            assert hashlib.sha256((media / note.storage_name).read_bytes()).hexdigest() == note.sha256
        db.session.remove()
        db.engine.dispose()


def test_sigkill_mid_sync_loses_nothing_and_duplicates_nothing(database_url, tmp_path):
    media_dir = tmp_path / "media"
    campaign_id, tokens = prepare(database_url, media_dir, CLIENTS)
    server = ProductionServer(database_url, media_dir, tmp_path / "server.log")
    clients = make_clients(server, campaign_id, tokens)
    checker = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_DIR": str(media_dir),
                          "SECRET_KEY": "crash-test"})
    total = CLIENTS * RESPONSES_PER_CLIENT
    server.start()
    try:
        deadline = time.monotonic() + 300
        threads = [threading.Thread(target=c.run, args=(deadline,), daemon=True) for c in clients]
        for thread in threads:
            thread.start()
        for kill in range(1, KILLS + 1):
            while sum(len(c.acked) for c in clients) < total * kill / (KILLS + 1) and time.monotonic() < deadline:
                time.sleep(0.02)
            server.kill()
            check_nothing_half_written(checker, clients)
            server.start()
        for thread in threads:
            thread.join(timeout=max(1, deadline - time.monotonic()))
    finally:
        server.stop()
    assert all(c.finished() for c in clients), "the clients did not finish"
    assert sum(c.interruptions for c in clients) >= KILLS, "no request was cut off"
    assert [e for c in clients for e in c.server_errors] == []
    check_nothing_half_written(checker, clients)
    with checker.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == total
        assert db.session.scalar(select(func.count()).select_from(Answer)) == total * ANSWER_ROWS
        assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 0
        notes = {str(n.id): n for n in db.session.scalars(select(VoiceNote))}
        expected = {u.body["id"]: u for c in clients for u in c.uploads}
        assert notes.keys() == expected.keys()
        for note_id, note in notes.items():
            assert note.state == "complete" and note.received_bytes == note.size
            stored = (media_dir / note.storage_name).read_bytes()
            assert stored == expected[note_id].data
        db.session.remove()
        db.engine.dispose()
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
