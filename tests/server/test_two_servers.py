"""Two `wijkstem serve` processes side by side (issue 14 §3): different ports and local folders, one PostgreSQL
database, one Redis, one S3-compatible store (moto's, over real HTTP), plus a `wijkstem worker` that runs the
jobs queued on that Redis. Clients pick a server at random for every request, as a load balancer without sticky
sessions would: every response arrives exactly once, a voice note sent across both is whole and byte-identical,
the sign-in limit counts across both, a coordinator signed in on one is signed in on the other, and the playback
copy the worker makes plays from either."""

import hashlib
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from redis import Redis
from sqlalchemy import func, select

from server import create_app
from server.accounts.operations import create_user, set_memberships
from server.demo import ensure_demo
from server.devices.operations import enrol_device, make_enrolment_code
from server.extensions import db
from server.responses.models import Response
from server.storage import media_store
from server.voice.models import VoiceNote
from server.voicepacks.models import Clip
from tests.factories import response_body, voice_declaration, wav_bytes
from tests.processes import stop_group
from tests.s3_server import free_port, s3_settings

pytestmark = [pytest.mark.slow, pytest.mark.commits]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("WIJKSTEM_TEST_REDIS_URL", "redis://127.0.0.1:6379")
SECRET = "two-servers-share-this-key"
PASSWORD = "two servers, one session"
PHONES, RESPONSES_PER_PHONE, BATCH = 4, 30, 5
CHUNK = 16 * 1024


#: How long the worker may take to make a playback copy (ffmpeg on a loaded machine).
COPY_SECONDS = 120


def environment(settings: dict, database_url: str, media_dir: Path, prefix: str) -> dict:
    """One process's environment: its own folder; the shared database, Redis, store and key. Redis is set once
    (`WIJKSTEM_REDIS_URL`): the jobs go to RQ there and the rate limits count there; the queue and the counters
    are this test's own (other runs may share the Redis)."""
    env = {**os.environ, "DATABASE_URL": database_url, "WIJKSTEM_MEDIA_DIR": str(media_dir),
           "WIJKSTEM_SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT), "WIJKSTEM_RETENTION_INTERVAL_SECONDS": "0",
           "WIJKSTEM_RESULTS_REFRESH_SECONDS": "0", "WIJKSTEM_REDIS_URL": REDIS_URL,
           "WIJKSTEM_RATELIMIT_KEY_PREFIX": prefix, "WIJKSTEM_JOBS_QUEUE": prefix}
    for name in ("WIJKSTEM_RATELIMIT_STORAGE_URI", "WIJKSTEM_JOBS_RUNNER"):
        env.pop(name, None)
    env.update({f"WIJKSTEM_{key}": str(value) for key, value in settings.items()})
    return env


class Process:
    """A `wijkstem` command in a process group of its own, its output in `log`."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.process = env, log, None

    def arguments(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from server.cli import main; main()", *self.arguments()],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        stop_group(self.process)


class Worker(Process):
    """`wijkstem worker`: the jobs both servers queue on Redis (the playback copies among them)."""

    def arguments(self) -> list[str]:
        return ["worker"]


class Server(Process):
    """`wijkstem serve` (one gunicorn worker, four threads)."""

    def __init__(self, env: dict, log: Path):
        super().__init__(env, log)
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arguments(self) -> list[str]:
        return ["serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"]

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(f"{self.url}/api/openapi.json", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")


@pytest.fixture
def world(backend, database_url, s3_endpoint, tmp_path):
    """The shared database (demo campaign with its clips, phones, a coordinator), the store, two servers and a
    worker."""
    if backend != "postgresql":
        pytest.skip("several servers share one PostgreSQL database (SQLite serves one machine)")
    settings = s3_settings(s3_endpoint)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_DIR": str(tmp_path / "setup-media"),
                      "SECRET_KEY": SECRET, **settings})
    with app.app_context():
        team, campaign = ensure_demo()
        tokens = [enrol_device(make_enrolment_code(team, f"phone {n}"))[1] for n in range(PHONES)]
        coordinator = create_user("coordinator@example.org", PASSWORD)
        set_memberships(coordinator, [team])
        db.session.commit()
        campaign_id = campaign.id
    prefix = f"wijkstem-{uuid.uuid4().hex[:8]}"
    servers = [Server(environment(settings, database_url, tmp_path / f"media-{n}", prefix),
                      tmp_path / f"server-{n}.log") for n in (1, 2)]
    worker = Worker(environment(settings, database_url, tmp_path / "media-worker", prefix), tmp_path / "worker.log")
    for process in (*servers, worker):
        process.start()
    try:
        for server in servers:
            server.wait()
        with app.app_context():
            yield servers, worker, campaign_id, tokens
            db.session.remove()
            db.engine.dispose()
    finally:
        for process in (*servers, worker):
            process.stop()
        redis = Redis.from_url(REDIS_URL)
        keys = list(redis.scan_iter(f"rq:*{prefix}*"))
        if keys:
            redis.delete(*keys)  # this run's queue (the counters expire by themselves)
        redis.close()


class Campaign:
    def __init__(self, campaign_id):
        self.id = campaign_id


def either(servers) -> str:
    return random.choice(servers).url


def send_batches(servers, token, bodies, results, errors) -> None:
    """A phone: its responses in batches, each to a server picked at random; each batch once more to a server
    picked at random (a retry after a lost reply), which must answer `duplicate`."""
    headers = {"Authorization": f"Bearer {token}"}
    with requests.Session() as http:
        for start in range(0, len(bodies), BATCH):
            batch = bodies[start:start + BATCH]
            for attempt in ("first", "again"):
                reply = http.post(f"{either(servers)}/api/v1/sync", json={"responses": batch}, headers=headers,
                                  timeout=60)
                if reply.status_code != 200:
                    errors.append((reply.status_code, reply.text[:300]))
                    continue
                for item in reply.json()["results"]:
                    results.append((attempt, item["id"], item["status"]))


def playback_copy_made(note_id, worker: Worker) -> str:
    """Wait (reading the shared database) until the worker has stored the note's playback copy: its name."""
    deadline = time.monotonic() + COPY_SECONDS
    while time.monotonic() < deadline:
        db.session.rollback()  # a new snapshot each time
        name = db.session.scalar(select(VoiceNote.playback_name).where(VoiceNote.id == note_id))
        if name:
            return name
        assert worker.process.poll() is None, f"the worker stopped:\n{worker.log.read_text()[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no playback copy after {COPY_SECONDS} s:\n{worker.log.read_text()[-3000:]}")


def test_two_servers_share_everything_that_matters(world, tmp_path):
    servers, worker, campaign_id, tokens = world
    random.seed(14)

    # every response arrives exactly once, whichever server each batch reached
    phones = [[response_body(Campaign(campaign_id)) for _ in range(RESPONSES_PER_PHONE)] for _ in tokens]
    results, errors = [], []
    threads = [threading.Thread(target=send_batches, args=(servers, token, bodies, results, errors))
               for token, bodies in zip(tokens, phones, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    total = PHONES * RESPONSES_PER_PHONE
    assert sorted(status for attempt, _id, status in results if attempt == "first") == ["created"] * total
    assert sorted(status for attempt, _id, status in results if attempt == "again") == ["duplicate"] * total
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Response)) == total
    assert {str(i) for i in db.session.scalars(select(Response.id))} == {b["id"] for p in phones for b in p}

    # a voice note whose chunks go to both servers at random is whole and byte-identical
    data = wav_bytes(6.0, rate=16000)
    body = voice_declaration(phones[0][0]["id"], data)
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    assert requests.post(f"{either(servers)}/api/v1/voice-notes", json=body, headers=headers,
                         timeout=30).status_code == 201
    used = set()
    for offset in range(0, len(data), CHUNK):
        url = either(servers)
        used.add(url)
        assert requests.head(f"{url}/api/v1/voice-notes/{body['id']}", headers=headers,
                             timeout=30).headers["Upload-Offset"] == str(offset)
        reply = requests.patch(f"{url}/api/v1/voice-notes/{body['id']}", data=data[offset:offset + CHUNK],
                               headers={**headers, "Upload-Offset": str(offset),
                                        "Content-Type": "application/offset+octet-stream"}, timeout=30)
        assert reply.status_code == 200, reply.text
    assert reply.json()["state"] == "complete"
    assert len(used) == 2, "both servers took chunks"
    db.session.expire_all()
    note = db.session.get(VoiceNote, uuid.UUID(body["id"]))
    assert media_store().read_bytes(note.storage_name) == data
    assert hashlib.sha256(media_store().read_bytes(note.storage_name)).hexdigest() == body["sha256"]
    assert not any(item.part for item in media_store().files()), "the parts were cleared away"

    # a coordinator signed in on one server is signed in on the other (sessions in the database, one key)
    first, second = servers
    coordinator = requests.Session()
    form = coordinator.get(f"{first.url}/workspace/sign-in", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed_in = coordinator.post(f"{second.url}/workspace/sign-in", timeout=30, allow_redirects=False,
                                 data={"email": "coordinator@example.org", "password": PASSWORD,
                                       "csrf_token": csrf})
    assert signed_in.status_code == 303, signed_in.text[:500]
    audio = f"/workspace/campaigns/{campaign_id}/voice-notes/{note.id}/audio"
    for server in servers:
        page = coordinator.get(f"{server.url}/workspace/", timeout=30, allow_redirects=False)
        assert page.status_code == 200, page.headers

    # the note's completion queued its playback copy on Redis; the worker made it (in a process and folder of its
    # own) into the shared store, and it plays, whole or in ranges, from either server
    playback_name = playback_copy_made(note.id, worker)
    stored = media_store().read_bytes(playback_name)
    for server in servers:
        copy = coordinator.get(server.url + audio, timeout=60)
        assert copy.status_code == 200 and copy.headers["Content-Type"] == "audio/mp4"
        assert copy.content == stored
        seek = coordinator.get(server.url + audio, headers={"Range": "bytes=100-"}, timeout=60)
        assert seek.status_code == 206 and seek.headers["Content-Type"] == "audio/mp4"
        assert seek.content == stored[100:]
        assert seek.headers["Content-Range"] == f"bytes 100-{len(stored) - 1}/{len(stored)}"
    db.session.rollback()
    assert db.session.get(VoiceNote, note.id).playback_name == playback_name, "made once, not on each server"
    local = [path for path in tmp_path.glob("media-*/**/*") if path.is_file()]
    assert local == [], "with S3 storage no process keeps a file in its own folder"

    # the clips a phone downloads come from the store through either server
    clip = db.session.scalars(select(Clip)).first()
    for server in servers:
        assert requests.get(f"{server.url}/api/v1/clips/{clip.id}", timeout=30).content == \
            media_store().read_bytes(clip.storage_name)

    # the sign-in limit (10 a minute per address for browsers new to the account) counts across both servers;
    # the coordinator's sign-in above was the first try
    tries = []
    for attempt in range(12):
        browser = requests.Session()
        server = servers[attempt % 2]
        form = browser.get(f"{server.url}/workspace/sign-in", timeout=30).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        tries.append(browser.post(f"{servers[(attempt + 1) % 2].url}/workspace/sign-in", timeout=30,
                                  data={"email": "nobody@example.org", "password": "wrong", "csrf_token": csrf},
                                  allow_redirects=False).status_code)
    assert 429 not in tries[:9] and tries[9:] == [429, 429, 429], tries
