"""Every review, export, privacy and job route against every kind of visitor; refusals change nothing.

Reviewing is for a team's coordinators and admins: field workers get 403, another team's members 404 (its
campaigns are not even confirmed to exist), anonymous visitors the sign-in page. Only `/erase` is public.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.exports.models import ExportFile
from server.extensions import db
from server.jobs.models import Job
from server.storage import media_store
from server.teams.models import Team
from server.util import utcnow
from tests.permissions import fingerprint, outcome

#: (method, rule, access, form data); access is ``public``, ``signed_in``, ``writer`` or ``own`` (a writer's,
#: and only the coordinator's who made it: a prepared export).
ROUTES = [
    ("GET", "/workspace/responses", "signed_in", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/responses", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/responses/<response_id>", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/state", "writer", {"state": "flagged"}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/tags", "writer", {"name": "groen"}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/tags/<tag_id>/remove", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/comments", "writer", {"body": "Hoi"}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/answers/<answer_id>/translation",
     "writer", {"translation": "Benches"}),
    ("POST", "/workspace/campaigns/<campaign_id>/voice-notes/<note_id>/transcript", "writer",
     {"transcript": "Bir bank"}),
    ("POST", "/workspace/campaigns/<campaign_id>/voice-notes/<note_id>/transcribe", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/voice-notes/<note_id>/delete-audio", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/voice-notes/<note_id>/audio", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/export.<format>", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/exports", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/exports/<export_id>", "own", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/privacy", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/privacy", "writer", {"days": "30"}),
    ("GET", "/workspace/teams/<team_id>/audit", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/jobs/<job_id>/retry", "writer", {}),
    ("GET", "/erase", "public", {}),
    ("POST", "/erase", "public", {"receipt": "AAAA333333"}),
]
#: ``server_admin``: manages every account and team (issue 11), and reads no team's data.
ACTORS = ["anonymous", "admin", "coordinator", "field_worker", "other_team", "admin_elsewhere", "server_admin"]


@pytest.fixture
def world(app, make_user, team, campaign, voiced_response, reviewer):
    """Team A (the demo team) with a response, a voice note and a tag; team B with its own people."""
    from server.responses.models import Answer
    from server.review.models import Tag

    other = Team(slug="andere-buurt", name="Andere buurt", kind="municipal")
    db.session.add(other)
    db.session.commit()
    response_id, note_id = voiced_response
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/tags", {"name": "groen"})
    users = {
        "admin": make_user("admin", [team]),
        "coordinator": make_user("coordinator", [team]),
        "field_worker": make_user("field_worker", [team]),
        "other_team": make_user("coordinator", [other]),
        "admin_elsewhere": make_user("admin", [other]),
        "server_admin": make_user("admin", []),
    }
    users["server_admin"].server_admin = True
    failed = Job(name="playback_copy", object_type="voice_note", object_id=str(note_id), campaign_id=campaign.id,
                 arguments={"note_id": str(note_id), "campaign_id": str(campaign.id), "response_id": str(response_id)},
                 status="failed", attempts=4, error="ffmpeg stopped", failed_at=utcnow())
    db.session.add(failed)
    prepared = ExportFile(campaign_id=campaign.id, requested_by=users["coordinator"].id, format="csv", filters={},
                          filename="responses.csv", status="ready", storage_name="exports/prepared.bin", size=9,
                          expires_at=utcnow() + timedelta(hours=24))
    media_store().put_bytes(prepared.storage_name, "\ufeffa,b\r\n".encode())
    db.session.add(prepared)
    db.session.commit()
    answer_id = db.session.scalar(select(Answer.id).where(Answer.response_id == response_id,
                                                          Answer.text.is_not(None)))
    values = {"campaign_id": campaign.id, "response_id": response_id, "note_id": note_id, "team_id": team.id,
              "tag_id": db.session.scalar(select(Tag.id)), "answer_id": answer_id, "format": "csv",
              "job_id": failed.id, "export_id": prepared.id}
    return users, values


def fill(template: str, values: dict) -> str:
    for key, value in values.items():
        template = template.replace(f"<{key}>", str(value))
    return template


def expected(access: str, actor: str) -> str:
    if access == "public":
        return "allowed"
    if actor == "anonymous":
        return "sign_in"
    if access == "signed_in":
        return "allowed"
    if actor in ("other_team", "admin_elsewhere", "server_admin") or (access == "own" and actor == "admin"):
        return "hidden"
    return "forbidden" if actor == "field_worker" else "allowed"


@pytest.mark.matrix
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "rule", "access", "data"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_access(method, rule, access, data, actor, world, web, backend):
    users, values = world
    if actor != "anonymous":
        web.sign_in_as(users[actor])
    want = expected(access, actor)
    before = fingerprint() if want != "allowed" else None
    url = fill(rule, values)
    reply = web.get(url) if method == "GET" else web.post(url, data)
    reply.get_data()
    reply.close()
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]
    assert outcome(reply) == want, f"{method} {rule} as {actor}: {reply.status_code}"
    if want != "allowed":
        assert fingerprint() == before


@pytest.mark.matrix
@pytest.mark.parametrize("actor", ACTORS)
def test_searching_follows_the_inbox(actor, world, web, backend):
    """A search is the inbox with `q` (no route of its own): the same people may search, and a refused search
    tells nothing of what residents said."""
    users, values = world
    if actor != "anonymous":
        web.sign_in_as(users[actor])
    reply = web.get(fill("/workspace/campaigns/<campaign_id>/responses?q=bankjes", values))
    page = reply.get_data(as_text=True)
    assert outcome(reply) == expected("writer", actor), f"search as {actor}: {reply.status_code}"
    assert (str(values["response_id"]) in page) == (expected("writer", actor) == "allowed")
    assert ("<mark>bankjes</mark>" in page) == (expected("writer", actor) == "allowed")


def test_every_route_is_in_the_matrix(app):
    covered = {(method, rule) for method, rule, _access, _data in ROUTES}
    registered = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule))
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith(("review.", "exports.", "privacy.", "jobs."))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert registered == covered
