"""A device's small batch, synced on one Core connection without the ORM session (issue 14 §5): the same
replies, rows and refusals as the session's way, on both databases."""

import uuid

import pytest
from sqlalchemy import func, select

import server.responses.views as views
from server.devices.models import Device
from server.extensions import db
from server.responses.models import Answer, Response, SyncConflict
from tests.factories import response_body

pytestmark = pytest.mark.commits  # the request's own connection must see the fixtures' rows


@pytest.fixture
def ways(monkeypatch):
    """How each sync request went: "small" (one connection), "fallback" (it needed the session), "session"."""
    taken = []
    small, on_session = views.sync_small_batch, views.sync_on_session

    def spied_small():
        results = small()
        taken.append("small" if results is not None else "fallback")
        return results

    def spied_session():
        if not taken or taken[-1] != "fallback":
            taken.append("session")
        return on_session()

    monkeypatch.setattr(views, "sync_small_batch", spied_small)
    monkeypatch.setattr(views, "sync_on_session", spied_session)
    return taken


def sync(client, headers, *responses, **extra):
    db.session.commit()  # as in production, each request starts without a transaction of this test's
    return client.post("/api/v1/sync", json={"responses": list(responses), **extra}, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_created_duplicate_conflict_and_invalid_as_on_the_session(client, auth, campaign, ways):
    body, bad = response_body(campaign), response_body(campaign, language="xx")
    reply = sync(client, auth, body, bad)
    assert [(r["status"], r.get("errors", [{}])[0].get("code")) for r in reply.json["results"]] == [
        ("created", None), ("invalid", "language_not_in_campaign")]
    assert count(Response) == 1 and count(Answer) == 7
    assert [r["status"] for r in sync(client, auth, body).json["results"]] == ["duplicate"]
    conflict = sync(client, auth, {**body, "language": "en"}).json["results"][0]
    assert conflict["status"] == "conflict" and conflict["errors"][0]["code"] == "conflict"
    assert db.session.scalars(select(SyncConflict)).one().incoming["language"] == "en"
    assert count(Response) == 1 and count(Answer) == 7
    assert ways == ["small"] * 3


def test_the_stored_rows_are_those_of_the_session_way(client, auth, campaign, ways, monkeypatch):
    small, other = response_body(campaign, receipt="K7M2QXH4PA"), response_body(campaign, receipt="K7M2QXH4PB")
    sync(client, auth, small)
    monkeypatch.setattr(views, "SMALL_BODY_BYTES", 0)
    sync(client, auth, other)
    assert ways == ["small", "session"]
    assert stored(small) == stored(other)


@pytest.mark.parametrize("n", [8, 15])
def test_a_batch_of_several_responses_is_stored_as_on_the_session(client, auth, campaign, ways, monkeypatch, n):
    # More answer rows than one INSERT of the pipeline takes (`PIPELINED_INSERT_ROWS`): several INSERTs.
    small = [response_body(campaign) for _ in range(n)]
    other = [response_body(campaign) for _ in range(n)]
    reply = sync(client, auth, *small)
    assert reply.status_code == 200, reply.json
    assert [r["status"] for r in reply.json["results"]] == ["created"] * n
    monkeypatch.setattr(views, "SMALL_BODY_BYTES", 0)
    assert [r["status"] for r in sync(client, auth, *other).json["results"]] == ["created"] * n
    assert ways == ["small", "session"]
    assert count(Response) == 2 * n and count(Answer) == 2 * 7 * n
    assert [stored(body) for body in small] == [stored(body) for body in other]


def stored(body) -> tuple:
    """The stored response of `body` and its answers, but for what differs between two responses."""
    response = db.session.get(Response, uuid.UUID(body["id"]))
    columns = {column.key: getattr(response, column.key) for column in Response.__table__.columns
               if column.key not in ("id", "receipt_hash", "content_hash", "received_at")}
    answers = sorted((a.question_key, a.choice_key, a.number, a.text) for a in response.answers)
    return columns, answers


def test_the_device_reports_what_is_still_waiting(client, enrolled, campaign, ways):
    device_id, headers = enrolled
    status = {"pending_responses": 3, "pending_voice_notes": 2, "pending_bytes": 123456}
    sync(client, headers, response_body(campaign), device_status=status)
    device = db.session.get(Device, uuid.UUID(device_id))
    assert (device.pending_responses, device.pending_voice_notes, device.pending_bytes) == (3, 2, 123456)
    assert device.last_sync_at is not None and device.status_reported_at is not None
    assert ways == ["small"]


def test_an_unknown_or_revoked_token_is_refused_whatever_the_body(client, enrolled, campaign, ways):
    device_id, headers = enrolled
    for body in ([response_body(campaign)], "not a list"):
        reply = sync(client, {"Authorization": "Bearer unknown"}, *([] if body == "not a list" else body))
        assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_token"
    db.session.commit()
    malformed = client.post("/api/v1/sync", json={"responses": "not a list"},
                            headers={"Authorization": "Bearer unknown"})
    assert malformed.status_code == 401
    known = client.post("/api/v1/sync", json={"responses": "not a list"}, headers=headers)
    assert known.status_code == 422
    db.session.get(Device, uuid.UUID(device_id)).revoked_at = db.func.now()
    reply = sync(client, headers, response_body(campaign))
    assert reply.status_code == 401 and count(Response) == 0


@pytest.mark.parametrize("body", [b'{"responses": "not a list", "pad": "' + b"x" * 15000 + b'"}',
                                  b'{"responses": [' + b"[" * 8000], ids=["malformed", "nested"])
def test_an_unknown_token_is_refused_before_the_body_is_parsed(client, campaign, monkeypatch, body):
    # A request with a token skips the rate limiter: an unknown one must cost no parsing (server/ratelimits.py).
    entered, parsed = [], []
    small, parse = views.sync_small_batch, views.parse_batch
    monkeypatch.setattr(views, "sync_small_batch", lambda: entered.append(1) or small())
    monkeypatch.setattr(views, "parse_batch", lambda: parsed.append(1) or parse())
    db.session.commit()
    reply = client.post("/api/v1/sync", data=body, content_type="application/json",
                        headers={"Authorization": "Bearer unknown"})
    assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_token"
    assert entered == [1] and parsed == []
    assert len(body) <= views.SMALL_BODY_BYTES


def test_a_resent_erased_response_falls_back_to_the_session_and_is_answered_erased(client, auth, campaign, ways):
    body = response_body(campaign, receipt="K7M2QXH4PA")
    sync(client, auth, body)
    db.session.commit()
    assert client.post("/api/v1/erasure", json={"receipt": "K7M2QXH4PA"}).json["erased"] == 1
    reply = sync(client, auth, body)
    assert reply.json["results"] == [{"index": 0, "id": body["id"], "status": "erased"}]
    assert count(Response) == 0
    assert ways == ["small", "fallback"]
