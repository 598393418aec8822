"""Partner teams against every campaign route: with every combination of grants, a partner may do exactly what
its grants allow, and without the grant a route needs it is answered as a stranger (404).

Every route with a ``<campaign_id>`` must be listed here with the grant it needs (``None``: members only), so a
route another branch adds fails `test_every_campaign_route_is_in_the_partner_matrix` until it says who may use
it; its view must decide with `server.accounts.auth.require_campaign(campaign_id, action=...)`.
"""

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accounts.models import User
from server.campaigns.models import Campaign
from server.exports.models import ExportFile
from server.extensions import db
from server.jobs.models import Job
from server.partners.access import ACTIONS, campaign_access
from server.partners.models import GRANTS, Partnership, TextProposal
from server.partners.operations import end_partnership, set_grants
from server.teams.models import Team
from server.util import utcnow
from server.voicepacks.operations import store_clip
from tests.permissions import fingerprint, outcome


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    #: The grant a partner needs (``None``: the campaign's own team only).
    grant: str | None
    #: A field worker of the partner team is refused (403) even with the grant.
    writer: bool = False
    data: dict = field(default_factory=dict, hash=False)

    def __str__(self):
        return f"{self.method} {self.rule}"


C = "/workspace/campaigns/<campaign_id>"
ROUTES = [
    Route("GET", C, None),
    Route("POST", f"{C}/publish", None),
    Route("POST", f"{C}/close", None),
    Route("POST", f"{C}/languages/<lang>/remove", None),
    Route("GET", f"{C}/settings", None),
    Route("POST", f"{C}/settings", None, data={"languages": "nl", "default_language": "nl"}),
    Route("GET", f"{C}/texts", None),
    Route("POST", f"{C}/texts", None, data={"langs": "nl", "title.nl": "Anders"}),
    Route("GET", f"{C}/new-question", None),
    Route("POST", f"{C}/new-question", None, data={"type": "yes_no", "text.nl": "Nieuwe vraag?"}),
    Route("GET", f"{C}/questions/<key>", None),
    Route("POST", f"{C}/questions/<key>", None, data={"type": "yes_no", "text.nl": "Anders?"}),
    Route("POST", f"{C}/questions/<key>/move", None, data={"direction": "down"}),
    Route("POST", f"{C}/questions/<key>/delete", None),
    Route("POST", f"{C}/questions/<key>/prompts/<lang>", None),
    Route("POST", f"{C}/questions/<key>/prompts/<lang>/delete", None),
    Route("POST", f"{C}/questions/<key>/prompts/<lang>/uploads/<clip_id>/discard", None),
    Route("GET", f"{C}/studio", "voice"),
    Route("GET", f"{C}/studio/<lang>", "voice"),
    Route("POST", f"{C}/studio/<lang>", "voice", writer=True, data={"key": "title"}),
    Route("POST", f"{C}/studio/<lang>/clips/<clip_id>/delete", None),
    Route("POST", f"{C}/studio/<lang>/clips/<proposal_id>/approve", None),
    Route("POST", f"{C}/studio/<lang>/clips/<proposal_id>/reject", None),
    Route("POST", f"{C}/studio/<lang>/translations", "voice", writer=True,
          data={"key": "title", "text": "Our street, your voice"}),
    Route("POST", f"{C}/studio/<lang>/translations/<text_id>/approve", None),
    Route("POST", f"{C}/studio/<lang>/translations/<text_id>/reject", None),
    Route("GET", f"{C}/preview", None),
    Route("GET", f"{C}/preview.json", None),
    Route("GET", f"{C}/sources", "flyers"),
    Route("POST", f"{C}/sources", None, data={"name": "Bibliotheek"}),
    Route("POST", f"{C}/sources/<source_id>/revoke", None),
    Route("GET", f"{C}/sources/<source_id>/flyer", "flyers"),
    Route("GET", f"{C}/sources/<source_id>/qr.svg", "flyers"),
    Route("GET", f"{C}/sources/<source_id>/qr.png", "flyers"),
    Route("GET", f"{C}/sources/<source_id>/flyer.pdf", "flyers"),
    Route("GET", f"{C}/sources/<source_id>/sheet.pdf", "flyers"),
    # review, exports, privacy
    Route("GET", f"{C}/responses", "read", writer=True),
    Route("GET", f"{C}/responses/<response_id>", "read", writer=True),
    Route("POST", f"{C}/responses/<response_id>/state", None, data={"state": "flagged"}),
    Route("POST", f"{C}/responses/<response_id>/tags", None, data={"name": "groen"}),
    Route("POST", f"{C}/responses/<response_id>/tags/<tag_id>/remove", None),
    Route("POST", f"{C}/responses/<response_id>/comments", None, data={"body": "Hoi"}),
    Route("POST", f"{C}/responses/<response_id>/answers/<answer_id>/translation", None,
          data={"translation": "Benches"}),
    Route("POST", f"{C}/voice-notes/<note_id>/transcript", None, data={"transcript": "Bir bank"}),
    Route("POST", f"{C}/voice-notes/<note_id>/transcribe", None),
    Route("POST", f"{C}/voice-notes/<note_id>/delete-audio", None),
    Route("GET", f"{C}/voice-notes/<note_id>/audio", "listen", writer=True),
    Route("POST", f"{C}/export.<format>", None),
    Route("GET", f"{C}/exports", None),
    Route("GET", f"{C}/exports/<export_id>", None),
    Route("GET", f"{C}/privacy", None),
    Route("POST", f"{C}/privacy", None, data={"days": "30"}),
    Route("POST", f"{C}/jobs/<job_id>/retry", None),
    # themes and quotes: the owning team's own work (a partner reads answers, it does not code them)
    Route("GET", f"{C}/themes", None),
    Route("POST", f"{C}/themes", None, data={"name.nl": "Straatverlichting", "colour": "#1f6feb"}),
    Route("GET", f"{C}/themes/<theme_id>", None),
    Route("POST", f"{C}/themes/<theme_id>", None, data={"name.nl": "Licht", "colour": "#1f6feb"}),
    Route("POST", f"{C}/themes/<theme_id>/delete", None),
    Route("POST", f"{C}/responses/<response_id>/themes", None, data={"theme": "1"}),
    Route("POST", f"{C}/responses/<response_id>/themes/<link_id>/remove", None),
    Route("POST", f"{C}/responses/<response_id>/themes/<link_id>/quote", None),
    Route("GET", f"{C}/themes/bulk", None),
    Route("POST", f"{C}/themes/bulk", None),
    Route("GET", f"{C}/themes/batches/<batch_id>", None),
    Route("POST", f"{C}/themes/batches/<batch_id>/undo", None),
    Route("GET", f"{C}/quotes", None),
    Route("POST", f"{C}/quotes/<quote_id>", None),
    Route("POST", f"{C}/quotes/<quote_id>/approve", None),
    Route("POST", f"{C}/quotes/<quote_id>/withdraw", None),
    # results, reach, reporting back
    Route("GET", f"{C}/results", "results"),
    Route("GET", f"{C}/results/print", None),
    Route("GET", f"{C}/results.json", None),
    Route("GET", f"{C}/reach", "results"),
    Route("GET", f"{C}/reach/make-up", None),
    Route("POST", f"{C}/reach/make-up", None, data={"amount.buurt.0": "50"}),
    Route("POST", f"{C}/reach/upload", None),
    Route("GET", f"{C}/reach/make-up.csv", None),
    Route("GET", f"{C}/report", None),
    Route("POST", f"{C}/report/texts", None, data={"next_steps.nl": "Gewijzigd"}),
    Route("POST", f"{C}/report/publish", None),
    Route("POST", f"{C}/report/unpublish", None),
    Route("GET", f"{C}/report/preview", None),
    Route("GET", f"{C}/report/qr.svg", None),
    Route("GET", f"{C}/report/qr.png", None),
    # partnerships
    Route("POST", f"{C}/lend-phone", "phones", writer=True, data={"label": "Telefoon gemeente"}),
]


@pytest.fixture
def world(app, make_user, team, campaign, flyer, voiced_response, reviewer):
    """The demo initiative with a response, a voice note, a tag, a clip and a partner's proposal; a municipal
    partner team (coordinator, field worker, admin) in a partnership for the campaign, without grants yet; a
    second campaign of the initiative; a server administrator in no team."""
    from server.responses.models import Answer
    from server.review.models import Tag
    from server.themes.models import Quote, Theme, ThemeBatch, ThemeLink

    municipal = Team(slug="gemeente", name="Gemeente", kind="municipal")
    db.session.add(municipal)
    db.session.commit()
    response_id, note_id = voiced_response
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/tags", {"name": "groen"})
    owner_admin = make_user("admin", [team])
    users = {"coordinator": make_user("coordinator", [municipal]),
             "field_worker": make_user("field_worker", [municipal]),
             "admin": make_user("admin", [municipal]),
             "server_admin": make_user("admin", [], email="server-admin@example.org")}
    users["server_admin"].server_admin = True
    partnership = Partnership(owner_team_id=team.id, partner_team_id=municipal.id, campaign_id=campaign.id,
                              invited_by=owner_admin.id, accepted_by=users["admin"].id)
    db.session.add(partnership)
    clip = store_clip(campaign, "title", "en", "Our neighbourhood, your voice", b"OggS recorded", 900, "audio/ogg")
    proposal = store_clip(campaign, "title", "en", "Our neighbourhood, your voice", b"OggS proposed", 900,
                          "audio/ogg", proposed_by_team_id=municipal.id)
    text = TextProposal(campaign_id=campaign.id, language="en", slot="title", text="Our street",
                        proposed_by_team_id=municipal.id)
    db.session.add(text)
    db.session.commit()
    answer_id = db.session.scalar(select(Answer.id).where(Answer.response_id == response_id,
                                                          Answer.text.is_not(None)))
    theme = Theme(campaign_id=campaign.id, name={"nl": "Groen"})
    db.session.add(theme)
    db.session.flush()
    link = ThemeLink(theme_id=theme.id, response_id=response_id)
    batch = ThemeBatch(theme_id=theme.id)
    job = Job(name="playback_copy", object_type="voice_note", object_id=str(note_id), campaign_id=campaign.id,
              status="failed")
    db.session.add_all([link, batch, job])
    db.session.flush()
    quote = Quote(link_id=link.id, campaign_id=campaign.id, texts={"nl": "Meer groen"})
    db.session.add(quote)
    prepared = ExportFile(campaign_id=campaign.id, requested_by=users["coordinator"].id, format="csv", filters={},
                          filename="responses.csv", status="ready", storage_name="exports/x.bin", size=1,
                          expires_at=utcnow() + timedelta(hours=24))
    db.session.add(prepared)
    db.session.commit()
    values = {"campaign_id": campaign.id, "response_id": response_id, "note_id": note_id,
              "tag_id": db.session.scalar(select(Tag.id)), "answer_id": answer_id, "format": "csv", "lang": "en",
              "key": "missen", "source_id": flyer.id, "clip_id": clip.id, "proposal_id": proposal.id,
              "text_id": text.id, "theme_id": theme.id, "link_id": link.id, "batch_id": batch.id,
              "quote_id": quote.id, "job_id": job.id, "export_id": prepared.id}
    return users, values, partnership, owner_admin


def fill(template: str, values: dict) -> str:
    return re.sub(r"<(\w+)>", lambda match: str(values[match.group(1)]), template)


def give(partnership, grants, owner_admin) -> None:
    set_grants(db.session.get(Partnership, partnership.id), set(grants), owner_admin)
    db.session.commit()


def request(web, route: Route, values: dict) -> str:
    """The route's outcome; a refusal must have changed nothing."""
    url = fill(route.rule, values)
    before = fingerprint() if route.method == "POST" else None
    reply = web.get(url) if route.method == "GET" else web.post(url, route.data)
    reply.get_data()
    reply.close()
    assert reply.status_code < 500, reply.get_data(as_text=True)[:500]
    result = outcome(reply)
    if result != "allowed" and before is not None:
        assert fingerprint() == before, f"{route} was refused but changed the database"
    return result


@pytest.mark.matrix
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_partner_may_do_exactly_what_its_grants_allow(route, world, web_as, backend):
    users, values, partnership, owner_admin = world
    coordinator, field_worker = web_as(users["coordinator"]), web_as(users["field_worker"])
    others = set(GRANTS) - {route.grant}
    give(partnership, others, owner_admin)  # every grant but the one this route needs: a stranger
    assert request(coordinator, route, values) == "hidden", f"{route} with {sorted(others)}"
    assert request(field_worker, route, values) == "hidden"
    if route.grant is None:
        return
    give(partnership, {route.grant}, owner_admin)  # only the one it needs
    assert request(field_worker, route, values) == ("forbidden" if route.writer else "allowed")
    assert request(coordinator, route, values) == "allowed", f"{route} with {route.grant}"
    end_partnership(db.session.get(Partnership, partnership.id), owner_admin)
    db.session.commit()  # ended: the very next request is refused, in the same signed-in session
    assert request(coordinator, route, values) == "hidden", f"{route} after the end"


@pytest.mark.matrix
@pytest.mark.parametrize("route", [route for route in ROUTES if route.grant], ids=str)
def test_a_partner_of_one_campaign_sees_nothing_of_the_owners_others(route, world, web_as, make_user, backend):
    """Even with every grant for campaign A, campaign B of the same team answers 404; and the server
    administrator, in no team, reads nothing."""
    users, values, partnership, owner_admin = world
    give(partnership, GRANTS, owner_admin)
    campaign = db.session.get(Campaign, values["campaign_id"])
    other = Campaign(team_id=campaign.team_id, definition=campaign.definition, state="draft")
    db.session.add(other)
    db.session.commit()
    assert request(web_as(users["coordinator"]), route, {**values, "campaign_id": other.id}) == "hidden"
    assert request(web_as(users["server_admin"]), route, values) == "hidden"


def test_every_campaign_route_is_in_the_partner_matrix(app):
    covered = {(route.method, route.rule) for route in ROUTES}
    registered = {(method, re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule))
                  for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/workspace/") and "campaign_id>" in rule.rule
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(registered ^ covered) == []


COMBINATIONS = [frozenset(combo) for size in range(len(GRANTS) + 1) for combo in itertools.combinations(GRANTS, size)]


@pytest.mark.matrix
def test_every_combination_of_grants_allows_exactly_its_actions(world, backend):
    """All 64 combinations of grants, every action, a writing and a reading role of the partner team."""
    users, values, partnership, owner_admin = world
    campaign = db.session.get(Campaign, values["campaign_id"])
    assert len(COMBINATIONS) == 2 ** len(GRANTS)
    for grants in COMBINATIONS:
        give(partnership, grants, owner_admin)
        for name in ("coordinator", "field_worker", "server_admin"):
            user = db.session.get(User, users[name].id)
            for action, (needs_writer, grant) in ACTIONS.items():
                decision, _partnership = campaign_access(user, campaign, action)
                if name == "server_admin" or grant not in grants:
                    want = "hidden"
                else:
                    want = "forbidden" if needs_writer and not user.can_write else "allowed"
                assert decision == want, (sorted(grants), name, action)
