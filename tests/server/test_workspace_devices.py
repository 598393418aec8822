"""Enrolling phones from the workspace, seeing what they still hold, and revoking them."""

import re
import uuid

import pytest
import zxingcpp
from sqlalchemy import select

from server.devices.models import Device, EnrolmentCode
from server.extensions import db
from tests.factories import response_body, svg_qr_image


@pytest.fixture
def web_c(web, make_user, team):
    return web.sign_in_as(make_user("coordinator", [team]))


def enrol_page(web, team, label="Telefoon Fatima"):
    return web.post("/workspace/devices/enrol", {"team": team.id, "label": label})


def enrol_link(html: str) -> str:
    """The link in the page's QR code, decoded from the inline SVG."""
    results = zxingcpp.read_barcodes(svg_qr_image(re.search(r"<svg.*?</svg>", html, re.S).group(0)))
    assert len(results) == 1
    return results[0].text


def test_enrolment_qr_carries_a_one_time_code_in_the_fragment(web_c, client, team):
    reply = enrol_page(web_c, team)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    link = enrol_link(html)
    assert re.fullmatch(r"http://localhost/app/#enrol=[2-9A-Z]{10}", link)
    code = link.rsplit("=", 1)[1]
    assert f"{code[:5]} {code[5:]}" in html
    enrolled = client.post("/api/v1/devices/enrol", json={"code": code})
    assert enrolled.status_code == 201
    device = db.session.get(Device, uuid.UUID(enrolled.json["device_id"]))
    assert device.label == "Telefoon Fatima"
    again = client.post("/api/v1/devices/enrol", json={"code": code})
    assert again.status_code == 400


def test_enrolment_code_is_stored_only_as_a_hash(web_c, team):
    code = enrol_link(enrol_page(web_c, team).get_data(as_text=True)).rsplit("=", 1)[1]
    stored = db.session.scalars(select(EnrolmentCode)).one()
    assert code not in stored.code_hash
    assert (stored.expires_at - stored.created_at).total_seconds() == pytest.approx(15 * 60, abs=2)


def test_enrol_form_checks_the_label(web_c, team):
    reply = enrol_page(web_c, team, "x" * 201)
    assert reply.status_code == 422
    assert "Gebruik hoogstens 200 tekens." in reply.get_data(as_text=True)
    assert db.session.scalars(select(EnrolmentCode)).all() == []


def test_device_list_shows_last_sync_and_what_is_waiting(web_c, client, auth, campaign):
    status = {"pending_responses": 3, "pending_voice_notes": 2, "pending_bytes": 2_500_000}
    body = {"responses": [response_body(campaign)], "device_status": status}
    reply = client.post("/api/v1/sync", json=body, headers=auth)
    assert reply.status_code == 200
    html = web_c.get("/workspace/devices/").get_data(as_text=True)
    assert "Test phone" in html
    assert "3 antwoorden, 2 spraakberichten (2,5 MB)" in html
    assert "nooit" not in html


def test_revoked_phone_is_refused_from_then_on(web_c, client, enrolled):
    device_id, headers = enrolled
    assert client.get("/api/v1/devices/me", headers=headers).status_code == 200
    reply = web_c.post(f"/workspace/devices/{device_id}/revoke")
    assert reply.status_code == 303
    assert client.get("/api/v1/devices/me", headers=headers).status_code == 401
    assert "ingetrokken" in web_c.get("/workspace/devices/").get_data(as_text=True)


def test_another_teams_phone_cannot_be_revoked(web, make_user, enrolled):
    from server.teams.models import Team

    other = Team(slug="elders", name="Elders")
    db.session.add(other)
    db.session.commit()
    outsider = web.sign_in_as(make_user("coordinator", [other]))
    assert outsider.post(f"/workspace/devices/{enrolled[0]}/revoke").status_code == 404
    assert db.session.get(Device, uuid.UUID(enrolled[0])).revoked_at is None
    assert "Test phone" not in outsider.get("/workspace/devices/").get_data(as_text=True)


@pytest.mark.parametrize(("counts", "lang", "expected"), [
    ((1, 1), "en", "1 answer, 1 voice note ("), ((1, 1), "nl", "1 antwoord, 1 spraakbericht ("),
    ((5, 2), "pl", "5 odpowiedzi, 2 nagrania głosowe ("), ((22, 12), "uk", "22 відповіді, 12 голосових повідомлень ("),
    ((3, 11), "ar", "3 إجابات، 11 رسالة صوتية (")])
def test_what_is_waiting_is_counted_in_each_languages_plural_forms(web_c, client, auth, campaign, counts, lang,
                                                                    expected):
    """Not "1 voice notes": each count takes its language's own plural form."""
    status = {"pending_responses": counts[0], "pending_voice_notes": counts[1], "pending_bytes": 2_500_000}
    reply = client.post("/api/v1/sync", json={"responses": [response_body(campaign)], "device_status": status},
                        headers=auth)
    assert reply.status_code == 200
    assert expected in web_c.get("/workspace/devices/", query_string={"lang": lang}).get_data(as_text=True)


def test_the_report_after_a_complete_sync_replaces_what_was_waiting_with_its_time(web_c, client, auth, campaign):
    """After a complete sync the Phones page no longer says "Still on the phone: 3 answers, 1 voice note"."""
    status = {"pending_responses": 3, "pending_voice_notes": 1, "pending_bytes": 18_700}
    assert client.post("/api/v1/sync", json={"responses": [response_body(campaign)], "device_status": status},
                       headers=auth).status_code == 200
    html = web_c.get("/workspace/devices/").get_data(as_text=True)
    assert "3 antwoorden, 1 spraakbericht (19 kB)" in html
    assert "gemeld " in html

    nothing = {"pending_responses": 0, "pending_voice_notes": 0, "pending_bytes": 0}
    reply = client.put("/api/v1/devices/me/status", json=nothing, headers=auth)
    assert reply.status_code == 200
    assert reply.json["pending_responses"] == 0 and reply.json["status_reported_at"]
    html = web_c.get("/workspace/devices/").get_data(as_text=True)
    assert "antwoorden" not in html.split("Nog op de telefoon", 1)[1].split("</tbody>")[0]
    row = re.search(r'<tr id="device-[^"]+".*?</tr>', html, re.S).group(0)
    assert "niets" in row and "gemeld " in row


def test_a_phone_that_has_not_reported_says_so(web_c, enrolled):
    row = re.search(r'<tr id="device-[^"]+".*?</tr>', web_c.get("/workspace/devices/").get_data(as_text=True),
                    re.S).group(0)
    assert "nog niet gemeld" in row and "niets" not in row


@pytest.mark.parametrize("body", [{}, {"pending_responses": -1, "pending_voice_notes": 0, "pending_bytes": 0},
                                  {"pending_responses": 0, "pending_voice_notes": 0, "pending_bytes": 0, "x": 1},
                                  {"pending_responses": "0", "pending_voice_notes": 0, "pending_bytes": 0}])
def test_a_report_is_checked(client, auth, body):
    reply = client.put("/api/v1/devices/me/status", json=body, headers=auth)
    assert reply.status_code == 422 and reply.json["error"]["code"] == "invalid_input"


def test_only_an_enrolled_phone_reports(client):
    nothing = {"pending_responses": 0, "pending_voice_notes": 0, "pending_bytes": 0}
    assert client.put("/api/v1/devices/me/status", json=nothing).status_code == 401
