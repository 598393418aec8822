"""The sync protocol's edges (issue 11): durable acknowledgements, erased responses that come back, one bad
character in one item, and what the documentation promises."""

import json
from unittest.mock import ANY

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.responses import views as sync_views
from server.responses.models import Answer, Response
from tests.factories import response_body

SYNC = "/api/v1/sync"


def sync(client, headers, *responses):
    return client.post(SYNC, json={"responses": list(responses)}, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- an acknowledgement survives a power cut ----------------------------------------------------------

@pytest.mark.sqlite_only
def test_the_connection_that_stores_a_batch_commits_durably(client, auth, campaign, monkeypatch):
    """SQLite in WAL mode with synchronous=NORMAL may lose the last commits on power loss; the sync
    acknowledges right after its commit, so its writing connection must run with synchronous=FULL (2)."""
    seen = []
    store = sync_views.store_checked

    def store_and_look(*args, **kwargs):
        seen.append(db.session.connection().exec_driver_sql("PRAGMA synchronous").scalar())
        return store(*args, **kwargs)

    monkeypatch.setattr(sync_views, "store_checked", store_and_look)
    reply = sync(client, auth, response_body(campaign))
    assert reply.json["results"][0]["status"] == "created"
    assert seen == [2]  # FULL


# --- one bad character sinks no batch -----------------------------------------------------------------

def raw_sync(client, headers, *responses):
    """A batch as some clients write it: `json.dumps` escapes a lone surrogate as \\ud83c (orjson cannot)."""
    body = json.dumps({"responses": list(responses)})
    return client.post(SYNC, data=body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("where", ["answer", "buurt", "receipt", "key", "id"])
def test_a_lone_surrogate_makes_only_its_item_invalid(client, auth, campaign, where):
    good, bad = response_body(campaign), response_body(campaign)
    if where == "answer":
        bad["answers"] = [a if a["question"] != "idee" else {**a, "value": "Mooi \ud83c"} for a in bad["answers"]]
    elif where == "buurt":
        bad["meta"] = {"buurt": "Centrum\ud83c", "age_bracket": None}
    elif where == "receipt":
        bad["receipt"] = "K7M2\udc89QXH4"
    elif where == "key":
        bad["consent"] = {**bad["consent"], "\ud83c": True}
    else:
        bad["id"] = "\ud83c"
    reply = raw_sync(client, auth, good, bad)
    assert reply.status_code == 200, reply.data
    results = json.loads(reply.data)["results"]  # orjson, the test client's, cannot read a lone surrogate back
    assert [r["status"] for r in results] == ["created", "invalid"]
    assert results[1]["id"] == bad["id"] and results[1]["errors"][0]["code"] == "invalid_characters"
    assert count(Response) == 1


def test_a_lone_surrogate_in_the_batchs_own_keys_is_answered_not_a_500(client, auth, campaign):
    reply = client.post(SYNC, data=json.dumps({"responses": [], "\ud83c": 1}), content_type="application/json",
                        headers=auth)
    assert reply.status_code == 422 and json.loads(reply.data)["error"]["details"][0]["code"] == "unknown_field"


def test_a_whole_emoji_written_as_a_surrogate_pair_is_stored(client, auth, campaign):
    body = response_body(campaign)
    body["answers"] = [a if a["question"] != "idee" else {**a, "value": "Feest \U0001f389"} for a in body["answers"]]
    reply = raw_sync(client, auth, body)  # json.dumps writes \ud83c\udf89
    assert reply.json["results"][0]["status"] == "created"
    texts = db.session.scalars(select(Answer.text).where(Answer.question_key == "idee")).all()
    assert texts == ["Feest \U0001f389"]


@pytest.mark.parametrize("body", [b'{"responses": [NaN]}', b'{"responses": [1e999999]}', b'\xed\xa0\xbc',
                                  b'{"responses": []', b"[" * 100_000])
def test_what_is_no_json_still_gets_invalid_json(client, auth, body):
    reply = client.post(SYNC, data=body, content_type="application/json", headers=auth)
    assert reply.status_code in (400, 422), reply.json
    assert reply.json["error"]["code"] in ("invalid_json", "invalid_type")


def test_a_lone_surrogate_elsewhere_is_a_coded_error(client):
    reply = client.post("/api/v1/erasure", data=json.dumps({"receipt": "K7M2QX\ud83cH4"}),
                        content_type="application/json")
    assert reply.status_code == 422, reply.json
    assert reply.json["error"]["details"] == [{"field": "receipt", "code": "invalid_characters", "message": ANY}]
