"""Every workspace route against every kind of visitor: anonymous, each role, and another team's member.

A refusal is checked for its exact answer (sign-in redirect, 401, 403 or 404) and for leaving the database
as it was; an allowed request must get past the access checks.
"""

import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from server.extensions import db
from server.partners.models import TextProposal
from server.teams.models import Team
from server.voicepacks.operations import store_clip
from tests.permissions import fingerprint, outcome


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    #: ``public``, ``signed_in``, ``member`` (any role in the team), ``writer`` (coordinator or admin in the
    #: team), ``admin`` (any team admin, or a server administrator), ``team_admin`` (an admin of the team the
    #: route concerns, or a server administrator), ``server_admin`` or ``in_a_team`` (signed in, in a team).
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
    Route("POST", "/workspace/admin/teams", "server_admin",
          {"name": "Nieuw", "slug": "nieuw", "kind": "initiative"}),
    Route("GET", "/workspace/admin/teams/<team_id>", "team_admin"),
    Route("POST", "/workspace/admin/teams/<team_id>", "team_admin", {"name": "Hernoemd", "kind": "municipal"}),
    Route("POST", "/workspace/admin/teams/<team_id>/members", "team_admin", {"email": "<outsider_email>"}),
    Route("POST", "/workspace/admin/teams/<team_id>/members/<user_id>/remove", "team_admin"),
    Route("GET", "/workspace/admin/users", "admin"),
    Route("GET", "/workspace/admin/users/new", "admin"),
    Route("POST", "/workspace/admin/users/new", "admin",
          {"email": "nieuw@example.org", "role": "coordinator", "password": "a long first password"}),
    Route("GET", "/workspace/admin/users/<user_id>", "team_admin"),
    Route("POST", "/workspace/admin/users/<user_id>", "team_admin",
          {"role": "coordinator", "active": "1", "password": "a password set by an admin"}),
    Route("POST", "/workspace/admin/users/<user_id>/sign-out-everywhere", "team_admin"),
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
    Route("POST", "/workspace/campaigns/<campaign_id>/questions/<key>/prompts/<lang>/uploads/<clip_id>/discard",
          "writer"),
    Route("GET", "/workspace/campaigns/<campaign_id>/studio", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/studio/<lang>", "member"),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>", "writer", {"key": "title"}),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>/clips/<clip_id>/delete", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>/clips/<proposal_id>/approve", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>/clips/<proposal_id>/reject", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>/translations", "writer",
          {"key": "title", "text": "Our street, your voice"}),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>/translations/<text_id>/approve", "writer"),
    Route("POST", "/workspace/campaigns/<campaign_id>/studio/<lang>/translations/<text_id>/reject", "writer"),
    Route("GET", "/workspace/campaigns/<campaign_id>/preview", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/preview.json", "member"),
    # sources and flyers
    Route("GET", "/workspace/campaigns/<campaign_id>/sources", "member"),
    Route("POST", "/workspace/campaigns/<campaign_id>/sources", "writer", {"name": "Bibliotheek"}),
    Route("POST", "/workspace/campaigns/<campaign_id>/sources/<source_id>/revoke", "writer"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/flyer", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/flyer.pdf", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/sheet.pdf", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/qr.svg", "member"),
    Route("GET", "/workspace/campaigns/<campaign_id>/sources/<source_id>/qr.png", "member"),
    # phones
    Route("GET", "/workspace/devices/", "in_a_team"),
    Route("POST", "/workspace/devices/enrol", "writer", {"team": "<team_id>", "label": "Telefoon"}),
    Route("POST", "/workspace/devices/<device_id>/revoke", "writer"),
]

ACTORS = ["anonymous", "admin", "coordinator", "field_worker", "other_team", "admin_elsewhere", "server_admin"]


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
        "server_admin": make_user("admin", [], email="server-admin@example.org"),
    }
    users["server_admin"].server_admin = True
    db.session.commit()
    outsider = make_user("field_worker", [], email="outsider@example.org")
    clip = store_clip(campaign, "title", "en", "Our neighbourhood, your voice", b"OggS recorded", 900, "audio/ogg")
    proposal = store_clip(campaign, "title", "en", "Our neighbourhood, your voice", b"OggS proposed", 900,
                          "audio/ogg", proposed_by_team_id=other.id)
    text = TextProposal(campaign_id=campaign.id, language="en", slot="title", text="Our street",
                        proposed_by_team_id=other.id)
    db.session.add(text)
    db.session.commit()
    values = {"clip_id": clip.id, "proposal_id": proposal.id, "text_id": text.id,
              "team_id": team.id, "campaign_id": campaign.id, "user_id": users["field_worker"].id,
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
    if route.access == "in_a_team":  # a page of one's first team: none for a server administrator in no team
        return "hidden" if actor == "server_admin" else "allowed"
    if route.access == "writer_anywhere":
        # a server administrator in no team has no team to write in
        return "forbidden" if actor in ("field_worker", "server_admin") else "allowed"
    if route.access == "admin":
        return "allowed" if actor in ("admin", "admin_elsewhere", "server_admin") else "forbidden"
    if route.access == "server_admin":
        return "allowed" if actor == "server_admin" else "forbidden"
    if route.access == "team_admin":
        # another team's admin is not told whether the team or account exists
        return {"admin": "allowed", "server_admin": "allowed", "admin_elsewhere": "hidden"}.get(actor, "forbidden")
    if actor in ("other_team", "admin_elsewhere", "server_admin"):  # a server administrator reads no team's data
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
    assert db.session.execute(text("select count(*) from users")).scalar() == 7


# --- the outside test's cross-team cases (issue 11 §2) ------------------------------------------------------

def test_an_admin_cannot_take_over_another_teams_admin(world, web, client, backend):
    """An admin of team B set the password of team A's admin, signed in as them and exported A's data."""
    users, values = world
    web.sign_in_as(users["admin_elsewhere"])
    victim = users["admin"]
    before = fingerprint()
    for url, data in [(f"/workspace/admin/users/{victim.id}", {"role": "admin", "active": "1",
                                                               "password": "taken over by team B"}),
                      (f"/workspace/admin/users/{victim.id}/sign-out-everywhere", {}),
                      (f"/workspace/admin/teams/{values['team_id']}/members", {"email": "admin-6@example.org"})]:
        assert outcome(web.post(url, data)) == "hidden", url
    assert outcome(web.get(f"/workspace/admin/users/{victim.id}")) == "hidden"
    assert victim.email not in web.get("/workspace/admin/users").get_data(as_text=True)
    assert fingerprint() == before
    reply = client.post("/workspace/sign-in", data={"email": victim.email, "password": "taken over by team B",
                                                    "csrf_token": web.csrf_token()})
    assert reply.status_code == 401


def test_a_member_of_two_teams_is_managed_only_by_an_admin_of_both(world, make_user, web, backend):
    """Setting the password of someone who is also in team A would open team A's data to team B's admin."""
    users, values = world
    other = db.session.get(Team, users["admin_elsewhere"].memberships[0].team_id)
    both = make_user("coordinator", [db.session.get(Team, values["team_id"]), other])
    web.sign_in_as(users["admin_elsewhere"])
    assert outcome(web.post(f"/workspace/admin/users/{both.id}", {"role": "coordinator", "active": "1",
                                                                  "password": "taken over by team B"})) == "hidden"
    web.sign_in_as(users["server_admin"])
    assert outcome(web.get(f"/workspace/admin/users/{both.id}")) == "allowed"


def test_no_form_gives_the_server_administrator_right(world, web, backend):
    users, _values = world
    web.sign_in_as(users["admin"])
    target = users["field_worker"]
    team_id = target.memberships[0].team_id
    web.post(f"/workspace/admin/users/{target.id}", {"role": "admin", "active": "1", "teams": str(team_id),
                                                     "server_admin": "1"})
    db.session.expire_all()
    assert db.session.get(type(target), target.id).server_admin is False
