"""Every theme and quote route against every kind of visitor; refusals change nothing.

Team members read the codebook and the quotes (field workers too); coordinators and admins change them;
another team's members get 404, anonymous visitors the sign-in page.
"""

import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.responses.models import Answer
from server.teams.models import Team
from server.themes.models import Quote, Theme, ThemeBatch, ThemeLink
from tests.factories import response_body
from tests.permissions import fingerprint, outcome

#: (method, rule, access: member | writer, form data)
ROUTES = [
    ("GET", "/workspace/campaigns/<campaign_id>/themes", "member", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/themes", "writer", {"name.nl": "Groen", "colour": "#00aa00"}),
    ("GET", "/workspace/campaigns/<campaign_id>/themes/<theme_id>", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/themes/<theme_id>", "writer", {"name.nl": "Licht"}),
    ("POST", "/workspace/campaigns/<campaign_id>/themes/<theme_id>/delete", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/themes", "writer", {"theme": "<theme_id>"}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/themes/<link_id>/remove", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/responses/<response_id>/themes/<link_id>/quote", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/themes/bulk", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/themes/bulk", "writer", {"theme": "<theme_id>"}),
    ("GET", "/workspace/campaigns/<campaign_id>/themes/batches/<batch_id>", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/themes/batches/<batch_id>/undo", "writer", {}),
    ("GET", "/workspace/campaigns/<campaign_id>/quotes", "member", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/quotes/<quote_id>", "writer", {"texts.nl": "Donker"}),
    ("POST", "/workspace/campaigns/<campaign_id>/quotes/<quote_id>/approve", "writer", {}),
    ("POST", "/workspace/campaigns/<campaign_id>/quotes/<quote_id>/withdraw", "writer", {}),
]
ACTORS = ["anonymous", "admin", "coordinator", "field_worker", "other_team", "admin_elsewhere", "server_admin"]


@pytest.fixture
def world(app, make_user, team, campaign, sync):
    """A response with a theme on its words, marked as a quote by a coordinator who is none of the actors."""
    other = Team(slug="andere-buurt", name="Andere buurt", kind="municipal")
    db.session.add(other)
    marker = make_user("coordinator", [team])
    (response_id,) = sync(response_body(campaign))
    answer = db.session.scalar(select(Answer).where(Answer.response_id == response_id, Answer.text.is_not(None)))
    theme = Theme(campaign_id=campaign.id, name={"nl": "Bankjes"}, description={}, colour="#123456")
    db.session.add(theme)
    db.session.flush()
    batch = ThemeBatch(theme_id=theme.id, user_id=marker.id, filters={}, added=0)
    link = ThemeLink(theme_id=theme.id, response_id=response_id, source_kind="answer", answer_id=answer.id,
                     start_offset=0, end_offset=4, quoted_text=answer.text[:4])
    db.session.add_all([batch, link])
    db.session.flush()
    quote = Quote(link_id=link.id, campaign_id=campaign.id, texts={"nl": answer.text[:4]}, marked_by=marker.id)
    db.session.add(quote)
    users = {"admin": make_user("admin", [team]), "coordinator": make_user("coordinator", [team]),
             "field_worker": make_user("field_worker", [team]), "other_team": make_user("coordinator", [other]),
             "admin_elsewhere": make_user("admin", [other]), "server_admin": make_user("admin", [])}
    users["server_admin"].server_admin = True
    db.session.commit()
    return users, {"campaign_id": campaign.id, "response_id": response_id, "theme_id": theme.id,
                   "link_id": link.id, "batch_id": batch.id, "quote_id": quote.id}


def fill(template: str, values: dict) -> str:
    return re.sub(r"<(\w+)>", lambda match: str(values[match.group(1)]), template)


def expected(access: str, actor: str) -> str:
    if actor == "anonymous":
        return "sign_in"
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
    want = expected(access, actor)
    before = fingerprint() if want != "allowed" else None
    url = fill(rule, values)
    form = {key: fill(value, values) for key, value in data.items()}
    reply = web.get(url) if method == "GET" else web.post(url, form)
    reply.get_data()
    reply.close()
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]
    assert outcome(reply) == want, f"{method} {rule} as {actor}: {reply.status_code}"
    if want != "allowed":
        assert fingerprint() == before


def test_every_route_is_in_the_matrix(app):
    covered = {(method, rule) for method, rule, _access, _data in ROUTES}
    registered = {(method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule))
                  for rule in app.url_map.iter_rules() if rule.endpoint.startswith("themes.")
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(registered ^ covered) == []
