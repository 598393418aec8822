"""Every results, reach and reporting-back route against every kind of visitor (another team's member: 404)."""

import io
import re

import pytest

from server.extensions import db
from server.reporting.models import PublicReport
from server.teams.models import Team
from tests.permissions import fingerprint, outcome

ROUTES = [  # (method, rule, access: signed_in | member | writer | public, form data)
    ("GET", "/workspace/results", "signed_in", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/results", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/results/print", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/results.json", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/reach", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/reach/make-up", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/reach/make-up", "writer", {"amount.buurt.0": "50"}),
    ("POST", "/workspace/campaigns/<campaign_id>/reach/upload", "writer",
     {"file": "dimension,group,share\nbuurt,Zuid,20\n"}),
    ("GET", "/workspace/campaigns/<campaign_id>/reach/make-up.csv", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/report", "member", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/report/texts", "writer", {"next_steps.nl": "Gewijzigd"}),
    ("POST", "/workspace/campaigns/<campaign_id>/report/publish", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/report/unpublish", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/report/preview", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/report/qr.svg", "member", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/report/qr.png", "member", {}),
    ("GET", "/r/<code>", "public", {}),
]
#: ``server_admin``: manages every account and team (issue 11), and reads no team's data.
ACTORS = ["anonymous", "admin", "coordinator", "field_worker", "other_team", "admin_elsewhere", "server_admin"]


@pytest.fixture
def world(app, make_user, team, campaign):
    """The demo team with one user per role, another team with a coordinator and an admin, and a public page."""
    other = Team(slug="andere-buurt", name="Andere buurt", kind="municipal")
    db.session.add(other)
    db.session.add(PublicReport(campaign_id=campaign.id, code="OPENBAAR", next_steps={"nl": "Zo gaan we verder."},
                                published_at=campaign.created_at))
    db.session.commit()
    users = {"admin": make_user("admin", [team]), "coordinator": make_user("coordinator", [team]),
             "field_worker": make_user("field_worker", [team]), "other_team": make_user("coordinator", [other]),
             "admin_elsewhere": make_user("admin", [other]), "server_admin": make_user("admin", [])}
    users["server_admin"].server_admin = True
    db.session.commit()
    return users, {"campaign_id": campaign.id, "code": "OPENBAAR"}


def expected(access: str, actor: str) -> str:
    if access == "public":
        return "allowed"
    if actor == "anonymous":
        return "sign_in"
    if access == "signed_in":
        return "allowed"
    if actor in ("other_team", "admin_elsewhere", "server_admin"):
        return "hidden"
    return "forbidden" if access == "writer" and actor == "field_worker" else "allowed"


@pytest.mark.matrix
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route[0]} {route[1]}")
def test_access(route, actor, world, web, backend):
    method, rule, access, data = route
    users, values = world
    if actor != "anonymous":
        web.sign_in_as(users[actor])
    url = re.sub(r"<(\w+)>", lambda match: str(values[match.group(1)]), rule)
    want = expected(access, actor)
    before = fingerprint() if want != "allowed" else None
    if method == "GET":
        reply = web.get(url)
    elif "file" in data:
        reply = web.client.post(url, data={"csrf_token": web.csrf_token(),
                                           "file": (io.BytesIO(data["file"].encode()), "make-up.csv")},
                                content_type="multipart/form-data")
    else:
        reply = web.post(url, data)
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]
    assert outcome(reply) == want, f"{method} {rule} as {actor}: {reply.status_code}"
    if want != "allowed":
        assert fingerprint() == before


def test_every_route_is_in_the_matrix(app):
    covered = {(method, rule) for method, rule, _access, _data in ROUTES}
    registered = {(method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule))
                  for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith(("results.", "reach.", "reporting.", "public_results."))
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(registered ^ covered) == []


@pytest.mark.parametrize("path", ["/report/publish", "/reach/make-up", "/report/texts"])
def test_forms_without_the_csrf_token_are_refused(world, web, path):
    users, values = world
    web.sign_in_as(users["coordinator"])
    before = fingerprint()
    reply = web.post(f"/workspace/campaigns/{values['campaign_id']}{path}", {"next_steps.nl": "x"}, csrf=False)
    assert reply.status_code == 400
    assert fingerprint() == before
