"""Partnerships (issue 16): invitation by one-time code, grants the owning team gives and takes back, ending
from either side, a partner's recordings waiting for approval, lent phones, support requests, the public thanks,
what the owner sees of its partner, and the partnership pages' own access checks."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.campaigns.models import Campaign
from server.campaigns.operations import campaign_document, published_version
from server.devices.models import Device
from server.extensions import db
from server.partners.models import Partnership, PartnershipInvitation, SupportRequest
from server.privacy.models import AuditEvent
from server.reporting.models import PublicReport
from server.teams.models import Team
from server.util import utcnow
from server.voicepacks.models import Clip
from tests.factories import wav_bytes
from tests.permissions import fingerprint, outcome


@pytest.fixture
def municipal(app):
    team = Team(slug="gemeente", name="Gemeente Noord", kind="municipal")
    db.session.add(team)
    db.session.commit()
    return team


@pytest.fixture
def people(make_user, team, municipal):
    """The initiative's admin and coordinator, the municipal team's admin and coordinator (pages in English)."""
    users = {"owner_admin": make_user("admin", [team]), "owner_coordinator": make_user("coordinator", [team]),
            "partner_admin": make_user("admin", [municipal]),
            "partner_coordinator": make_user("coordinator", [municipal]),
            "server_admin": make_user("admin", [], email="root@example.org")}
    for user in users.values():
        user.language = "en"
    db.session.commit()
    return users


def invite(web, team, campaign=None) -> str:
    reply = web.post("/workspace/partnerships/invite", {"team": team.id, "campaign": campaign.id if campaign else ""})
    assert reply.status_code == 200, reply.get_data(as_text=True)[:400]
    return re.search(r"data-code>([A-Z0-9 ]+)<", reply.get_data(as_text=True)).group(1)


def accept(web, team, code):
    return web.post("/workspace/partnerships/accept", {"partner_team": team.id, "code": code})


@pytest.fixture
def partnership(web_as, people, team, municipal, campaign):
    """A partnership for the demo campaign, made through the pages."""
    code = invite(web_as(people["owner_admin"]), team, campaign)
    reply = accept(web_as(people["partner_admin"]), municipal, code)
    assert reply.status_code == 303
    return db.session.scalars(select(Partnership)).one()


def grant(web_as, people, partnership, *grants):
    reply = web_as(people["owner_admin"]).post(f"/workspace/partnerships/{partnership.id}/grants",
                                               {"grants": list(grants)})
    assert reply.status_code == 303
    db.session.expire_all()


def test_an_invitation_code_is_shown_once_stored_hashed_and_works_once(web_as, people, team, municipal, campaign):
    owner, partner = web_as(people["owner_admin"]), web_as(people["partner_admin"])
    code = invite(owner, team, campaign)
    stored = db.session.scalars(select(PartnershipInvitation)).one()
    assert code.replace(" ", "") not in repr(fingerprint()) and stored.code_hash != code
    assert code not in owner.get("/workspace/partnerships").get_data(as_text=True)
    assert accept(partner, municipal, code.lower().replace(" ", "-")).status_code == 303
    partnership = db.session.scalars(select(Partnership)).one()
    assert (partnership.owner_team_id, partnership.partner_team_id, partnership.campaign_id) == \
        (team.id, municipal.id, campaign.id)
    assert partnership.current_grants() == set()  # nothing until the owner gives it
    reply = accept(partner, municipal, code)
    assert reply.status_code == 400 and "not valid" in reply.get_data(as_text=True)


def test_expired_codes_own_team_and_non_admins_are_refused(web_as, people, make_user, team, municipal, campaign):
    owner = web_as(people["owner_admin"])
    code = invite(owner, team)
    assert accept(owner, team, code).status_code == 422  # a team cannot be its own partner
    code = invite(owner, team)
    assert accept(web_as(people["partner_coordinator"]), municipal, code).status_code == 403
    assert accept(web_as(people["partner_admin"]), team, code).status_code == 404  # not their team
    db.session.execute(PartnershipInvitation.__table__.update().values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert accept(web_as(people["partner_admin"]), municipal, code).status_code == 400
    assert web_as(people["owner_coordinator"]).post("/workspace/partnerships/invite",
                                                    {"team": team.id}).status_code == 403
    assert db.session.scalars(select(Partnership)).all() == []


def test_typing_codes_is_rate_limited(web_as, people, municipal):
    partner = web_as(people["partner_admin"])
    replies = [accept(partner, municipal, f"WRONGCODE{n:03d}").status_code for n in range(11)]
    assert replies[:10] == [400] * 10 and replies[10] == 429


def test_grants_take_effect_on_the_next_request_and_ending_removes_them(web_as, people, partnership, campaign):
    partner = web_as(people["partner_coordinator"])
    results = f"/workspace/campaigns/{campaign.id}/results"
    assert outcome(partner.get(results)) == "hidden"
    grant(web_as, people, partnership, "results", "voice")
    page = partner.get(results)
    assert page.status_code == 200 and "totals only" in page.get_data(as_text=True)
    assert outcome(partner.get(f"/workspace/campaigns/{campaign.id}/responses")) == "hidden"
    assert outcome(partner.get(f"/workspace/campaigns/{campaign.id}/results.json")) == "hidden"
    # the partner's admin ends it: the same signed-in session loses access at once
    reply = web_as(people["partner_admin"]).post(f"/workspace/partnerships/{partnership.id}/end")
    assert reply.status_code == 303
    assert outcome(partner.get(results)) == "hidden"
    assert outcome(partner.get(f"/workspace/campaigns/{campaign.id}/studio/nl")) == "hidden"
    db.session.expire_all()
    ended = db.session.get(Partnership, partnership.id)
    assert ended.ended_at is not None and all(g.revoked_at is not None for g in ended.grants)
    events = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert {"partnership_started", "grant_given", "partnership_ended"} <= events


def test_a_partners_results_hide_small_groups(web_as, people, partnership, campaign, sync):
    from tests.factories import response_body

    sync(response_body(campaign))
    grant(web_as, people, partnership, "results")
    text = web_as(people["partner_coordinator"]).get(f"/workspace/campaigns/{campaign.id}/results") \
        .get_data(as_text=True)
    assert "Not enough residents have answered yet" in text  # one response: below the smallest group shown
    member = web_as(people["owner_coordinator"]).get(f"/workspace/campaigns/{campaign.id}/results")
    assert "Not enough residents" not in member.get_data(as_text=True)


def post_clip(web, campaign, key="title", lang="ar"):
    upload = FileStorage(stream=io.BytesIO(wav_bytes(1.0)), filename="opname.wav", content_type="audio/wav")
    boundary, body = encode_multipart({"key": key, "file": upload, "csrf_token": web.csrf_token()})
    return web.client.post(f"/workspace/campaigns/{campaign.id}/studio/{lang}", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")


def heard(campaign, lang="ar") -> dict:
    """The campaign texts a resident hears recorded in `lang`, as a phone downloads them."""
    db.session.expire_all()
    with current_app.test_request_context():
        return campaign_document(published_version(db.session.get(Campaign, campaign.id)))["audio"][lang]["campaign"]


def test_a_partners_recording_waits_for_the_owners_approval(web_as, people, partnership, campaign):
    grant(web_as, people, partnership, "voice")
    partner = web_as(people["partner_coordinator"])
    reply = post_clip(partner, campaign)
    assert reply.status_code == 303, reply.get_data(as_text=True)[:300]
    proposal = db.session.scalars(select(Clip).where(Clip.state == "proposed")).one()
    assert proposal.team_id == campaign.team_id and proposal.proposed_by_team_id == partnership.partner_team_id
    assert "title" not in heard(campaign)  # residents do not hear it yet
    owner = web_as(people["owner_coordinator"])
    page = owner.get(f"/workspace/campaigns/{campaign.id}/studio/ar").get_data(as_text=True)
    assert f"proposal-{proposal.id}" in page and "Gemeente Noord" in page
    assert outcome(partner.post(f"/workspace/campaigns/{campaign.id}/studio/ar/clips/{proposal.id}/approve")) \
        == "hidden"  # a partner never approves its own
    reply = owner.post(f"/workspace/campaigns/{campaign.id}/studio/ar/clips/{proposal.id}/approve")
    assert reply.status_code == 303
    assert heard(campaign)["title"]["url"].endswith(str(proposal.id))
    activity = owner.get(f"/workspace/partnerships/{partnership.id}").get_data(as_text=True)
    assert "proposed a recording" in activity and people["partner_coordinator"].email in activity
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "clip_proposed" in actions and "clip_approved" in actions


def test_a_partners_recording_that_fails_is_shown_to_the_partner_only(web_as, people, partnership, campaign):
    grant(web_as, people, partnership, "voice")
    partner = web_as(people["partner_coordinator"])
    upload = FileStorage(stream=io.BytesIO(b"RIFF\x24\x00\x00\x00WAVEno format chunk" * 4), filename="x.wav")
    boundary, body = encode_multipart({"key": "title", "file": upload, "csrf_token": partner.csrf_token()})
    reply = partner.client.post(f"/workspace/campaigns/{campaign.id}/studio/ar", data=body,
                                content_type=f"multipart/form-data; boundary={boundary}")
    assert reply.status_code == 303 and "saved=failed" in reply.headers["Location"]
    waiting = db.session.scalars(select(Clip)).one()
    assert (waiting.state, waiting.proposed_by_team_id) == ("processing", partnership.partner_team_id)
    page = partner.get(f"/workspace/campaigns/{campaign.id}/studio/ar").get_data(as_text=True)
    assert "The new recording could not be prepared: This is not a supported audio recording." in page
    assert "/retry" not in page  # the owning team's button; the partner records again
    owner_page = web_as(people["owner_coordinator"]).get(f"/workspace/campaigns/{campaign.id}/studio/ar")
    assert f"upload-{waiting.id}" not in owner_page.get_data(as_text=True)
    assert post_clip(partner, campaign).status_code == 303  # recording again replaces the failed upload
    assert [clip.state for clip in db.session.scalars(select(Clip))] == ["proposed"]


def test_a_turned_down_recording_is_deleted(web_as, people, partnership, campaign):
    grant(web_as, people, partnership, "voice")
    assert post_clip(web_as(people["partner_coordinator"]), campaign).status_code == 303
    proposal = db.session.scalars(select(Clip).where(Clip.state == "proposed")).one()
    reply = web_as(people["owner_coordinator"]).post(
        f"/workspace/campaigns/{campaign.id}/studio/ar/clips/{proposal.id}/reject")
    assert reply.status_code == 303
    assert db.session.scalars(select(Clip)).all() == [] and "title" not in heard(campaign)


def test_reading_and_listening_are_in_the_owners_log(web_as, people, partnership, campaign, voiced_response):
    response_id, note_id = voiced_response
    partner = web_as(people["partner_coordinator"])
    grant(web_as, people, partnership, "read")
    page = partner.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert "voice-notes" not in page  # no player without the listening grant
    assert "Save the transcript" not in page and "Add the tag" not in page
    assert outcome(partner.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")) == "hidden"
    grant(web_as, people, partnership, "read", "listen")
    reply = partner.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200
    reply.close()
    assert outcome(partner.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio?download=1")) \
        == "hidden"  # listening, never taking a copy away
    assert outcome(partner.post(f"/workspace/campaigns/{campaign.id}/export.csv")) == "hidden"
    page = web_as(people["owner_admin"]).get(f"/workspace/partnerships/{partnership.id}").get_data(as_text=True)
    assert "read answers as a partner" in page and "listened to" in page
    log = web_as(people["owner_admin"]).get(f"/workspace/teams/{campaign.team_id}/audit").get_data(as_text=True)
    assert "gemeente" in log


def test_a_lent_phone_collects_for_one_campaign_of_the_owner(web_as, people, partnership, campaign, client):
    grant(web_as, people, partnership, "phones")
    reply = web_as(people["partner_coordinator"]).post(f"/workspace/campaigns/{campaign.id}/lend-phone",
                                                       {"label": "Telefoon gemeente"})
    assert reply.status_code == 200
    code = re.search(r'class="enrol-code" dir="ltr">([0-9A-Z ]+)<', reply.get_data(as_text=True)).group(1)
    enrolled = client.post("/api/v1/devices/enrol", json={"code": code})
    assert enrolled.status_code == 201
    device = db.session.get(Device, uuid.UUID(enrolled.json["device_id"]))
    assert (device.team_id, device.campaign_id, device.lent_by_team_id) == \
        (campaign.team_id, campaign.id, partnership.partner_team_id)
    other = Campaign(team_id=campaign.team_id, definition=campaign.definition, state="published")
    db.session.add(other)
    db.session.commit()
    listed = client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {enrolled.json['token']}"})
    assert [c["id"] for c in listed.json["campaigns"]] == [str(campaign.id)]


def test_support_requests_are_seen_and_answered_by_both_sides(web_as, people, partnership):
    owner, partner = web_as(people["owner_coordinator"]), web_as(people["partner_coordinator"])
    url = f"/workspace/partnerships/{partnership.id}"
    assert owner.post(f"{url}/requests", {"kind": "recordings", "body": "Opnames in het Arabisch en Tigrinya"}) \
        .status_code == 303
    assert outcome(partner.post(f"{url}/requests", {"kind": "flyers", "body": "x"})) == "forbidden"
    request = db.session.scalars(select(SupportRequest)).one()
    assert "Tigrinya" in partner.get(url).get_data(as_text=True)
    assert owner.post(f"{url}/requests/{request.id}", {"state": "accepted"}).status_code == 422  # not the owner's
    assert partner.post(f"{url}/requests/{request.id}", {"state": "accepted"}).status_code == 303
    assert partner.post(f"{url}/requests/{request.id}", {"state": "done"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(SupportRequest, request.id).state == "done"
    assert "done" in owner.get(url).get_data(as_text=True)


def test_the_public_page_thanks_the_partner_only_when_the_owner_wants(web_as, people, partnership, campaign, client):
    db.session.add(PublicReport(campaign_id=campaign.id, code="OPENBAAR", next_steps={}, published_at=utcnow()))
    db.session.commit()
    assert "Gemeente Noord" not in client.get("/r/OPENBAAR").get_data(as_text=True)
    owner = web_as(people["owner_admin"])
    assert outcome(web_as(people["partner_admin"]).post(f"/workspace/partnerships/{partnership.id}/credit",
                                                        {"credited": "1"})) == "forbidden"
    assert owner.post(f"/workspace/partnerships/{partnership.id}/credit", {"credited": "1"}).status_code == 303
    page = client.get("/r/OPENBAAR?lang=nl").get_data(as_text=True)
    assert "Met steun van Gemeente Noord" in page
    owner.post(f"/workspace/partnerships/{partnership.id}/end")
    assert "Gemeente Noord" not in client.get("/r/OPENBAAR?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("path", ["", "/grants", "/credit", "/end", "/requests"])
def test_strangers_and_the_server_administrator_get_404(web_as, people, make_user, partnership, path, client):
    people["server_admin"].server_admin = True
    db.session.commit()
    stranger = make_user("admin", [Team(slug="elders", name="Elders")])
    url = f"/workspace/partnerships/{partnership.id}{path}"
    for user in (stranger, people["server_admin"]):
        web = web_as(user)
        before = fingerprint()
        reply = web.get(url) if not path else web.post(url, {"grants": "read", "kind": "other", "body": "x"})
        assert outcome(reply) == "hidden"
        assert fingerprint() == before
    if not path:
        assert outcome(client.get(url)) == "sign_in"


def test_only_the_owners_admin_decides_grants(web_as, people, partnership):
    url = f"/workspace/partnerships/{partnership.id}/grants"
    assert outcome(web_as(people["owner_coordinator"]).post(url, {"grants": "read"})) == "forbidden"
    assert outcome(web_as(people["partner_admin"]).post(url, {"grants": "read"})) == "forbidden"
    db.session.expire_all()
    assert db.session.get(Partnership, partnership.id).current_grants() == set()


@pytest.mark.slow  # the whole demo: every shipped clip written to the store, its accounts' passwords hashed
def test_the_demo_has_an_initiative_and_its_municipal_partner(app, runner, client):
    from server.demo import DEMO_PARTNER

    output = runner.invoke(args=["demo"]).output
    assert DEMO_PARTNER in output and "/workspace/partnerships/" in output
    partnership = db.session.scalars(select(Partnership)).one()
    assert (partnership.owner.kind, partnership.partner.kind) == ("initiative", "municipal")
    assert partnership.current_grants() == {"results", "voice", "flyers"}
    runner.invoke(args=["demo"])  # once: a second start adds nothing
    assert len(db.session.scalars(select(Partnership)).all()) == 1


def test_a_server_administrator_cannot_join_a_team_to_read_it(web_as, people, team, campaign):
    root = people["server_admin"]
    root.server_admin = True
    db.session.commit()
    web = web_as(root)
    before = fingerprint()
    assert web.post(f"/workspace/admin/teams/{team.id}/members", {"email": root.email}).status_code == 422
    assert web.post(f"/workspace/admin/users/{root.id}", {"role": "admin", "active": "1",
                                                         "teams": str(team.id)}).status_code == 422
    assert fingerprint() == before
    assert outcome(web.get(f"/workspace/campaigns/{campaign.id}/responses")) == "hidden"
    # managing other accounts of the team is still theirs to do, and the team sees it in its log
    other = people["owner_coordinator"]
    assert web.post(f"/workspace/admin/users/{other.id}/sign-out-everywhere").status_code == 303


def test_a_partners_translation_waits_for_the_owner_and_goes_into_the_draft(web_as, people, partnership, campaign):
    from server.partners.models import TextProposal

    grant(web_as, people, partnership, "voice")
    partner = web_as(people["partner_coordinator"])
    url = f"/workspace/campaigns/{campaign.id}/studio/tr"
    reply = partner.post(f"{url}/translations", {"key": "q:missen:groen", "text": "Yeşil alanlar ve ağaçlar"})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:300]
    assert partner.post(f"{url}/translations", {"key": "buurt:Noord", "text": "Kuzey"}).status_code == 404
    assert partner.post(f"{url}/translations", {"key": "title", "text": "x" * 201}).status_code == 422
    proposal = db.session.scalars(select(TextProposal)).one()
    assert proposal.slot == "questions.missen.choices.groen.label"
    choice = lambda: next(c for q in db.session.get(Campaign, campaign.id).definition["questions"]  # noqa: E731
                          for c in q.get("choices", []) if c["key"] == "groen")["label"]["tr"]
    assert choice() == "Yeşillik ve ağaçlar"  # the draft is unchanged until the owner decides
    owner = web_as(people["owner_coordinator"])
    assert f"text-proposal-{proposal.id}" in owner.get(url).get_data(as_text=True)
    assert owner.post(f"{url}/translations/{proposal.id}/approve").status_code == 303
    db.session.expire_all()
    assert choice() == "Yeşil alanlar ve ağaçlar"
    assert db.session.scalars(select(TextProposal)).all() == []
    page = owner.get(f"/workspace/partnerships/{partnership.id}").get_data(as_text=True)
    assert "proposed a translation" in page
