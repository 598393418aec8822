"""Every workspace route against every kind of visitor: anonymous, each role, and another team's member.

A refusal is checked for its exact answer (sign-in redirect, 401, 403 or 404) and for leaving the database
as it was; an allowed request must get past the access checks.
"""

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from server.extensions import db
from server.teams.models import Team
from tests.permissions import fingerprint, outcome


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    #: ``public``, ``signed_in``, ``member`` (any role in the team), ``writer`` (coordinator or admin in the
    #: team) or ``admin``.
    access: str
    data: dict = field(default_factory=dict, hash=False)

    def __str__(self):
        return f"{self.method} {self.rule}"


ROUTES = [
    Route("GET", "/workspace/sign-in", "public"),
    Route("POST", "/workspace/sign-in", "public", {"email": "nobody@example.org"}),
    Route("POST", "/workspace/language", "public", {"lang": "en"}),
    Route("GET", "/workspace/", "signed_in"),
    Route("POST", "/workspace/sign-out", "public"),
    Route("GET", "/workspace/account", "signed_in"),
    Route("POST", "/workspace/account/password", "signed_in", {"current_password": "x"}),
    Route("POST", "/workspace/account/sign-out-everywhere", "signed_in"),
    Route("GET", "/workspace/admin/teams", "admin"),
    Route("POST", "/workspace/admin/teams", "admin",
          {"name": "Nieuw", "slug": "nieuw", "kind": "initiative"}),
    Route("GET", "/workspace/admin/teams/<team_id>", "admin"),
    Route("POST", "/workspace/admin/teams/<team_id>", "admin", {"name": "Hernoemd", "kind": "municipal"}),
    Route("POST", "/workspace/admin/teams/<team_id>/members", "admin", {"email": "<outsider_email>"}),
    Route("POST", "/workspace/admin/teams/<team_id>/members/<user_id>/remove", "admin"),
    Route("GET", "/workspace/admin/users", "admin"),
    Route("GET", "/workspace/admin/users/new", "admin"),
    Route("POST", "/workspace/admin/users/new", "admin",
          {"email": "nieuw@example.org", "role": "coordinator", "password": "a long first password"}),
    Route("GET", "/workspace/admin/users/<user_id>", "admin"),
    Route("POST", "/workspace/admin/users/<user_id>", "admin", {"role": "coordinator", "active": "1"}),
    Route("POST", "/workspace/admin/users/<user_id>/sign-out-everywhere", "admin"),
    # campaigns
    Route("GET", "/workspace/campaigns/new", "writer_anywhere"),
    Route("POST", "/workspace/campaigns/new", "writer", {"team": "<team_id>", "title": "Nieuw",
                                                        "default_language": "nl"}),
    Route("GET", "/workspace/campaigns/<campaign_id>", "member"),
    Route("POST", "/workspace/campaigns/<campaign_id>/publish", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/close", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/languages/<lang>/remove", "writer"),
    Route("GET", "/workspace/campaigns/<campaign_id>/settings", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/settings", "writer",
          {"languages": "nl", "default_language": "nl"}),
    Route("GET", "/workspace/campaigns/<campaign_id>/texts", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/texts", "writer",
          {"langs": "nl", "title.nl": "Anders"}),
    Route("GET", "/workspace/campaigns/<campaign_id>/new-question", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/new-question", "writer",
          {"type": "yes_no", "text.nl": "Nieuwe vraag?"}),
    Route("GET", "/workspace/campaigns/<campaign_id>/questions/<key>", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/questions/<key>", "writer",
          {"type": "yes_no", "text.nl": "Anders?"}),
    Route("POST", "/workspace/campaigns/<campaign_id>/questions/<key>/move", "writer", {"direction": "down"}),
    Route("POST", "/workspace/campaigns/<campaign_id>/questions/<key>/delete", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/questions/<key>/prompts/<lang>", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/questions/<key>/prompts/<lang>/delete", "writer"),
    Route("GET", "/workspace/campaigns/<campaign_id>/preview", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/preview.json", "member"),
    # sources and flyers
    Route("GET", "/workspace/campaigns/<campaign_id>/sources", "member"),
    Route("POST", "/workspace/campaigns/<campaign_id>/sources", "writer", {"name": "Bibliotheek"}),
    Route("POST", "/workspace/campaigns/<campaign_id>/sources/<source_id>/revoke", "writer"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/flyer", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/qr.svg", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/qr.png", "member"),
    # phones
    Route("GET", "/workspace/devices/", "signed_in"),
    Route("POST", "/workspace/devices/enrol", "writer", {"team": "<team_id>", "label": "Telefoon"}),
    Route("POST", "/workspace/devices/<device_id>/revoke", "writer"),
]

ACTORS = ["anonymous", "admin", "coordinator", "field_worker", "other_team", "admin_elsewhere"]


@pytest.fixture
def world(app, make_user, team, campaign, flyer, enrolled):
    """Team A (the demo team) with one user per role, team B with its own coordinator, an admin in B only."""
    other = Team(slug="andere-buurt", name="Andere buurt", kind="municipal")
    db.session.add(other)
    db.session.commit()
    users = {
        "admin": make_user("admin", [team]),
        "coordinator": make_user("coordinator", [team]),
        "field_worker": make_user("field_worker", [team]),
        "other_team": make_user("coordinator", [other]),
        "admin_elsewhere": make_user("admin", [other]),
    }
    outsider = make_user("field_worker", [], email="outsider@example.org")
    values = {"team_id": team.id, "campaign_id": campaign.id, "user_id": users["field_worker"].id,
              "outsider_email": outsider.email, "key": "missen", "lang": "en", "source_id": flyer.id,
              "device_id": enrolled[0]}
    return users, values


def fill(template: str, values: dict) -> str:
    for key, value in values.items():
        template = template.replace(f"<{key}>", str(value))
    return template


def expected(route: Route, actor: str) -> str:
    """``allowed``, ``sign_in`` (redirect or 401), ``forbidden`` (403) or ``hidden`` (404)."""
    if route.access == "public":
        return "allowed"
    if actor == "anonymous":
        return "sign_in"
    if route.access == "signed_in":
        return "allowed"
    if route.access == "writer_anywhere":
        return "forbidden" if actor == "field_worker" else "allowed"
    if route.access == "admin":
        return "allowed" if actor in ("admin", "admin_elsewhere") else "forbidden"
    if actor in ("other_team", "admin_elsewhere"):
        return "hidden"
    if route.access == "writer" and actor == "field_worker":
        return "forbidden"
    return "allowed"


@pytest.mark.matrix
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access(route, actor, world, web, backend):
    users, values = world
    if actor != "anonymous":
        web.sign_in_as(users[actor])
    url = fill(route.rule, values)
    data = {key: fill(str(value), values) for key, value in route.data.items()}
    want = expected(route, actor)
    before = fingerprint() if want != "allowed" else None
    reply = web.get(url) if route.method == "GET" else web.post(url, data)
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]
    assert outcome(reply) == want, f"{route} as {actor}: {reply.status_code}"
    if want != "allowed":
        assert fingerprint() == before
        if want in ("forbidden", "hidden"):
            assert reply.headers["Content-Type"].startswith(("text/html", "application/json"))


def test_every_workspace_route_is_in_the_matrix(app):
    covered = {(route.method, route.rule) for route in ROUTES}
    registered = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule))
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith(("accounts.", "workspace."))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(registered - covered) == []
    assert sorted(covered - registered) == []


def test_matrix_runs_against_a_real_database(world):
    assert db.session.execute(text("select count(*) from users")).scalar() == 6
