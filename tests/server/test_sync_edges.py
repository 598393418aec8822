"""The sync protocol's edges (issue 11): durable acknowledgements, erased responses that come back, one bad
character in one item, and what the documentation promises."""

import hashlib
import json
import re
import time
from unittest.mock import ANY

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from server.bulk import current_connection
from server.extensions import db
from server.responses import views as sync_views
from server.responses.models import Answer, ErasedResponse, Response
from server.voice.models import VoiceNote
from tests.factories import make_campaign, response_body, voice_declaration, wav_bytes

# Each request starts outside the test's transaction, as in production: a device's small batch takes the
# small batch's way (`sync_small_batch`) on both databases.
pytestmark = [pytest.mark.commits, pytest.mark.usefixtures("requests_start_committed")]

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
        seen.append(current_connection().exec_driver_sql("PRAGMA synchronous").scalar())  # the batch's own
        return store(*args, **kwargs)

    monkeypatch.setattr(sync_views, "store_checked", store_and_look)
    for small_body_bytes in (sync_views.SMALL_BODY_BYTES, 0):  # on the small batch's connection, the session's
        monkeypatch.setattr(sync_views, "SMALL_BODY_BYTES", small_body_bytes)
        reply = sync(client, auth, response_body(campaign))
        assert reply.json["results"][0]["status"] == "created"
    assert seen == [2, 2]  # FULL


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


# --- an erased response that comes back -----------------------------------------------------------------

RECEIPT = "K7M2QXH4PA"
NOTES = "/api/v1/voice-notes"


def erase(client, receipt=RECEIPT):
    reply = client.post("/api/v1/erasure", json={"receipt": receipt})
    assert reply.status_code == 200, reply.json
    return reply.json["erased"]


def test_an_erased_response_that_is_resent_is_answered_erased_and_never_stored_again(client, auth, campaign):
    body = response_body(campaign, receipt=RECEIPT)
    assert sync(client, auth, body).json["results"][0]["status"] == "created"
    assert erase(client) == 1
    for _ in range(2):  # the phone missed the acknowledgement, and retries as the protocol says
        reply = sync(client, auth, body)
        assert reply.json["results"] == [{"index": 0, "id": body["id"], "status": "erased"}]
    assert count(Response) == 0 and count(Answer) == 0
    # changed content is no way back in either
    assert sync(client, auth, {**body, "language": "en"}).json["results"][0]["status"] == "erased"
    assert count(Response) == 0
    stored = db.session.scalars(select(ErasedResponse.id_hash)).all()
    assert stored == [hashlib.sha256(body["id"].encode()).hexdigest()]  # the id itself is not kept


def test_an_erased_responses_voice_note_cannot_be_declared_again(client, auth, campaign):
    body = response_body(campaign, receipt=RECEIPT)
    sync(client, auth, body)
    erase(client)
    data = wav_bytes()
    reply = client.post(NOTES, json=voice_declaration(body["id"], data), headers=auth)
    assert reply.status_code == 410 and reply.json["error"]["code"] == "response_erased"
    assert count(VoiceNote) == 0


def test_erasing_twice_at_once_leaves_one_tombstone(client, auth, campaign):
    body = response_body(campaign, receipt=RECEIPT)
    sync(client, auth, body)
    erase(client)
    assert erase(client) == 0
    assert count(ErasedResponse) == 1


@st.composite
def erasure_stories(draw):
    """Responses with a few receipt codes (some shared, some none), the codes the residents erase, and the
    resends that follow in any order, any number of times."""
    receipts = draw(st.lists(st.sampled_from([None, "AAAA222222", "BBBB333333", "CCCC444444"]), min_size=1,
                             max_size=6))
    erased = draw(st.sets(st.sampled_from(["AAAA222222", "BBBB333333", "CCCC444444", "DDDD555555"])))
    resends = draw(st.lists(st.lists(st.integers(0, len(receipts) - 1), min_size=1, max_size=4), max_size=4))
    return receipts, erased, resends


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=erasure_stories())
def test_whatever_is_resent_an_erased_response_stays_erased(app, client, auth, campaign, story):
    receipts, erased_codes, resends = story
    app.config["RATELIMIT_ERASURE"] = "10000/minute"  # many residents erase here, from one test address
    for model in (Answer, VoiceNote, Response, ErasedResponse):
        db.session.execute(delete(model))
    db.session.commit()
    bodies = [response_body(campaign, receipt=receipt) for receipt in receipts]
    sync(client, auth, *bodies)
    for code in erased_codes:
        erase(client, code)
    gone = {body["id"] for body in bodies if body["receipt"] in erased_codes}
    for indexes in resends:
        reply = sync(client, auth, *(bodies[i] for i in indexes))
        statuses = [result["status"] for result in reply.json["results"]]
        assert statuses == ["erased" if bodies[i]["id"] in gone else "duplicate" for i in indexes]
    for response_id in gone:  # nor its audio
        declared = client.post(NOTES, json=voice_declaration(response_id, wav_bytes(0.1)), headers=auth)
        assert declared.status_code == 410 and declared.json["error"]["code"] == "response_erased"
    db.session.expire_all()
    stored = {str(response_id) for response_id in db.session.scalars(select(Response.id))}
    assert stored == {body["id"] for body in bodies} - gone
    assert count(ErasedResponse) == len(gone) and count(VoiceNote) == 0


# --- what the documentation promises ---------------------------------------------------------------------

def test_an_age_bracket_the_campaign_does_not_ask_for_is_a_per_item_error(client, auth, team):
    campaign = make_campaign(team, ask_age_bracket=False)
    db.session.commit()
    document = client.get(f"/api/v1/campaigns/{campaign.id}", headers=auth).json
    assert document["age_brackets"] == []
    for age_bracket in ("27-40", "99"):
        body = response_body(campaign, meta={"buurt": None, "age_bracket": age_bracket})
        result = sync(client, auth, body).json["results"][0]
        assert result["status"] == "invalid"
        assert result["errors"][0]["code"] == "unknown_age_bracket"
        assert result["errors"][0]["field"] == "meta.age_bracket"
    assert sync(client, auth, response_body(campaign, meta={"buurt": None, "age_bracket": None})).json[
        "results"][0]["status"] == "created"


def test_the_openapi_document_takes_the_campaigns_brackets_instead_of_fixing_them(client):
    meta = client.get("/api/openapi.json").json["components"]["schemas"]["Meta"]["properties"]["age_bracket"]
    assert "enum" not in meta and "campaign's `age_brackets`" in meta["description"]


@pytest.mark.slow  # the whole demo: every shipped clip written to the store, its accounts' passwords hashed
def test_the_demo_prints_the_team_slug_that_enrol_code_needs(runner):
    output = runner.invoke(args=["demo"]).output
    slug = re.search(r"wijkstem enrol-code --team (\S+?)\)", output).group(1)
    enrolled = runner.invoke(args=["enrol-code", "--team", slug])
    assert enrolled.exit_code == 0, enrolled.output
    assert "code:" in enrolled.output


def test_rate_limit_headers_are_as_documented(client, campaign, flyer):
    """`X-RateLimit-Reset` is an absolute time (seconds since 1970), and `Retry-After` comes on successful replies
    too, as the seconds until then (docs/sync-protocol.md, Rate limits)."""
    before = time.time()
    reply = client.get(f"/api/v1/sources/{flyer.code}")
    assert reply.status_code == 200
    reset, wait = int(reply.headers["X-RateLimit-Reset"]), int(reply.headers["Retry-After"])
    assert before < reset <= time.time() + 3600
    assert abs((reset - before) - wait) <= 2
