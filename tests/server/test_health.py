"""What an operator watches: /healthz, /readyz (database, Redis, storage), /metrics behind its setting, and JSON
log lines that never hold a token, a code, a receipt or an answer."""

import json
import uuid

import pytest
from sqlalchemy import select

from server import create_app
from server.campaigns.models import Source
from server.extensions import db
from server.jobs.models import Job
from server.logs import remove_json_logging
from server.util import utcnow
from tests.factories import response_body, voice_declaration, wav_bytes

REDIS = "redis://127.0.0.1:6379/0"
#: Nothing listens there.
CLOSED = "127.0.0.1:9"


def redis_or_skip() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")


def test_healthz_answers_without_anything_else(client, backend):
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.json == {"status": "ok"}
    assert reply.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in reply.headers


def test_readyz_checks_the_database_and_the_storage(client, backend):
    reply = client.get("/readyz")
    assert reply.status_code == 200
    assert reply.json == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_readyz_checks_redis_when_it_is_used(app, client, backend):
    redis_or_skip()
    app.config["REDIS_URL"] = REDIS
    assert client.get("/readyz").json["checks"] == {"database": "ok", "storage": "ok", "redis": "ok"}
    app.config["REDIS_URL"] = f"redis://{CLOSED}/0"  # Redis down
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert reply.json == {"status": "not_ready", "checks": {"database": "ok", "storage": "ok", "redis": "failed"}}


def test_readyz_without_its_database_or_storage(app_config, tmp_path):
    """A PostgreSQL server that does not answer, and a media folder that is a file."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"postgresql://postgres@{CLOSED}/test",
                      "MEDIA_DIR": str(blocked)})
    reply = app.test_client().get("/readyz")
    assert reply.status_code == 503
    assert reply.json == {"status": "not_ready", "checks": {"database": "failed", "storage": "failed"}}
    assert app.test_client().get("/healthz").status_code == 200  # alive all the same
    with app.app_context():
        db.engine.dispose()


# --- /metrics ----------------------------------------------------------------------------------------------

def test_metrics_are_off_unless_a_token_or_network_is_set(client, backend):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token(app, client, backend):
    app.config["METRICS_TOKEN"] = "scrape-me-1234"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    reply = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-1234"})
    assert reply.status_code == 200 and reply.mimetype == "text/plain"


def test_metrics_from_an_allowed_network(app, client, backend):
    app.config["METRICS_ALLOW"] = "10.0.0.0/8"
    assert client.get("/metrics").status_code == 403  # the test client comes from 127.0.0.1
    app.config["METRICS_ALLOW"] = "10.0.0.0/8, 127.0.0.0/8"
    assert client.get("/metrics").status_code == 200


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} " if labels else f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_sync_items_uploads_and_jobs(app, client, auth, campaign, backend):
    app.config["METRICS_TOKEN"] = "scrape-me-1234"
    scrape = {"Authorization": "Bearer scrape-me-1234"}
    before = client.get("/metrics", headers=scrape).get_data(as_text=True)
    body = response_body(campaign)
    replies = [client.post("/api/v1/sync", json={"responses": batch}, headers=auth)
               for batch in ([body, response_body(campaign)], [body])]
    assert [r.status_code for r in replies] == [200, 200]
    data = wav_bytes(1.0)
    declaration = voice_declaration(body["id"], data)
    client.post("/api/v1/voice-notes", json=declaration, headers=auth)
    client.patch(f"/api/v1/voice-notes/{declaration['id']}", data=data,
                 headers={**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    db.session.add(Job(name="playback_copy", object_type="voice_note", object_id=str(uuid.uuid4()),
                       campaign_id=campaign.id, arguments={}, status="failed", attempts=4, failed_at=utcnow()))
    db.session.commit()
    after = client.get("/metrics", headers=scrape).get_data(as_text=True)

    def grew(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert grew("wijkstem_sync_items_total", status="created") == 2
    assert grew("wijkstem_sync_items_total", status="duplicate") == 1
    assert grew("wijkstem_requests_total", endpoint="api.responses.sync", method="POST", status="200") == 2
    assert grew("wijkstem_request_duration_seconds_count", endpoint="api.responses.sync") >= 2
    assert grew("wijkstem_voice_upload_bytes_total") == len(data)
    assert grew("wijkstem_requests_total", endpoint="health.metrics", method="GET", status="200") == 1
    assert metric(after, "wijkstem_jobs", job="playback_copy", status="failed") == 1
    assert "wijkstem_job_queue_depth 0.0" in after
    assert "wijkstem_db_pool_checked_out" in after and "wijkstem_job_failures_total" in after


# --- JSON logs ---------------------------------------------------------------------------------------------

@pytest.fixture
def json_logs(app):
    """The app with `LOG_FORMAT = "json"` (configured when it is built)."""
    from server.logs import configure_logging

    app.config["LOG_FORMAT"] = "json"
    configure_logging(app)
    yield app
    remove_json_logging()


def test_json_log_lines_hold_the_request_and_never_a_secret(json_logs, client, auth, campaign, capsys, backend):
    token = auth["Authorization"].removeprefix("Bearer ")
    flyer = db.session.scalars(select(Source).where(Source.campaign_id == campaign.id,
                                                    Source.kind == "flyer")).first()
    receipt, answer = "ZQ7R-K4XW", "Mijn geheime wens 4711"
    body = response_body(campaign, receipt=receipt, answers=[{"question": "idee", "value": answer}])
    capsys.readouterr()
    assert client.post("/api/v1/sync", json={"responses": [body]}, headers=auth).status_code == 200
    client.get(f"/f/{flyer.code}")
    client.get(f"/api/v1/sources/{flyer.code}")
    client.get(f"/r/{flyer.code}?code={flyer.code}")
    client.post("/api/v1/erasure", json={"receipt": receipt})
    client.get("/healthz", headers={"X-Request-Id": "lb-check-000123"})
    out = capsys.readouterr().err
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "wijkstem.request"]
    seen = [(r["method"], r["endpoint"]) for r in requests]
    assert seen[:2] == [("POST", "api.responses.sync"), ("GET", "pwa.flyer")]
    first = requests[0]
    assert first["status"] == 200 and first["duration_ms"] >= 0 and len(first["request_id"]) == 32
    assert requests[-1]["request_id"] == "lb-check-000123" and requests[-1]["endpoint"] == "health.healthz"
    for secret in (token, flyer.code, receipt, receipt.replace("-", ""), answer, body["id"]):
        assert secret not in out
