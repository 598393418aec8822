"""A question's recorded prompt: a play button in the chosen language, and still there offline."""

import pytest
from playwright.sync_api import expect

from server.campaigns.operations import add_prompt, publish_campaign
from server.demo import ensure_demo
from server.extensions import db
from tests.factories import wav_bytes

from .clips import remove_clips
from .flows import ANSWERS_CONSENT, AUDIO_CONSENT, NEXT, eventually

pytestmark = pytest.mark.browser

OFFLINE_PROMPT = """async (url) => {
    const response = await fetch(url);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return [response.status, hex];
}"""


def test_recorded_prompt_plays_in_its_language_and_is_cached_for_offline_use(live_app, live_server,
                                                                            browser_context, flyer_code):
    _team, campaign = ensure_demo()
    remove_clips(campaign, ["en"])  # the demo's synthetic English clips: this test wants none
    prompt = add_prompt(campaign, "wonen", "nl", wav_bytes(1.0))
    publish_campaign(campaign)
    db.session.commit()
    url, stored_sha256 = f"/api/v1/clips/{prompt.id}", prompt.sha256
    db.session.rollback()

    context = browser_context("nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
    cached = "async (url) => Boolean(await caches.match(url))"
    eventually(page, lambda: page.evaluate(cached, url))  # the media cache fills after the install
    context.set_offline(True)
    page.reload()
    page.get_by_role("button", name="Beginnen", exact=True).click()
    page.get_by_role("group", name=ANSWERS_CONSENT).get_by_role("radio", name="Ja").check()
    page.get_by_role("group", name=AUDIO_CONSENT, exact=False).get_by_role("radio", name="Nee").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    expect(page.get_by_role("heading", name="Hoe fijn woon je in de buurt?")).to_be_visible()
    listen = page.get_by_role("button", name="Voorlezen", exact=True)  # the screen's; each smiley has its own
    expect(listen).to_be_visible()
    listen.click()
    page.wait_for_function("() => document.getElementById('speaker-audio')?.ended")  # it really played
    assert page.evaluate(OFFLINE_PROMPT, url) == [200, stored_sha256]

    page.get_by_role("combobox", name="Taal").select_option("en")
    english = "How much do you like living in the neighbourhood?"
    expect(page.get_by_role("heading", name=english)).to_be_visible()
    english_voice = page.evaluate("() => speechSynthesis.getVoices().some((v) => v.lang.startsWith('en'))")
    # No English recording: the speaker shows only if the phone can speak English itself.
    speaker = page.locator("main .speaker.big")
    if english_voice:
        expect(speaker).to_be_visible()
    else:
        expect(speaker).to_be_hidden()
