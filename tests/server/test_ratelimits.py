"""Rate limits hold across all workers: the embedded default counts in one file per machine (and Redis works too)."""

import os
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from server import create_app
from server.ratelimit_storage import SQLiteFileStorage, storage_uri

#: One worker of its own: a process that counts 200 hits of one key in the storage at `sys.argv[1]`.
WORKER = """
import sys
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
import server.ratelimit_storage  # registers the wijkstem-sqlite scheme
limiter = FixedWindowRateLimiter(storage_from_string(sys.argv[1]))
print(sum(limiter.hit(parse("250/hour"), "sign-in") for _ in range(200)))
"""


@pytest.mark.slow  # starts server processes
def test_two_worker_processes_share_every_count(tmp_path):
    """Two processes (as gunicorn's workers are) hit one limit at once: together they get exactly its 250."""
    uri = storage_uri(tmp_path / "ratelimits.db")
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, uri], stdout=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parents[2]) for _ in range(2)]
    allowed = [int(worker.communicate(timeout=120)[0]) for worker in workers]
    assert sum(allowed) == 250 and all(allowed)  # both took part
    assert storage_from_string(uri).get(parse("250/hour").key_for("sign-in")) == 400


def test_the_default_storage_is_a_file_in_the_instance_folder(app_config):
    app = create_app({**app_config, "RATELIMIT_STORAGE_URI": None})
    assert app.config["RATELIMIT_STORAGE_URI"] == storage_uri(Path(app.instance_path) / "ratelimits.db")


def test_one_redis_setting_serves_the_rate_limits_too(app_config, monkeypatch):
    """`REDIS_URL` (the jobs' Redis) is where the counters go too; the older `RATELIMIT_STORAGE_URI` still wins."""
    redis = "redis://redis.internal:6379/0"
    assert create_app({**app_config, "RATELIMIT_STORAGE_URI": None, "REDIS_URL": redis}) \
        .config["RATELIMIT_STORAGE_URI"] == redis
    monkeypatch.setenv("WIJKSTEM_REDIS_URL", redis)
    monkeypatch.setenv("WIJKSTEM_RATELIMIT_STORAGE_URI", "redis://limits.internal:6379")
    app = create_app({key: value for key, value in app_config.items() if key != "RATELIMIT_STORAGE_URI"})
    assert app.config["REDIS_URL"] == redis
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://limits.internal:6379"


def test_concurrent_hits_from_many_connections_are_all_counted(tmp_path):
    uri = storage_uri(tmp_path / "ratelimits.db")
    limit = parse("1000/hour")

    def hit_many():
        limiter = FixedWindowRateLimiter(storage_from_string(uri))  # a connection of its own, like a worker
        for _ in range(100):
            limiter.hit(limit, "same-key")

    threads = [threading.Thread(target=hit_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    storage = storage_from_string(uri)
    assert isinstance(storage, SQLiteFileStorage)
    assert storage.get(limit.key_for("same-key")) == 400


def test_a_window_ends_and_starts_afresh(tmp_path):
    storage = storage_from_string(storage_uri(tmp_path / "ratelimits.db"))
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert time.time() < storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.05)
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_the_counters_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "ratelimits.db"
    storage_from_string(storage_uri(path)).incr("k", 60)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# --- measured against the real server --------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("storage", ["default", "redis://127.0.0.1:6379"])
def test_forty_wrong_sign_ins_against_two_workers_get_exactly_ten_answers(database_url, tmp_path, storage):
    """`wijkstem serve` with its default two workers: the 10-a-minute limit lets exactly 10 tries through."""
    import re

    import requests

    from server.accounts.operations import create_user
    from server.extensions import db
    from tests.server.test_crash import ProductionServer

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_DIR": str(tmp_path / "media"),
                      "SECRET_KEY": "crash-test"})
    with app.app_context():
        create_user("owner@example.org", "a long enough password", "coordinator")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    server = ProductionServer(database_url, tmp_path / "media", tmp_path / "server.log")
    server.env["WIJKSTEM_RATELIMIT_KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"  # a fresh count in a shared store
    if storage != "default":
        server.env["WIJKSTEM_RATELIMIT_STORAGE_URI"] = storage
    server.start()
    try:
        statuses = []
        for _ in range(40):
            browser = requests.Session()  # a new browser each time, as a guessing script would be
            page = browser.get(f"{server.url}/workspace/sign-in", timeout=30).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            statuses.append(browser.post(f"{server.url}/workspace/sign-in", timeout=30, allow_redirects=False, data={
                "csrf_token": token, "email": "owner@example.org", "password": "wrong password!"}).status_code)
    finally:
        server.stop()
    assert statuses == [401] * 10 + [429] * 30
