"""The recording studio in Debian's Chromium: a coordinator records a text through a fake microphone fed with
real speech (espeak-ng), saves it, and hears it back; axe-core finds no serious problem on the page."""

import subprocess
import threading

import pytest
from sqlalchemy import select

from server.campaigns.models import Campaign
from server.extensions import db
from server.jobs.queue import drain, enqueue, job
from server.voicepacks.models import Clip
from server.voicepacks.operations import campaign_texts
from server.voicepacks.phrases import phrases
from tests.browser.conftest import ARGS, CHROMIUM, LiveServer, record_and_save
from tests.browser.test_workspace import serious_accessibility_problems, settled, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory):
    """Dutch speech at 48 kHz, as Chromium's fake microphone wants it."""
    folder = tmp_path_factory.mktemp("speech")
    raw, resampled = folder / "speech.wav", folder / "speech48.wav"
    subprocess.run(["espeak-ng", "-v", "nl", "-w", str(raw), "Hoe fijn woon je in de buurt?"], check=True,
                   timeout=60)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), "-ar", "48000", "-ac", "1",
                    str(resampled)], check=True, timeout=60)
    return resampled


@pytest.fixture(scope="module")
def speaking_browser(playwright_instance, speech_file):
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=[*ARGS, f"--use-file-for-fake-audio-capture={speech_file}"])
    yield browser
    browser.close()


@pytest.fixture
def page(speaking_browser, app):
    with LiveServer(app) as server:
        context = speaking_browser.new_context(locale="nl-NL", permissions=["microphone"], base_url=server.url,
                                               viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()


def texts_of_the_demo() -> tuple:
    """The demo campaign's id and how many texts a resident can hear in one language (its own and the app's)."""
    campaign = db.session.scalars(select(Campaign)).one()
    return campaign.id, len(campaign_texts(campaign.definition, "nl")) + len(phrases())


@pytest.fixture
def coordinator(make_user, team):
    return settled(lambda: make_user("coordinator", [team], email="fatima@example.org").email)


def test_a_coordinator_records_a_question_in_the_studio_and_hears_it_back(page, coordinator, demo):
    campaign_id, total = settled(lambda: texts_of_the_demo())
    sign_in(page, coordinator)
    page.goto(f"/workspace/campaigns/{campaign_id}")
    page.get_by_role("link", name="Opnamestudio").click()
    page.wait_for_url("**/studio/nl")
    assert f"0 van {total} teksten opgenomen" in page.locator("#studio-progress").inner_text()
    assert serious_accessibility_problems(page) == []

    item = page.locator("#clip-q--wonen")
    assert "Hoe fijn woon je in de buurt?" in item.inner_text()
    record_and_save(item, 2500)
    page.wait_for_url("**saved=recorded#clip-q--wonen")

    clip = settled(lambda: db.session.scalars(select(Clip)).one())
    assert (clip.key, clip.language, clip.content_type, clip.synthetic) == ("q:wonen", "nl", "audio/ogg", False)
    assert 800 < clip.duration_ms < 3000
    assert f"1 van {total} teksten opgenomen" in page.locator("#studio-progress").inner_text()

    saved = page.locator("#clip-q--wonen audio:not([data-playback])")
    assert saved.get_attribute("src") == f"/api/v1/clips/{clip.id}"
    heard = saved.evaluate("""audio => new Promise((resolve) => {
        const events = [];
        for (const name of ["playing", "ended"]) audio.addEventListener(name, () => events.push(name));
        audio.addEventListener("timeupdate", function check() {
          if (audio.currentTime < 0.3) return;
          audio.removeEventListener("timeupdate", check);
          resolve({events, time: audio.currentTime, paused: audio.paused, duration: audio.duration});
        });
        audio.play();
    })""")
    assert heard["events"][:1] == ["playing"] and heard["time"] >= 0.3 and not heard["paused"]
    assert abs(heard["duration"] * 1000 - clip.duration_ms) < 100
    assert serious_accessibility_problems(page) == []


#: The event the `browser_hold` job waits for (one test at a time uses it).
HOLD = threading.Event()


@job("browser_hold", object_type="test", key="token")
def browser_hold(token: str) -> None:
    """Keeps the server's job thread busy until the test lets go, so a saved recording is seen being prepared."""
    HOLD.wait(30)


@pytest.mark.commits
def test_a_recording_being_prepared_is_said_and_then_swapped_in_without_a_reload(page, app, coordinator, demo):
    app.config.update(JOBS_RUNNER="thread", JOBS_RETRY_INTERVALS=(0.01, 0.01))  # as the embedded default
    campaign_id, _total = settled(lambda: texts_of_the_demo())
    HOLD.clear()
    settled(lambda: enqueue("browser_hold", token="studio"))
    sign_in(page, coordinator)
    page.goto(f"/workspace/campaigns/{campaign_id}/studio/nl")
    item = page.locator("#clip-q--wonen")
    record_and_save(item, 2000)
    page.wait_for_url("**saved=processing#clip-q--wonen")
    item = page.locator("#clip-q--wonen")
    assert "De nieuwe opname wordt klaargemaakt" in item.locator("[data-processing]").inner_text()
    assert item.locator("audio:not([data-playback])").count() == 0
    assert serious_accessibility_problems(page) == []
    page.evaluate("window.stillTheSamePage = true")
    HOLD.set()
    page.locator("#clip-q--wonen audio:not([data-playback])").wait_for(state="attached", timeout=30_000)
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, not reloaded
    assert page.locator("#clip-q--wonen [data-processing]").count() == 0
    assert page.locator("#clip-q--wonen [data-recorder]").is_visible()  # the swapped-in text records again
    clip = settled(lambda: db.session.scalars(select(Clip)).one())
    assert clip.state == "live" and page.locator("#clip-q--wonen audio:not([data-playback])").get_attribute(
        "src") == f"/api/v1/clips/{clip.id}"
    assert drain(app, timeout=30)
