"""Partnerships in Debian's Chromium (issue 16): a resident initiative invites the municipal team, lets it see the
results and help with recordings; the municipality records an Arabic text through a fake microphone fed with real
speech (espeak-ng); the initiative approves it, sees it in what its partner did, ends the partnership, and the
municipality's access is gone at its next click."""

import re
import subprocess

import pytest
from sqlalchemy import select

from server.campaigns.models import Campaign
from server.extensions import db
from server.partners.models import Partnership
from server.teams.models import Team
from server.voicepacks.models import Clip
from tests.browser.conftest import ARGS, CHROMIUM, LiveServer, record_and_save
from tests.browser.test_workspace import serious_accessibility_problems, settled, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def arabic_speech(tmp_path_factory):
    """Arabic speech at 48 kHz, as Chromium's fake microphone wants it."""
    folder = tmp_path_factory.mktemp("speech")
    raw, resampled = folder / "speech.wav", folder / "speech48.wav"
    subprocess.run(["espeak-ng", "-v", "ar", "-w", str(raw), "حيّنا، صوتكم"], check=True, timeout=60)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), "-ar", "48000", "-ac", "1",
                    str(resampled)], check=True, timeout=60)
    return resampled


@pytest.fixture(scope="module")
def speaking_browser(playwright_instance, arabic_speech):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*ARGS, f"--use-file-for-fake-audio-capture={arabic_speech}"])
    yield browser
    browser.close()


@pytest.fixture
def pages(speaking_browser, app):
    """Two browsers' pages: the initiative's admin and the municipality's admin."""
    with LiveServer(app) as server:
        contexts = [speaking_browser.new_context(locale="nl-NL", permissions=["microphone"], base_url=server.url,
                                                 viewport={"width": 1280, "height": 900}) for _ in range(2)]
        made = [context.new_page() for context in contexts]
        for page in made:
            page.set_default_timeout(15_000)
        yield made
        for context in contexts:
            context.close()


@pytest.fixture
def people(make_user, team):
    def make():
        municipal = Team(slug="gemeente", name="Gemeente Noord", kind="municipal")
        db.session.add(municipal)
        db.session.commit()
        return (make_user("admin", [team], email="initiatief@example.org").email,
                make_user("admin", [municipal], email="gemeente@example.org").email)

    return settled(make)


def test_an_initiative_accepts_the_municipalitys_help_on_its_own_terms(pages, people, demo):
    initiative, municipality = pages
    campaign_id = settled(lambda: db.session.scalars(select(Campaign)).one().id)
    sign_in(initiative, people[0])
    sign_in(municipality, people[1])

    # the initiative invites the municipal team for its campaign
    initiative.get_by_role("link", name="Samenwerkingen").click()
    invite = initiative.locator("form[action$='/partnerships/invite']")
    invite.get_by_label("Campagne").select_option(str(campaign_id))
    invite.get_by_role("button", name="Uitnodigingscode maken").click()
    code = initiative.locator("[data-code]").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4}", code)
    assert serious_accessibility_problems(initiative) == []

    # the municipality's admin types the code
    municipality.get_by_role("link", name="Samenwerkingen").click()
    municipality.get_by_label("Uitnodigingscode").fill(code)
    municipality.get_by_role("button", name="Aannemen").click()
    municipality.wait_for_url(re.compile(r"/workspace/partnerships/\d+$"))
    assert "Nog niets." in municipality.locator("#grants-list").inner_text()  # no grant yet
    partnership_url = municipality.url

    # the initiative grants results and recordings help
    initiative.goto(partnership_url)
    initiative.get_by_label(re.compile("^De resultaten en het bereikrapport")).check()
    initiative.get_by_label(re.compile("^Helpen met vertalingen en opnames")).check()
    initiative.get_by_role("button", name="Rechten opslaan").click()
    initiative.wait_for_url("**saved=grants")
    assert serious_accessibility_problems(initiative) == []

    # the municipality records the Arabic title in the studio: a proposal
    municipality.reload()
    municipality.get_by_role("link", name="Opnamestudio").click()
    municipality.goto(f"/workspace/campaigns/{campaign_id}/studio/ar")
    assert "voorstellen" in municipality.locator("#proposal-notice").inner_text()
    item = municipality.locator("#clip-title")
    record_and_save(item, 2500)
    municipality.wait_for_url("**saved=proposed#clip-title")
    proposal = settled(lambda: db.session.scalars(select(Clip)).one())
    assert (proposal.key, proposal.language, proposal.state) == ("title", "ar", "proposed")
    assert proposal.duration_ms > 500
    assert municipality.locator(f"#proposal-{proposal.id}").is_visible()
    assert municipality.get_by_role("button", name=re.compile("^Goedkeuren")).count() == 0

    # the initiative listens and approves it
    initiative.goto(f"/workspace/campaigns/{campaign_id}/studio/ar")
    waiting = initiative.locator(f"#proposal-{proposal.id}")
    assert "Gemeente Noord" in waiting.inner_text()
    waiting.get_by_role("button", name=re.compile("^Goedkeuren")).click()
    initiative.wait_for_url("**saved=approved#clip-title")
    assert settled(lambda: db.session.get(Clip, proposal.id).state) == "live"

    # the initiative sees what its partner did, then ends the partnership
    initiative.goto(partnership_url)
    activity = initiative.locator("#partner-activity").inner_text()
    assert "stelde een opname voor" in activity and people[1] in activity
    initiative.get_by_role("button", name="Samenwerking beëindigen").click()
    initiative.wait_for_url("**saved=ended")
    assert settled(lambda: db.session.scalars(select(Partnership)).one().ended_at) is not None

    # the municipality's next click finds nothing
    reply = municipality.goto(f"/workspace/campaigns/{campaign_id}/studio/ar")
    assert reply.status == 404
    reply = municipality.goto(f"/workspace/campaigns/{campaign_id}/results")
    assert reply.status == 404
