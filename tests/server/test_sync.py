"""The sync endpoint: per-item acknowledgements, exactly once."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from server.campaigns.operations import close_campaign, create_source, revoke_source
from server.devices.models import Device
from server.extensions import db
from server.responses.models import Answer, Response, SyncConflict
from server.util import sha256_hex
from tests.factories import FULL_ANSWERS, flyer_body, make_campaign, make_team, response_body

# Each request starts outside the test's transaction, as in production: a device's small batch takes the
# small batch's way (`sync_small_batch`) on both databases; larger ones and flyer visitors the session's.
pytestmark = [pytest.mark.commits, pytest.mark.usefixtures("requests_start_committed")]


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


# --- every per-item error -------------------------------------------------------------------------------

def first_error(reply, index: int = 0) -> tuple[str, str | None, str | None]:
    result = reply.json["results"][index]
    error = result.get("errors", [{}])[0]
    return result["status"], error.get("code"), error.get("field")


def without(question: str) -> list:
    return [dict(a) for a in FULL_ANSWERS if a["question"] != question]


def answering(question: str, value) -> list:
    return [*without(question), {"question": question, "value": value}]


ITEM_ERRORS = {
    "unknown campaign": ({"campaign_id": str(uuid.uuid4())}, "campaign_not_found", "campaign_version"),
    "unknown version": ({"campaign_version": 2}, "campaign_not_found", "campaign_version"),
    "no consent": ({"consent": {"answers": False, "audio": False}}, "consent_required", "consent.answers"),
    "language of no campaign": ({"language": "xx"}, "language_not_in_campaign", "language"),
    "language not in this campaign": ({"language": "pl"}, "language_not_in_campaign", "language"),
    "unknown flyer": ({"source": "ZZZZZZ"}, "source_not_found", "source"),
    "unknown buurt": ({"meta": {"buurt": "Oost", "age_bracket": None}}, "unknown_buurt", "meta.buurt"),
    "unknown question": ({"answers": [*FULL_ANSWERS, {"question": "hobby", "value": "x"}]},
                         "unknown_question", "answers.6.question"),
    "question twice": ({"answers": [*FULL_ANSWERS, {"question": "wonen", "value": 2}]},
                       "duplicate_answer", "answers.6.question"),
    "required question missing": ({"answers": without("wonen")}, "answer_required", "answers"),
    "voice note for a tap-only question": ({"voice_notes": [{"id": str(uuid.uuid4()), "question": "jaren"}]},
                                           "voice_not_allowed", "voice_notes.0.question"),
    "voice note for an unknown question": ({"voice_notes": [{"id": str(uuid.uuid4()), "question": "x"}]},
                                           "voice_not_allowed", "voice_notes.0.question"),
    "voice note without audio consent": ({"consent": {"answers": True, "audio": False},
                                          "voice_notes": [{"id": str(uuid.uuid4()), "question": "vertel"}]},
                                         "audio_consent_required", "consent.audio"),
    "missing id": ({"id": None}, "null", "id"),
    "id not a uuid": ({"id": "abc"}, "invalid_uuid", "id"),
    "answer without a value": ({"answers": answering("wonen", None)}, "null", "answers.5.value"),
    "collected_at not a date": ({"collected_at": "gisteren"}, "invalid_datetime", "collected_at"),
    "unknown channel": ({"channel": "phone"}, "not_one_of", "channel"),
    "version as text": ({"campaign_version": "1"}, "invalid_integer", "campaign_version"),
    "unknown field": ({"name": "Fatima"}, "unknown_field", "name"),
    "unknown age bracket": ({"meta": {"buurt": None, "age_bracket": "99"}}, "unknown_age_bracket", "meta.age_bracket"),
    "receipt too short": ({"receipt": "ab"}, "length", "receipt"),
    "consent missing": ({"consent": {"answers": True}}, "required", "consent.audio"),
    "NUL in a text": ({"answers": answering("idee", "meer\x00groen")}, "invalid_characters", "answers.5.value"),
}


@pytest.mark.parametrize("overrides, code, field", ITEM_ERRORS.values(), ids=ITEM_ERRORS.keys())
def test_each_item_error_has_its_code_and_field(client, auth, campaign, overrides, code, field):
    good, bad = response_body(campaign), response_body(campaign, **overrides)
    reply = sync(client, auth, good, bad)
    assert reply.status_code == 200
    assert reply.json["results"][0]["status"] == "created"
    assert first_error(reply, 1) == ("invalid", code, field)
    assert reply.json["results"][1]["id"] == bad["id"]
    assert count(Response) == 1 and count(Answer) == 7


WRONG_VALUES = {
    "smiley": [0, 6, "4", True, 3.5],
    "missen": ["bos", ["groen"], 1, ""],
    "plekken": [[], ["park", "park"], ["park", 3], [["park"]], [{"a": 1}], "park"],
    "veilig": ["ja", True, ["yes"]],
    "jaren": [101, -1, 2.5, "12", 2**40],
    "idee": ["   ", "x" * 301, 12, ["tekst"]],
    "vertel": ["een verhaal"],
}


@pytest.mark.parametrize("question, value", [(q, v) for q, values in WRONG_VALUES.items() for v in values])
def test_answer_that_does_not_fit_its_question_is_invalid(client, auth, campaign, question, value):
    key = "wonen" if question == "smiley" else question
    reply = sync(client, auth, response_body(campaign, answers=answering(key, value)))
    status, code, field = first_error(reply)
    assert (status, code) == ("invalid", "invalid_answer")
    assert field == f"answers.{len(FULL_ANSWERS) - (1 if key != 'vertel' else 0)}.value"
    assert count(Response) == 0


def test_item_that_is_not_an_object_is_invalid_on_its_own(client, auth, campaign):
    body = response_body(campaign)
    reply = sync(client, auth, "a response", body, 42, [body])
    assert [r["status"] for r in reply.json["results"]] == ["invalid", "created", "invalid", "invalid"]
    assert first_error(reply, 0) == ("invalid", "invalid_type", None)
    assert reply.json["results"][0]["id"] is None
    assert count(Response) == 1


def test_other_teams_campaign_is_not_found_for_a_device(client, auth, campaign):
    foreign = make_campaign(make_team())
    db.session.commit()
    reply = sync(client, auth, response_body(foreign))
    assert first_error(reply) == ("invalid", "campaign_not_found", "campaign_version")


def test_flyer_of_another_campaign_is_not_found(client, auth, team, campaign):
    other = make_campaign(team)
    source = create_source(other, "Moskee")
    db.session.commit()
    reply = sync(client, auth, response_body(campaign, source=source.code))
    assert first_error(reply) == ("invalid", "source_not_found", "source")


def test_device_may_deliver_what_it_collected_before_the_campaign_closed(client, auth, campaign):
    close_campaign(campaign)
    db.session.commit()
    assert sync(client, auth, response_body(campaign)).json["results"][0]["status"] == "created"


def test_same_instant_in_another_time_zone_is_a_duplicate(client, auth, campaign):
    body = response_body(campaign, collected_at="2026-11-28T10:15:00+01:00")
    sync(client, auth, body)
    again = sync(client, auth, {**body, "collected_at": "2026-11-28T09:15:00Z"})
    assert again.json["results"][0]["status"] == "duplicate"
    later = sync(client, auth, {**body, "collected_at": "2026-11-28T10:15:00Z"})
    assert later.json["results"][0]["status"] == "conflict"


@pytest.mark.parametrize("collected_at", ["2026-11-28T10:15:00+01:00", "2026-11-28T09:15:00.000250Z",
                                          "2026-11-28T09:15:00.5-03:30", "2026-11-28T09:15:00"])
def test_content_hash_keeps_its_canonical_form(campaign, collected_at):
    """Hashes already stored must still match: UUIDs as text, `collected_at` as a UTC ISO 8601 string."""
    from server.responses.rules import content_hash
    from server.responses.schemas import response_schema
    from server.util import canonical_json

    body = response_body(campaign, collected_at=collected_at, receipt="K7M2QXH4",
                         voice_notes=[{"id": str(uuid.UUID(int=9)), "question": "vertel"}])
    data = response_schema.load(body)
    expected = canonical_json({**data, "id": str(data["id"]), "campaign_id": str(data["campaign_id"]),
                               "collected_at": data["collected_at"].astimezone(UTC).isoformat(),
                               "voice_notes": [{"id": str(n["id"]), "question": n["question"]}
                                               for n in data["voice_notes"]]})
    assert content_hash(data) == sha256_hex(expected)


@pytest.mark.parametrize("collected_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                          "1899-12-31T23:59:59Z"])
def test_a_time_beyond_any_clock_is_an_invalid_item(client, auth, campaign, collected_at):
    """Not a server error: such a time could not even be turned into UTC."""
    reply = sync(client, auth, response_body(campaign, collected_at=collected_at))
    assert reply.status_code == 200
    assert first_error(reply) == ("invalid", "out_of_range", "collected_at")


def test_a_phone_whose_clock_was_reset_is_still_heard(client, auth, campaign):
    reply = sync(client, auth, response_body(campaign, collected_at="1970-01-01T00:00:12Z"))
    assert reply.json["results"][0]["status"] == "created"


def test_same_id_twice_in_one_batch(client, auth, campaign):
    body = response_body(campaign)
    changed = {**body, "answers": answering("wonen", 1)}
    reply = sync(client, auth, body, body, changed)
    assert [r["status"] for r in reply.json["results"]] == ["created", "duplicate", "conflict"]
    assert count(Response) == 1 and count(SyncConflict) == 1


def test_conflict_logs_both_hashes_and_overwrites_nothing(client, auth, campaign):
    body = response_body(campaign)
    sync(client, auth, body)
    stored = db.session.get(Response, uuid.UUID(body["id"]))
    stored_hash, answers = stored.content_hash, sorted((a.question_key, a.number or 0) for a in stored.answers)
    sync(client, auth, {**body, "answers": answering("wonen", 1)})
    db.session.expire_all()
    stored = db.session.get(Response, uuid.UUID(body["id"]))
    assert stored.content_hash == stored_hash
    assert sorted((a.question_key, a.number or 0) for a in stored.answers) == answers
    conflict = db.session.scalars(select(SyncConflict)).one()
    assert conflict.stored_hash == stored_hash and conflict.incoming_hash != stored_hash
    assert conflict.device_id is not None


def test_what_is_stored_matches_what_was_sent(client, enrolled, campaign):
    device_id, headers = enrolled
    body = response_body(campaign, answers=answering("idee", "  Meer bankjes  "), receipt="ab12-cd34")
    sync(client, headers, body)
    stored = db.session.get(Response, uuid.UUID(body["id"]))
    assert stored.collected_at == datetime(2026, 11, 28, 9, 15, tzinfo=UTC)
    assert stored.received_at > datetime(2026, 1, 1, tzinfo=UTC)
    assert (stored.language, stored.channel, stored.buurt, stored.age_bracket) == ("nl", "door_to_door", "Noord",
                                                                                   "27-40")
    assert str(stored.device_id) == device_id and stored.source_id is None
    assert stored.consent_answers and stored.consent_audio
    assert stored.receipt_hash == sha256_hex("AB12-CD34")
    rows = {(a.question_key, a.choice_key, a.number, a.text) for a in stored.answers}
    assert rows == {("wonen", None, 4, None), ("missen", "groen", None, None), ("plekken", "park", None, None),
                    ("plekken", "markt", None, None), ("veilig", "no", None, None), ("jaren", None, 12, None),
                    ("idee", None, None, "Meer bankjes")}


def test_collected_at_without_a_time_zone_is_read_as_utc(client, auth, campaign):
    body = response_body(campaign, collected_at="2026-11-28T10:15:00")
    sync(client, auth, body)
    assert db.session.get(Response, uuid.UUID(body["id"])).collected_at == datetime(2026, 11, 28, 10, 15,
                                                                                     tzinfo=UTC)


@pytest.mark.commits  # another connection revokes the device
def test_a_device_revoked_while_its_batch_is_checked_stores_nothing(client, enrolled, campaign, monkeypatch,
                                                                     database_url):
    """The checks run before the transaction that writes; the revocation must still win."""
    from sqlalchemy import create_engine, text

    import server.responses.views as views

    device_id, headers = enrolled
    check_items = views.check_items

    def revoked_meanwhile(*args, **kwargs):
        checked = check_items(*args, **kwargs)
        elsewhere = create_engine(database_url)  # a coordinator's request, committed by another connection
        with elsewhere.begin() as connection:
            connection.execute(text("UPDATE devices SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id"),
                               {"id": uuid.UUID(device_id).hex if "sqlite" in database_url else device_id})
        elsewhere.dispose()
        return checked

    monkeypatch.setattr(views, "check_items", revoked_meanwhile)
    body = response_body(campaign)
    db.session.commit()  # as in production, the request starts without a transaction of this test's
    reply = sync(client, headers, body)
    assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_token"
    db.session.rollback()
    assert count(Response) == 0
    assert db.session.get(Device, uuid.UUID(device_id)).last_sync_at is None


def test_device_reports_what_is_still_waiting(client, enrolled, campaign):
    device_id, headers = enrolled
    status = {"pending_responses": 3, "pending_voice_notes": 2, "pending_bytes": 123456}
    sync(client, headers, response_body(campaign), device_status=status)
    device = db.session.get(Device, uuid.UUID(device_id))
    assert (device.pending_responses, device.pending_voice_notes, device.pending_bytes) == (3, 2, 123456)
    assert device.last_sync_at is not None


# --- anonymous flyer visitors ---------------------------------------------------------------------------

def test_flyer_visitor_answers_without_a_token(client, campaign, flyer):
    body = flyer_body(campaign, flyer)
    reply = sync(client, {}, body)
    assert reply.json["results"][0]["status"] == "created"
    stored = db.session.get(Response, uuid.UUID(body["id"]))
    assert stored.device_id is None and stored.source_id == flyer.id and stored.channel == "flyer"
    assert sync(client, {}, body).json["results"][0]["status"] == "duplicate"


@pytest.mark.parametrize("overrides", [{"source": None}, {"channel": "door_to_door"}])
def test_flyer_visitor_needs_a_flyer_code(client, campaign, flyer, overrides):
    reply = sync(client, {}, {**flyer_body(campaign, flyer), **overrides})
    assert first_error(reply) == ("invalid", "source_required", "source")
    assert count(Response) == 0


def test_revoked_flyer_takes_no_more_answers(client, campaign, flyer):
    revoke_source(flyer)
    db.session.commit()
    assert first_error(sync(client, {}, flyer_body(campaign, flyer))) == ("invalid", "source_closed", "source")


def test_closed_campaign_takes_no_more_flyer_answers(client, campaign, flyer):
    close_campaign(campaign)
    db.session.commit()
    assert first_error(sync(client, {}, flyer_body(campaign, flyer)))[1] == "source_closed"


class TestAnonymousRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ANONYMOUS": "2/minute"}

    def test_flyer_visitors_are_rate_limited_devices_are_not(self, client, auth, campaign, flyer):
        for _ in range(2):
            assert sync(client, {}, flyer_body(campaign, flyer)).status_code == 200
        limited = sync(client, {}, flyer_body(campaign, flyer))
        assert limited.status_code == 429 and limited.json["error"]["code"] == "rate_limited"
        assert "Retry-After" in limited.headers
        assert count(Response) == 2
        for _ in range(3):
            assert sync(client, auth, response_body(campaign)).status_code == 200


# --- the batch as a whole -------------------------------------------------------------------------------

class TestBatchLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "SYNC_MAX_BATCH": 3}

    def test_batch_over_the_limit_is_refused_whole(self, client, auth, campaign):
        reply = sync(client, auth, *[response_body(campaign) for _ in range(4)])
        assert reply.status_code == 413
        assert reply.json["error"]["code"] == "batch_too_large"
        assert reply.json["error"]["limit"] == 3 and reply.json["error"]["field"] == "responses"
        assert reply.json["error"]["message"] == "Stuur hoogstens 3 antwoorden tegelijk."
        assert count(Response) == 0

    def test_batch_at_the_limit_is_taken(self, client, auth, campaign):
        reply = sync(client, auth, *[response_body(campaign) for _ in range(3)])
        assert [r["status"] for r in reply.json["results"]] == ["created"] * 3


def test_default_batch_limit_is_one_hundred(client, auth, campaign):
    assert sync(client, auth, *[response_body(campaign) for _ in range(100)]).status_code == 200
    assert sync(client, auth, *[response_body(campaign) for _ in range(101)]).status_code == 413
    assert count(Response) == 100


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_body_must_be_json(client, auth, campaign, content_type):
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    reply = client.post("/api/v1/sync", data=b'{"responses": []}', headers=headers)
    assert reply.status_code == 415 and reply.json["error"]["code"] == "json_required"


@pytest.mark.parametrize("data", [b'{"responses": [', b"[]", b'"responses"', b"\xff\xfe", b"", b"null"])
def test_body_must_be_a_json_object(client, auth, data):
    reply = client.post("/api/v1/sync", data=data, headers={**auth, "Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("body, field, code", [
    ({}, "responses", "required"),
    ({"responses": {}}, "responses", "invalid_list"),
    ({"responses": None}, "responses", "null"),
    ({"responses": [], "device_status": {"pending_responses": -1}}, "device_status.pending_responses",
     "out_of_range"),
    ({"responses": [], "device_status": "full"}, "device_status", "invalid_type"),
    ({"responses": [], "unknown": 1}, "unknown", "unknown_field"),
])
def test_malformed_batch_names_the_field(client, auth, body, field, code):
    reply = client.post("/api/v1/sync", json=body, headers=auth)
    assert reply.status_code == 422
    error = reply.json["error"]
    assert (error["code"], error["field"]) == ("invalid_input", field)
    assert error["details"][0]["code"] == code


def test_messages_are_dutch_by_default_and_english_on_request(client, auth, campaign):
    bad = response_body(campaign, language="xx")
    dutch = sync(client, auth, bad)
    assert dutch.json["results"][0]["errors"][0]["message"] == "Deze taal hoort niet bij de campagne."
    english = sync(client, {**auth, "Accept-Language": "en"}, bad)
    assert english.json["results"][0]["errors"][0]["message"] == "This language is not part of the campaign."
    whole = client.post("/api/v1/sync", json={}, headers={**auth, "Accept-Language": "en-GB,en;q=0.8"})
    assert whole.json["error"]["message"] == "Some of the data sent is not valid."
    assert whole.json["error"]["details"][0]["message"] == "Missing data for required field."
    assert client.post("/api/v1/sync", json={}, headers=auth).json["error"]["details"][0]["message"] == \
        "Dit veld is verplicht."


def test_unknown_path_and_method_answer_in_json(client, auth):
    missing = client.get("/api/v1/nothing-here", headers=auth)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.get("/api/v1/sync", headers=auth)
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


def test_body_over_the_request_limit_is_refused(client, auth):
    huge = b'{"responses": ["' + b"x" * (3 * 1024 * 1024) + b'"]}'
    reply = client.post("/api/v1/sync", data=huge, headers={**auth, "Content-Type": "application/json"})
    assert reply.status_code == 413 and reply.json["error"]["code"] == "payload_too_large"


def test_flyer_codes_are_matched_as_typed_in_any_case(client, campaign, flyer):
    body = {**flyer_body(campaign, flyer), "source": flyer.code.lower()}
    reply = client.post("/api/v1/sync", json={"responses": [body]})
    assert reply.json["results"][0]["status"] == "created"
    again = client.post("/api/v1/sync", json={"responses": [{**body, "source": flyer.code}]})
    assert again.json["results"][0]["status"] == "duplicate"


def test_an_unknown_token_is_refused_before_the_body_is_judged(client, campaign):
    unknown = {"Authorization": "Bearer not-a-device-token", "Content-Type": "application/json"}
    for body in (b"{not json", b'{"responses": [{"id": "x"}]}'):
        reply = client.post("/api/v1/sync", data=body, headers=unknown)
        assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_token"
    assert count(Response) == 0


def test_a_device_revoked_between_two_syncs_is_refused_on_the_next(client, enrolled, campaign):
    device_id, headers = enrolled
    assert sync(client, headers, response_body(campaign)).status_code == 200
    db.session.get(Device, uuid.UUID(device_id)).revoked_at = datetime.now(UTC)
    db.session.commit()
    reply = sync(client, headers, response_body(campaign))
    assert reply.status_code == 401 and reply.json["error"]["code"] == "invalid_token"
    assert count(Response) == 1


def test_a_device_batch_here_takes_the_small_batch_way(client, auth, campaign, monkeypatch):
    # This module's tests are meant to run `sync_small_batch` (see `pytestmark`): without a fallback.
    import server.responses.views as views
    taken, small = [], views.sync_small_batch
    monkeypatch.setattr(views, "sync_small_batch", lambda: taken.append(small()) or taken[-1])
    assert sync(client, auth, response_body(campaign)).json["results"][0]["status"] == "created"
    assert len(taken) == 1 and taken[0] is not None
