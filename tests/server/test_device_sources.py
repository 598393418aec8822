"""Door-to-door answers carry their source: the phone's default (chosen at enrolment) or the day's route."""

import csv
import io
import re
import uuid

import pytest
from sqlalchemy import select

from server.campaigns.models import Source
from server.campaigns.operations import create_campaign, create_source, publish_campaign
from server.demo import DEMO_DEFINITION
from server.devices.models import Device, EnrolmentCode
from server.extensions import db
from server.responses.models import Response
from server.teams.models import Team
from tests.factories import response_body


@pytest.fixture
def web_c(web, make_user, team):
    return web.sign_in_as(make_user("coordinator", [team]))


@pytest.fixture
def door_to_door(campaign) -> Source:
    """The demo's "Deur-aan-deur team 1"."""
    return db.session.scalars(select(Source).where(Source.campaign_id == campaign.id,
                                                   Source.kind == "door_to_door")).one()


@pytest.fixture
def other_team_source() -> Source:
    """A door-to-door source of another team's published campaign."""
    other = Team(slug="elders", name="Elders")
    db.session.add(other)
    db.session.flush()
    campaign = create_campaign(other, DEMO_DEFINITION)
    publish_campaign(campaign)
    source = create_source(campaign, "Route Elders", "door_to_door")
    db.session.commit()
    return source


def enrol_with(web_c, client, team, source_id) -> tuple[int, dict]:
    """Enrol a phone from the Phones page with `source_id` chosen: (status, Authorization headers or {})."""
    reply = web_c.post("/workspace/devices/enrol", {"team": team.id, "label": "Telefoon Fatima",
                                                    "source": "" if source_id is None else source_id})
    html = reply.get_data(as_text=True)
    if reply.status_code != 200:
        return reply.status_code, {}
    code = re.search(r'class="enrol-code" dir="ltr">([2-9A-Z]{5}) ([2-9A-Z]{5})<', html)
    enrolled = client.post("/api/v1/devices/enrol", json={"code": "".join(code.groups())})
    assert enrolled.status_code == 201
    return 200, {"Authorization": f"Bearer {enrolled.json['token']}"}


def test_the_enrol_form_offers_the_teams_door_to_door_sources_only(web_c, door_to_door, other_team_source):
    html = web_c.get("/workspace/devices/").get_data(as_text=True)
    options = re.search(r'<select id="f-source" name="source".*?</select>', html, re.S).group(0)
    assert f'value="{door_to_door.id}"' in options and "Deur-aan-deur team 1" in options
    assert "Buurthuis De Brug" not in options  # a flyer
    assert "Route Elders" not in options


def test_a_phone_enrolled_with_a_default_source_downloads_it_with_the_campaign(web_c, client, team, campaign,
                                                                                door_to_door):
    status, headers = enrol_with(web_c, client, team, door_to_door.id)
    assert status == 200
    device = db.session.scalars(select(Device)).one()
    assert device.default_source_id == door_to_door.id
    (document,) = client.get("/api/v1/campaigns", headers=headers).json["campaigns"]
    assert document["sources"] == [{"code": door_to_door.code, "name": "Deur-aan-deur team 1"}]
    assert document["default_source"] == door_to_door.code
    single = client.get(f"/api/v1/campaigns/{campaign.id}", headers=headers)
    assert single.json["default_source"] == door_to_door.code
    assert client.get("/api/v1/devices/me", headers=headers).json["default_source"] == door_to_door.code
    assert "Deur-aan-deur team 1" in web_c.get("/workspace/devices/").get_data(as_text=True)


def test_a_new_source_changes_what_the_phone_downloads(web_c, client, team, campaign, door_to_door):
    _status, headers = enrol_with(web_c, client, team, None)
    first = client.get("/api/v1/campaigns", headers=headers)
    assert first.json["campaigns"][0]["default_source"] is None
    create_source(campaign, "Route Zuid", "door_to_door")
    db.session.commit()
    again = client.get("/api/v1/campaigns", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert [s["name"] for s in again.json["campaigns"][0]["sources"]] == ["Deur-aan-deur team 1", "Route Zuid"]


@pytest.mark.parametrize("which", ["other team", "flyer", "unknown"])
def test_only_one_of_the_teams_door_to_door_sources_can_be_chosen(web_c, client, team, flyer, other_team_source,
                                                                 which):
    source_id = {"other team": other_team_source.id, "flyer": flyer.id, "unknown": 999_999}[which]
    status, _headers = enrol_with(web_c, client, team, source_id)
    assert status == 422
    assert db.session.scalars(select(EnrolmentCode)).all() == []


def test_door_to_door_answers_land_in_their_source_once(client, auth, campaign, door_to_door, web_c):
    bodies = [response_body(campaign, source=door_to_door.code) for _ in range(3)] + [response_body(campaign)]
    reply = client.post("/api/v1/sync", json={"responses": bodies}, headers=auth)
    assert [r["status"] for r in reply.json["results"]] == ["created"] * 4
    again = client.post("/api/v1/sync", json={"responses": bodies[:1]}, headers=auth)
    assert again.json["results"][0]["status"] == "duplicate"  # exactly once, source and all
    changed = client.post("/api/v1/sync", json={"responses": [{**bodies[1], "source": None}]}, headers=auth)
    assert changed.json["results"][0]["status"] == "conflict"  # the source is part of what was said
    stored = {str(r.id): r.source_id for r in db.session.scalars(select(Response))}
    assert [stored[b["id"]] for b in bodies] == [door_to_door.id] * 3 + [None]

    results = web_c.get(f"/workspace/campaigns/{campaign.id}/results.json").json
    (by_source,) = [chart for chart in results["groups"] if chart["id"] == "by-source"]
    counts = {row["label"]: row["total"] for row in by_source["rows"]}
    assert counts["Deur-aan-deur team 1"] == 3
    assert counts["Geen flyer of team"] == 1

    exported = web_c.post(f"/workspace/campaigns/{campaign.id}/export.csv", {})
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    exported.close()
    assert sorted(row["source"] for row in rows) == ["", "Deur-aan-deur team 1", "Deur-aan-deur team 1",
                                                     "Deur-aan-deur team 1"]


def test_another_teams_source_is_refused(client, auth, campaign, other_team_source):
    body = response_body(campaign, source=other_team_source.code)
    (result,) = client.post("/api/v1/sync", json={"responses": [body]}, headers=auth).json["results"]
    assert result["status"] == "invalid"
    assert result["errors"][0]["code"] == "source_not_found" and result["errors"][0]["field"] == "source"
    assert db.session.get(Response, uuid.UUID(body["id"])) is None


def test_the_enrol_code_command_takes_a_default_source(client, runner, team, door_to_door, flyer):
    refused = runner.invoke(args=["enrol-code", "--team", team.slug, "--source", flyer.code])
    assert refused.exit_code != 0 and "door-to-door" in refused.output
    result = runner.invoke(args=["enrol-code", "--team", team.slug, "--source", door_to_door.code.lower()])
    assert result.exit_code == 0, result.output
    code = result.output.split("code:", 1)[1].split()[0]
    headers = {"Authorization": f"Bearer {client.post('/api/v1/devices/enrol', json={'code': code}).json['token']}"}
    assert client.get("/api/v1/devices/me", headers=headers).json["default_source"] == door_to_door.code
