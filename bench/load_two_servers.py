"""Load on two servers side by side, then on one (issue 14 §3): simulated phones for a bounded time.

Each phone is an enrolled device with its own token and its own outbox of realistic responses. A phone's turn:
one batch of 20 to 100 responses to `/api/v1/sync`, then the voice notes those responses declared (30 to 120 s
of Opus at 24 kb/s, made once with ffmpeg and reused), sent as the app sends them: declare, then 32 KiB chunks.
Every request goes to a server picked at random (a load balancer without sticky sessions). A refused request
or a dropped connection is retried, as the app does, and counted as an error: the target is that none happens.
Concurrency is bounded (`--concurrency` phones at a time, taking turns until `--seconds` have passed).

With `--postgres`: one PostgreSQL database (the suite's server), Redis for the rate limits when it answers at
WIJKSTEM_BENCH_REDIS (default redis://127.0.0.1:6379), and an S3-compatible store shared by both servers (moto's
S3 server, started here in a process of its own: on a real deployment MinIO, Garage or a cloud's S3 run
elsewhere, so its CPU is reported apart). Without it: both servers on one SQLite file and one media folder (one
machine). Each server is `wijkstem serve --workers 2`. The same load then runs against one server, on a fresh
database, and the report gives the ratio two : one. At the end everything acknowledged must be stored: every
response, and every completed note byte-identical to what was sent.

    python bench/load_two_servers.py [--postgres] [--phones 200] [--seconds 60] [--concurrency 16] [--smoke]
"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
from sqlalchemy import func, select
from workload import REPO, percentile, prepare, private_database, realistic_responses, scratch_folder

from server import create_app
from server.extensions import db
from server.ratelimit_storage import storage_uri
from server.responses.models import Response
from server.storage import media_store
from server.voice.models import VoiceNote

CHUNK = 32 * 1024
NOTE_SECONDS = (30, 60, 90, 120)
REDIS_URL = os.environ.get("WIJKSTEM_BENCH_REDIS", "redis://127.0.0.1:6379")
S3_KEYS = {"S3_ACCESS_KEY_ID": "bench-key", "S3_SECRET_ACCESS_KEY": "bench-secret", "S3_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_recordings(folder: Path, lengths: tuple) -> list[bytes]:
    """Voice notes as a phone records them (Opus in Ogg, 24 kb/s, mono), made once with ffmpeg."""
    notes = []
    for seconds in lengths:
        path = folder / f"note-{seconds}.ogg"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=frequency={220 + seconds}:duration={seconds}", "-ac", "1", "-c:a", "libopus",
                        "-b:a", "24k", str(path)], check=True)
        notes.append(path.read_bytes())
    return notes


class Store:
    """moto's S3 server in a process of its own, and one bucket on it."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.log = open(folder / "s3.log", "wb")  # noqa: SIM115  (closed in stop)
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                         "-p", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_for(f"http://127.0.0.1:{self.port}/", self.process)

    def settings(self) -> dict:
        import boto3  # reason: only the --postgres run stores in S3

        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        endpoint = f"http://127.0.0.1:{self.port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench-key",
                     aws_secret_access_key="bench-secret").create_bucket(Bucket=bucket)
        return {"STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, **S3_KEYS}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the process exited with {process.returncode}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in time")


def redis_answers() -> bool:
    try:
        import redis  # reason: optional; the rate limits use Redis only when it runs

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


def start_server(env: dict, folder: Path, name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(folder / f"{name}.log", "wb")  # noqa: SIM115  (the child keeps it; closed with this process)
    process = subprocess.Popen([sys.executable, "-c", "from server.cli import main; main()", "serve",
                                "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                               cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_for(f"{url}/api/openapi.json", process)
    return process, url


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Phone:
    """One device: its token, its outbox of responses, what the servers acknowledged."""

    def __init__(self, token: str, outbox: list[dict], rng: random.Random):
        self.headers = {"Authorization": f"Bearer {token}"}
        self.outbox, self.rng = outbox, rng
        self.acked: set[str] = set()
        self.notes: dict[str, str] = {}  # note id -> sha256 of what was sent, once complete


class Load:
    """The phones' turns, the requests' latencies, the bytes sent, the errors."""

    def __init__(self, urls: list[str], recordings: list[bytes], deadline: float):
        self.urls, self.recordings, self.deadline = urls, recordings, deadline
        self.lock = threading.Lock()
        self.latencies, self.errors, self.batches, self.upload_bytes = [], [], 0, 0

    def request(self, http, method: str, path: str, **kwargs):
        """One request to a server picked at random; retried (as the app does) until it is answered."""
        for _attempt in range(5):
            url = random.choice(self.urls) + path
            started = time.perf_counter()
            try:
                reply = http.request(method, url, timeout=60, **kwargs)
            except requests.RequestException as error:
                self.record(None, f"{method} {path}: {error.__class__.__name__}")
                time.sleep(0.2)
                continue
            ok = reply.status_code < 400
            self.record(time.perf_counter() - started, None if ok else f"{method} {reply.status_code} "
                        f"{reply.text[:200]}")
            if ok:
                return reply
            time.sleep(0.2)
        raise RuntimeError(f"{method} {path} failed five times")

    def record(self, latency: float | None, error: str | None) -> None:
        with self.lock:
            if latency is not None:
                self.latencies.append(latency)
            if error:
                self.errors.append(error)

    def turn(self, http, phone: Phone) -> None:
        size = phone.rng.randint(20, 100)
        batch, phone.outbox = phone.outbox[:size], phone.outbox[size:]
        reply = self.request(http, "POST", "/api/v1/sync", json={"responses": batch}, headers=phone.headers)
        phone.acked.update(item["id"] for item in reply.json()["results"]
                           if item["status"] in ("created", "duplicate"))
        with self.lock:
            self.batches += 1
        for body in batch:
            for note in body["voice_notes"]:
                if time.monotonic() >= self.deadline:
                    return  # the rest stays in the phone's outbox: unfinished, not lost
                self.upload(http, phone, body["id"], note["id"])

    def upload(self, http, phone: Phone, response_id: str, note_id: str) -> None:
        data = phone.rng.choice(self.recordings)
        digest = hashlib.sha256(data).hexdigest()
        declaration = {"id": note_id, "response_id": response_id, "question": "vertel", "size": len(data),
                       "content_type": "audio/ogg", "sha256": digest}
        reply = self.request(http, "POST", "/api/v1/voice-notes", json=declaration, headers=phone.headers)
        offset = reply.json()["offset"]
        while offset < len(data):
            reply = self.request(http, "PATCH", f"/api/v1/voice-notes/{note_id}", data=data[offset:offset + CHUNK],
                                 headers={**phone.headers, "Upload-Offset": str(offset),
                                          "Content-Type": "application/offset+octet-stream"})
            with self.lock:
                self.upload_bytes += min(CHUNK, len(data) - offset)
            offset = reply.json()["offset"]
        phone.notes[note_id] = digest

    def run(self, phones: list[Phone], concurrency: int) -> float:
        """Phones take turns, `concurrency` at a time, until the deadline; the seconds it took."""
        waiting = [phone for phone in phones if phone.outbox]
        lock = threading.Lock()

        def worker():
            with requests.Session() as http:
                while time.monotonic() < self.deadline:
                    with lock:
                        if not waiting:
                            return
                        phone = waiting.pop(0)
                    self.turn(http, phone)
                    if phone.outbox:
                        with lock:
                            waiting.append(phone)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def cpu_ticks(masters: set[int], store_pid: int | None) -> dict:
    """CPU seconds so far, per process: the servers' workers, PostgreSQL's processes, the S3 server; and this
    process's clients. Kept per process so that one that ends meanwhile (another client's PostgreSQL backend)
    takes nothing off the total."""
    ticks = {"servers": {}, "database": {}, "store": {}}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        fields, pid = fields.split(), int(stat.parent.name)
        used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if int(fields[1]) in masters:
            ticks["servers"][pid] = used
        elif name.endswith("(postgres"):
            ticks["database"][pid] = used
        elif pid == store_pid:
            ticks["store"][pid] = used
    times = os.times()
    return {**ticks, "clients": {0: times.user + times.system}}


def cpu_used(before: dict, after: dict) -> dict:
    """Seconds each group used between the two readings, counting the processes alive at the end."""
    return {group: sum(used - before[group].get(pid, 0) for pid, used in after[group].items()) for group in after}


def run_once(args, folder: Path, servers: int, recordings: list[bytes], store: Store | None) -> dict:
    """One run against `servers` servers on a fresh database: the measures, and what was checked."""
    with private_database(args.postgres, folder, f"load{servers}") as url:
        settings = store.settings() if store else {}
        setup = prepare(url, folder, devices=args.phones)
        media = folder / f"media-{servers}"
        env = {**os.environ, "DATABASE_URL": url, "WIJKSTEM_SECRET_KEY": "bench-secret",
               "WIJKSTEM_RETENTION_INTERVAL_SECONDS": "0", "PYTHONPATH": str(REPO),
               "WIJKSTEM_RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
               "WIJKSTEM_RATELIMIT_STORAGE_URI": REDIS_URL if args.postgres and redis_answers()
               else storage_uri(folder / f"ratelimits-{servers}.db"),
               **{f"WIJKSTEM_{key}": value for key, value in settings.items()}}
        started = [start_server({**env, "WIJKSTEM_MEDIA_DIR": str(media if not store else folder / f"m{n}")},
                                folder, f"server-{servers}-{n}") for n in range(servers)]
        rng = random.Random(servers)
        phones = [Phone(token, realistic_responses(setup, args.responses, seed=n), random.Random(rng.random()))
                  for n, (_, token) in enumerate(setup.devices)]
        try:
            masters = {process.pid for process, _ in started}
            before = cpu_ticks(masters, store.process.pid if store else None)
            load = Load([u for _, u in started], recordings, time.monotonic() + args.seconds)
            seconds = load.run(phones, args.concurrency)
            cpu = cpu_used(before, cpu_ticks(masters, store.process.pid if store else None))
        finally:
            for process, _ in started:
                stop_server(process)
        lost = check_stored(url, media, settings, phones)
    return {"servers": servers, "seconds": seconds, "load": load, "cpu": cpu, "lost": lost,
            "responses": sum(len(p.acked) for p in phones), "notes": sum(len(p.notes) for p in phones)}


def check_stored(url: str, media: Path, settings: dict, phones: list[Phone]) -> list[str]:
    """What the phones were told is stored and is not (or not byte-identical)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(media), "SECRET_KEY": "bench-secret",
                      **settings})
    lost = []
    with app.app_context():
        stored = {str(i) for i in db.session.scalars(select(Response.id))}
        lost += [f"response {i}" for p in phones for i in p.acked if i not in stored]
        for phone in phones:
            for note_id, digest in phone.notes.items():
                note = db.session.get(VoiceNote, uuid.UUID(note_id))
                data = media_store().read_bytes(note.storage_name) if note and note.state == "complete" else None
                if data is None or hashlib.sha256(data).hexdigest() != digest:
                    lost.append(f"voice note {note_id}")
        assert db.session.scalar(select(func.count()).select_from(Response)) == len(stored)
        db.session.remove()
        db.engine.dispose()
    return lost


def report(args, runs: list[dict]) -> int:
    backend = "PostgreSQL + Redis + S3 (moto)" if args.postgres else "SQLite + one media folder"
    print(f"load on {backend}: {args.phones} phones ({args.concurrency} at a time), {args.seconds} s bound, "
          f"batches of 20-100, notes of {'/'.join(map(str, args.note_seconds))} s, on {os.cpu_count()} cores")
    rates, failed = {}, False  # servers -> (responses/s, requests/s, upload bytes/s)
    for run in runs:
        load, seconds, cpu = run["load"], run["seconds"], run["cpu"]
        rate = run["responses"] / seconds
        rates[run["servers"]] = (rate, len(load.latencies) / seconds, load.upload_bytes / seconds)
        per_batch = {k: v / max(load.batches, 1) * 1000 for k, v in cpu.items()}
        p50, p99 = (percentile(load.latencies, f) * 1000 for f in (0.5, 0.99)) if load.latencies else (0, 0)
        print(f"  {run['servers']} server{'s' if run['servers'] > 1 else ''}: {rate:7.0f} responses/s, "
              f"{len(load.latencies) / seconds:6.1f} requests/s, uploads {load.upload_bytes / seconds / 1e6:.2f} MB/s "
              f"({run['notes']} notes), {load.batches} batches in {seconds:.1f} s")
        print(f"      latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; CPU per turn (a batch and its notes): servers "
              f"{per_batch['servers']:.0f} ms, "
              + (f"PostgreSQL {per_batch['database']:.0f} ms, S3 server {per_batch['store']:.0f} ms, "
                 if args.postgres else "")
              + f"clients {per_batch['clients']:.0f} ms")
        print(f"      errors {len(load.errors)}, lost {len(run['lost'])}")
        for error in load.errors[:5]:
            print(f"      error: {error}")
        for item in run["lost"][:5]:
            print(f"      LOST: {item}")
        failed = failed or bool(load.errors or run["lost"])
    if 1 in rates and 2 in rates:
        ratios = [two / max(one, 1e-9) for two, one in zip(rates[2], rates[1], strict=True)]
        print(f"  ratio two servers : one server: requests/s {ratios[1]:.2f}, uploads {ratios[2]:.2f}, "
              f"responses/s {ratios[0]:.2f}")
    return 2 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--responses", type=int, default=400, help="responses in each phone's outbox")
    parser.add_argument("--smoke", action="store_true", help="a few phones for a few seconds (tests)")
    args = parser.parse_args()
    args.note_seconds = NOTE_SECONDS
    if args.smoke:
        args.phones, args.concurrency, args.seconds, args.responses = 4, 2, 3, 100
        args.note_seconds = (30,)
    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg is needed to make the voice notes")
    with scratch_folder() as folder:
        recordings = make_recordings(folder, args.note_seconds)
        store = Store(folder) if args.postgres else None
        try:
            runs = [run_once(args, folder, servers, recordings, store) for servers in (2, 1)]
        finally:
            if store:
                store.stop()
    return report(args, runs)


if __name__ == "__main__":
    sys.exit(main())
