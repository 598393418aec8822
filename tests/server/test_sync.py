"""The sync endpoint: per-item acknowledgements, exactly once."""

from sqlalchemy import func, select

from server.extensions import db
from server.responses.models import Answer, Response, SyncConflict
from tests.factories import response_body


def sync(client, headers, *responses, **extra):
    return client.post("/api/v1/sync", json={"responses": list(responses), **extra}, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_new_response_is_created_with_its_answers(client, auth, campaign):
    body = response_body(campaign)
    reply = sync(client, auth, body)
    assert reply.status_code == 200
    assert reply.json["results"] == [{"index": 0, "id": body["id"], "status": "created"}]
    assert count(Response) == 1
    assert count(Answer) == 7  # the multiple choice gives two rows


def test_resent_response_is_a_duplicate_and_adds_no_row(client, auth, campaign):
    body = response_body(campaign)
    sync(client, auth, body)
    reply = sync(client, auth, body, body)
    assert [r["status"] for r in reply.json["results"]] == ["duplicate", "duplicate"]
    assert count(Response) == 1
    assert count(Answer) == 7


def test_same_id_other_content_is_a_conflict_and_keeps_the_first(client, auth, campaign):
    body = response_body(campaign)
    sync(client, auth, body)
    changed = {**body, "language": "en"}
    reply = sync(client, auth, changed)
    assert reply.json["results"][0]["status"] == "conflict"
    assert reply.json["results"][0]["errors"][0]["code"] == "conflict"
    assert db.session.get(Response, __import__("uuid").UUID(body["id"])).language == "nl"
    logged = db.session.scalars(select(SyncConflict)).one()
    assert logged.incoming["language"] == "en"


def test_invalid_item_does_not_sink_the_batch(client, auth, campaign):
    good, bad = response_body(campaign), response_body(campaign, language="xx")
    reply = sync(client, auth, good, bad)
    statuses = [(r["status"], r.get("errors", [{}])[0].get("code")) for r in reply.json["results"]]
    assert statuses == [("created", None), ("invalid", "language_not_in_campaign")]
    assert count(Response) == 1
