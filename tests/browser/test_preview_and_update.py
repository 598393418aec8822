"""The coordinator's preview (nothing stored) and the update flow (nothing lost)."""

import json
import shutil

import pytest
from playwright.sync_api import expect

from server import paths, pwa_views
from server.extensions import db
from server.pwa_assets import precache_manifest
from server.responses.models import Response

from .flows import ANSWERS_CONSENT, AUDIO_CONSENT, NEXT, give_consent, record, text_pattern, translator
from .server_state import count

pytestmark = pytest.mark.browser

STORED_LOCALLY = """async () => {
    const db = await import('/app/js/db.js');
    return { responses: await db.count(db.RESPONSES), voice: await db.count(db.VOICE),
             audio: await db.count(db.AUDIO), draft: (await db.setting('draft')) || null };
}"""


def preview_document(app, campaign) -> dict:
    """What the workspace's preview.json sends: the campaign document, marked as a preview."""
    from server.campaigns.operations import campaign_document, published_version

    with app.test_request_context():
        return {**campaign_document(published_version(campaign)), "preview": True}


def test_preview_shows_the_campaign_in_the_chosen_language_and_stores_nothing(live_app, live_server,
                                                                              browser_context):
    from server.demo import ensure_demo

    _team, campaign = ensure_demo()
    document = json.dumps(preview_document(live_app, campaign))
    # The live server reads the demo (and its clips) on connections of its own. Every SQLite transaction takes
    # the write lock (BEGIN IMMEDIATE), also the one that read the document, so it ends here: left open, each
    # clip the app fetches would wait out the busy timeout and answer 503.
    db.session.commit()
    context = browser_context("nl-NL")
    # The workspace (another part of Wijkstem) serves this document behind the coordinator's session.
    context.route(f"**/workspace/campaigns/{campaign.id}/preview.json",
                  lambda route: route.fulfill(status=200, content_type="application/json", body=document))
    sent = []
    context.on("request", lambda request: sent.append(request.url) if "/api/v1/" in request.url else None)
    page = context.new_page()
    page.goto(f"{live_server.url}/app/#preview={campaign.id}&lang=ar")

    expect(page.get_by_role("heading", name="حيّنا، صوتكم")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#preview-band")).to_be_visible()
    expect(page.locator("#status-strip")).to_be_hidden()
    t = translator("ar")
    page.get_by_role("button", name=t("Start"), exact=True).click()
    give_consent(page, t, answers=True, audio=True)
    page.get_by_role("radio", name=t("Happy"), exact=True).check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    for _ in range(5):
        page.get_by_role("button", name=t("Skip"), exact=True).click()
    record(page, 1, start=t("Start recording"), stop=t("Stop recording"), done=text_pattern("ar", "Recorded: {time}"))
    expect(page.locator("audio")).to_be_visible()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("Send"), exact=True).click()
    expect(page.get_by_text(t("Preview: nothing was stored or sent."))).to_be_visible()

    assert page.evaluate(STORED_LOCALLY) == {"responses": 0, "voice": 0, "audio": 0, "draft": None}
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistration()) === undefined")
    assert not [url for url in sent if "/sync" in url or "/voice-notes" in url]
    assert count(Response) == 0


def test_a_new_version_is_offered_and_the_interview_in_progress_survives_the_update(
        live_server, browser_context, flyer_code, tmp_path, monkeypatch):
    served = tmp_path / "pwa"
    shutil.copytree(paths.PWA_DIR, served)
    monkeypatch.setattr(paths, "PWA_DIR", served)
    monkeypatch.setattr(pwa_views, "PWA_DIR", served)
    first_version = precache_manifest()["version"]

    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
    page.get_by_role("button", name="Beginnen", exact=True).click()
    page.get_by_role("group", name=ANSWERS_CONSENT).get_by_role("radio", name="Ja").check()
    page.get_by_role("group", name=AUDIO_CONSENT, exact=False).get_by_role("radio", name="Nee").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("radio", name="Heel tevreden", exact=True).check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("radio", name="Bankjes").check()
    expect(page.get_by_role("button", name="Nu bijwerken")).to_have_count(0)

    with (served / "css" / "app.css").open("a") as css:
        css.write("\n.update-test { color: inherit; }\n")
    new_version = precache_manifest()["version"]
    assert new_version != first_version
    page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
    update = page.get_by_role("button", name="Nu bijwerken")
    expect(update).to_be_visible(timeout=20000)
    expect(page.get_by_text("Er is een nieuwe versie van de app klaar.")).to_be_visible()
    page.evaluate("() => { window.beforeUpdate = true; }")
    update.click()

    expect(page.get_by_role("button", name="Nu bijwerken")).to_have_count(0, timeout=20000)
    expect(page.get_by_role("heading", name="Wat mis je het meest?")).to_be_visible()
    assert page.evaluate("() => window.beforeUpdate === undefined"), "the page was reloaded"
    assert ".update-test" in page.evaluate("async () => (await fetch('/app/css/app.css')).text()")
    expect(page.get_by_role("radio", name="Bankjes")).to_be_checked()
    page.get_by_role("button", name="Terug", exact=True).click()
    expect(page.get_by_role("radio", name="Heel tevreden", exact=True)).to_be_checked()
    shells = page.evaluate("async () => (await caches.keys()).filter((n) => n.startsWith('wijkstem-shell-'))")
    assert shells == [f"wijkstem-shell-{new_version}"]
