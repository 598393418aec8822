"""A resident's receipt code erases what they said: the response, its answers and its voice files."""

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.responses.models import Answer, Response
from server.voice.models import VoiceNote
from tests.factories import flyer_body, response_body, voice_declaration, wav_bytes

ERASURE = "/api/v1/erasure"
RECEIPT = "K7M2-QX9P"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def sync(client, headers, *responses):
    return client.post("/api/v1/sync", json={"responses": list(responses)}, headers=headers)


def upload_note(client, headers, response_id, data) -> str:
    body = voice_declaration(response_id, data)
    client.post("/api/v1/voice-notes", json=body, headers=headers)
    reply = client.patch(f"/api/v1/voice-notes/{body['id']}", data=data,
                         headers={**headers, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert reply.json["state"] == "complete"
    return body["id"]


def media_files(app) -> list[Path]:
    return [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()]


def test_receipt_erases_responses_answers_and_voice_files(app, client, auth, campaign):
    mine = response_body(campaign, receipt=RECEIPT, voice_notes=[])
    other = response_body(campaign, receipt="ANDERE-BON")
    sync(client, auth, mine, other)
    upload_note(client, auth, mine["id"], wav_bytes())
    kept_note = upload_note(client, auth, other["id"], wav_bytes(0.3))
    assert len(media_files(app)) == 4  # each recording and its playable copy (a job made it)
    reply = client.post(ERASURE, json={"receipt": RECEIPT.lower()})  # as typed: case does not matter
    assert reply.status_code == 200 and reply.json == {"erased": 1}
    db.session.expire_all()
    assert db.session.get(Response, uuid.UUID(mine["id"])) is None
    assert db.session.scalar(select(func.count()).where(Answer.response_id == uuid.UUID(mine["id"]))) == 0
    assert [str(n.id) for n in db.session.scalars(select(VoiceNote))] == [kept_note]
    assert len(media_files(app)) == 2
    assert count(Response) == 1 and count(Answer) == 7


def test_receipt_erases_every_response_that_carries_it(client, auth, campaign, flyer):
    sync(client, auth, response_body(campaign, receipt=RECEIPT))
    sync(client, {}, flyer_body(campaign, flyer, receipt=RECEIPT))
    assert client.post(ERASURE, json={"receipt": f"  {RECEIPT}  "}).json == {"erased": 2}
    assert count(Response) == 0 and count(Answer) == 0


def test_unknown_receipt_erases_nothing(client, auth, campaign):
    sync(client, auth, response_body(campaign, receipt=RECEIPT))
    assert client.post(ERASURE, json={"receipt": "NIET-BEKEND"}).json == {"erased": 0}
    assert count(Response) == 1


def test_erasing_twice_is_harmless(client, auth, campaign):
    sync(client, auth, response_body(campaign, receipt=RECEIPT))
    assert client.post(ERASURE, json={"receipt": RECEIPT}).json == {"erased": 1}
    assert client.post(ERASURE, json={"receipt": RECEIPT}).json == {"erased": 0}


def test_receipt_is_stored_only_as_a_hash(client, auth, campaign):
    body = response_body(campaign, receipt=RECEIPT)
    sync(client, auth, body)
    stored = db.session.get(Response, uuid.UUID(body["id"]))
    assert RECEIPT not in {str(v) for v in vars(stored).values()}


@pytest.mark.parametrize("body, field", [({}, "receipt"), ({"receipt": "abc"}, "receipt"),
                                         ({"receipt": 123456}, "receipt"), ({"receipt": "ABC\x00DEF"}, "receipt")])
def test_malformed_erasure_is_invalid_input(client, body, field):
    reply = client.post(ERASURE, json=body)
    assert reply.status_code == 422
    assert reply.json["error"]["code"] == "invalid_input" and reply.json["error"]["field"] == field


class TestErasureRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ANONYMOUS": "3/minute", "RATELIMIT_ERASURE": "3/minute"}

    def test_guessing_receipts_is_rate_limited(self, client, campaign):
        for _ in range(3):
            assert client.post(ERASURE, json={"receipt": "GUESS-123"}).status_code == 200
        reply = client.post(ERASURE, json={"receipt": "GUESS-124"})
        assert reply.status_code == 429 and reply.json["error"]["code"] == "rate_limited"

    def test_a_made_up_bearer_token_does_not_escape_the_limit(self, client, campaign):
        made_up = {"Authorization": "Bearer not-a-device"}
        replies = [client.post(ERASURE, json={"receipt": "GUESS-123"}, headers=made_up).status_code
                   for _ in range(4)]
        assert replies == [200, 200, 200, 429]
        lookups = [client.get("/api/v1/sources/UNKNOWN", headers=made_up).status_code for _ in range(4)]
        assert lookups == [404, 404, 404, 429]


def test_the_json_endpoint_allows_the_forms_tries_per_address(client, campaign):
    """Issue 11: `POST /api/v1/erasure` allowed 120 guesses a minute against the `/erase` form's 5."""
    replies = [client.post(ERASURE, json={"receipt": f"GUESS-{n:03d}"}).status_code for n in range(6)]
    assert replies == [200] * 5 + [429]


def test_the_form_and_the_json_endpoint_share_one_budget(client, web, campaign):
    replies = [client.post(ERASURE, json={"receipt": "GUESS-100"}).status_code for _ in range(3)]
    web.get("/erase")
    replies += [web.post("/erase", {"receipt": "GUESS-200"}).status_code for _ in range(3)]
    assert replies == [200, 200, 200, 200, 200, 429]
