"""Enrolment and the device token: one-time codes, rate limits, revocation, the header as the only way in."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.devices.models import Device, EnrolmentCode
from server.devices.operations import make_enrolment_code
from server.extensions import db
from server.util import sha256_hex, utcnow

ENROL = "/api/v1/devices/enrol"
ME = "/api/v1/devices/me"


def new_code(team, label="Telefoon Fatima") -> str:
    code = make_enrolment_code(team, label)
    db.session.commit()
    return code


def error_code(reply) -> str:
    return reply.json["error"]["code"]


def test_enrolment_gives_a_random_token_stored_only_as_its_hash(client, team):
    reply = client.post(ENROL, json={"code": new_code(team)})
    assert reply.status_code == 201
    assert reply.headers["Cache-Control"] == "no-store"
    token = reply.json["token"]
    assert len(token) >= 43  # at least 256 bits, base64url
    assert reply.json["team"] == team.name and reply.json["label"] == "Telefoon Fatima"
    device = db.session.get(Device, uuid.UUID(reply.json["device_id"]))
    assert device.token_hash == sha256_hex(token)
    assert token not in {str(value) for value in vars(device).values()}


def test_enrolled_device_knows_who_it_is(client, team):
    reply = client.post(ENROL, json={"code": new_code(team), "label": "Eigen naam"})
    me = client.get(ME, headers={"Authorization": f"Bearer {reply.json['token']}"})
    assert me.status_code == 200
    assert me.json["id"] == reply.json["device_id"]
    assert me.json["label"] == "Eigen naam" and me.json["team"] == team.name


def test_code_may_be_typed_with_lower_case_spaces_and_dashes(client, team):
    code = new_code(team)
    typed = f"{code[:5].lower()} - {code[5:]}"
    assert client.post(ENROL, json={"code": typed}).status_code == 201


def test_used_code_does_not_work_twice(client, team):
    code = new_code(team)
    assert client.post(ENROL, json={"code": code}).status_code == 201
    again = client.post(ENROL, json={"code": code})
    assert again.status_code == 400
    assert error_code(again) == "enrolment_code_invalid"
    assert again.json["error"]["field"] == "code"
    assert db.session.scalar(select(db.func.count()).select_from(Device)) == 1


def test_expired_code_is_refused(client, team):
    code = new_code(team)
    enrolment = db.session.scalars(select(EnrolmentCode)).one()
    enrolment.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    reply = client.post(ENROL, json={"code": code})
    assert reply.status_code == 400 and error_code(reply) == "enrolment_code_invalid"


def test_code_expires_after_fifteen_minutes(client, team):
    new_code(team)
    enrolment = db.session.scalars(select(EnrolmentCode)).one()
    lifetime = enrolment.expires_at - enrolment.created_at
    assert timedelta(minutes=14, seconds=59) < lifetime <= timedelta(minutes=15, seconds=1)


def test_unknown_code_is_refused_with_a_dutch_message(client, team):
    reply = client.post(ENROL, json={"code": "ABCDEFGHJK"})
    assert reply.status_code == 400 and error_code(reply) == "enrolment_code_invalid"
    assert "koppelcode" in reply.json["error"]["message"]


@pytest.mark.parametrize("body, field", [
    ({}, "code"),
    ({"code": "abc"}, "code"),
    ({"code": 12345678}, "code"),
    ({"code": "ABCDEFGHJK", "label": "x" * 201}, "label"),
    ({"code": "ABCDEFGHJK", "extra": 1}, "extra"),
])
def test_malformed_enrolment_is_invalid_input(client, team, body, field):
    reply = client.post(ENROL, json=body)
    assert reply.status_code == 422
    assert error_code(reply) == "invalid_input"
    assert reply.json["error"]["field"] == field


class TestEnrolmentRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENROL": "3/minute"}

    def test_guessing_codes_is_rate_limited(self, client, team):
        for _ in range(3):
            assert client.post(ENROL, json={"code": "ABCDEFGHJK"}).status_code == 400
        reply = client.post(ENROL, json={"code": new_code(team)})
        assert reply.status_code == 429
        assert error_code(reply) == "rate_limited"
        assert int(reply.headers["Retry-After"]) > 0
        assert db.session.scalar(select(db.func.count()).select_from(Device)) == 0


def test_missing_token_is_token_required(client, team):
    reply = client.get(ME)
    assert reply.status_code == 401
    assert error_code(reply) == "token_required"
    assert reply.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Bearer", "Basic dXNlcjpwdw==", "token abc"])
def test_unknown_or_malformed_token_is_invalid_token(client, team, header):
    reply = client.get(ME, headers={"Authorization": header})
    assert reply.status_code == 401
    assert error_code(reply) == "invalid_token"


def test_revoked_device_is_refused(client, runner, enrolled):
    device_id, headers = enrolled
    assert client.get(ME, headers=headers).status_code == 200
    result = runner.invoke(args=["revoke-device", device_id])
    assert result.exit_code == 0, result.output
    reply = client.get(ME, headers=headers)
    assert reply.status_code == 401 and error_code(reply) == "invalid_token"
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 401


def test_revoking_one_device_leaves_the_others(client, runner, team, enrolled):
    other = client.post(ENROL, json={"code": new_code(team)}).json
    runner.invoke(args=["revoke-device", enrolled[0]])
    assert client.get(ME, headers={"Authorization": f"Bearer {other['token']}"}).status_code == 200


@pytest.mark.parametrize("name", ["token", "access_token", "auth", "Authorization"])
def test_token_in_the_url_is_not_accepted(client, auth, name):
    token = auth["Authorization"].split()[1]
    reply = client.get(f"{ME}?{name}={token}")
    assert reply.status_code == 401 and error_code(reply) == "token_required"


def test_token_in_a_cookie_is_not_accepted(client, auth):
    client.set_cookie("token", auth["Authorization"].split()[1])
    assert error_code(client.get(ME)) == "token_required"


def test_enrol_code_command_prints_a_working_code_and_a_url_without_a_token(client, runner, team):
    result = runner.invoke(args=["enrol-code", "--team", team.slug, "--base-url", "https://wijk.example"])
    assert result.exit_code == 0, result.output
    code = result.output.split("code:", 1)[1].split()[0]
    assert f"https://wijk.example/app/#enrol={code}" in result.output
    reply = client.post(ENROL, json={"code": code})
    assert reply.status_code == 201
    assert reply.json["token"] not in result.output
