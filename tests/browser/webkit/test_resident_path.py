"""An iPhone resident's path in WebKit (Safari's engine): the flyer opens, works offline after the first visit,
records an answer as fragmented MP4 (AAC) from WebKit's mock microphone, and after sync the coordinator hears it
with its real length.

Each step is a function, so a step can be added (listen mode) without rewriting the path."""

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from server.campaigns.models import Campaign
from server.demo import DEMO_COORDINATOR, demo_coordinator_password, ensure_demo
from server.extensions import db
from server.responses.models import Response
from server.review.views import duration
from server.voice.audio import sniff_container
from server.voice.models import VoiceNote

from ..clips import served_audio, urls
from ..flows import sha256, translator
from ..server_state import fetch_all, fetch_first

pytestmark = [pytest.mark.browser, pytest.mark.webkit]
FFPROBE, FFMPEG = shutil.which("ffprobe"), shutil.which("ffmpeg")
#: How late WebKitGTK's mock microphone may start sending sound after "Start recording" on a loaded machine.
LATE_MICROPHONE_MS = 1500
TIMEOUT = 20.0
t = translator("nl")

#: The first visible element matching a CSS selector whose text (without `aria-hidden` parts, as a screen reader
#: names it) is `name`.
FIND = """
const [selector, name] = arguments;
const text = (el) => { const copy = el.cloneNode(true);
  copy.querySelectorAll('[aria-hidden="true"]').forEach((n) => n.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim(); };
return [...document.querySelectorAll(selector)].find((el) => el.getClientRects().length && text(el) === name)
  || null;
"""

#: Whether a request for `path` fails for want of a server (the service worker does not answer it).
UNREACHABLE = """
const [path, done] = arguments;
fetch(path, { cache: 'no-store' }).then(() => done(false), () => done(true));
"""

RECORDINGS = """
const done = arguments[arguments.length - 1];
(async () => {
  const { getAll, get, VOICE, AUDIO } = await import('/app/js/db.js');
  const { toBase64 } = await import('/app/js/util.js');
  const out = {};
  for (const note of await getAll(VOICE)) out[note.id] = [note.contentType, toBase64(await get(AUDIO, note.id))];
  return out;
})().then(done, (error) => done({ error: String(error) }));
"""

#: Every `playing` and `ended` of listen mode's audio element (its key, clip URL and currentTime), in
#: `window.__heard` (WebDriver has no init scripts: installed again after a reload).
HEARD = """
if (!window.__heard) {
  window.__heard = [];
  for (const type of ['playing', 'ended']) {
    document.addEventListener(type, (event) => {
      if (event.target.id === 'speaker-audio') {
        const { key, clip } = event.target.dataset;
        window.__heard.push({ type, key, clip, time: event.target.currentTime });
      }
    }, true);
  }
}
"""

#: Whether every URL is in the service worker's caches.
CACHED = """
const [urls, done] = arguments;
Promise.all(urls.map((url) => caches.match(url))).then((found) => done(found.every(Boolean)), () => done(false));
"""


def wait_for(check, timeout: float = TIMEOUT, what: str = ""):
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"waited {timeout} s for {what or check.__name__}"
        time.sleep(0.2)


def redrawn():
    """The error WebDriver raises for an element the app has just replaced (the screen was redrawn)."""
    from selenium.common.exceptions import StaleElementReferenceException  # reason: selenium is optional

    return StaleElementReferenceException


def element(driver, selector: str, name: str):
    def found():
        try:
            return driver.execute_script(FIND, selector, name)
        except redrawn():
            return None

    return wait_for(found, what=f"{selector} {name!r}")


def click(driver, name: str, selector: str = "button, a.button") -> None:
    """Click what is named `name` once it is there (again if the screen was redrawn in between)."""

    def clicked():
        try:
            element(driver, selector, name).click()
        except redrawn():
            return False
        return True

    wait_for(clicked, what=f"a click on {name!r}")


def question(driver) -> str:
    return driver.execute_script("const h = document.querySelector('#screen h1, #screen h2');"
                                 "return h ? h.textContent : ''")


def next_screen(driver, name: str) -> None:
    """Click `name` and wait until another question (or screen) is shown."""
    before = question(driver)
    click(driver, name)
    wait_for(lambda: question(driver) != before, what=f"the screen after {before!r}")


def heading(driver, name: str) -> None:
    element(driver, "h1, h2", name)


# --- the resident's steps --------------------------------------------------------------------------------
def open_flyer(driver, server, code: str) -> None:
    """Scan the flyer: the app opens on the campaign; wait until its service worker controls the page."""
    driver.get(f"{server.url}/f/{code}")
    click(driver, "Nederlands")
    heading(driver, "Onze buurt, jouw stem")
    wait_for(lambda: driver.execute_script("return navigator.serviceWorker.controller !== null"),
             what="the service worker")


def reload_offline(driver, server) -> None:
    """The connection drops; a reload is served by the service worker (the server answers nothing)."""
    server.stop()
    driver.refresh()
    heading(driver, "Onze buurt, jouw stem")
    assert driver.execute_script("return navigator.serviceWorker.controller !== null")
    assert driver.execute_async_script(UNREACHABLE, "/workspace/sign-in") is True  # a path the worker leaves alone


def listen(driver, clips: list[str]) -> dict:
    """Tap the big "Read aloud" button: listen mode is on and the screen's first clip, the title, plays from the
    team's clip to its end (a WebDriver click is a gesture, so WebKit lets it play). What was heard of it."""
    driver.execute_script(HEARD)
    click(driver, t("Read aloud"))

    def ended():
        heard = driver.execute_script("return window.__heard")
        return next((entry for entry in heard if entry["type"] == "ended" and entry["key"] == "title"), None)

    try:
        title = wait_for(ended, what="the title's clip to play to its end")
    except AssertionError:
        state = driver.execute_script(
            "const a = document.getElementById('speaker-audio');"
            "return {heard: window.__heard, canPlay: new Audio().canPlayType('audio/ogg; codecs=opus'),"
            " error: a && a.error && a.error.code, src: a && a.src}")
        raise AssertionError(f"no clip played in WebKit: {state}") from None
    assert driver.execute_script("return document.documentElement.classList.contains('listening')")
    assert title["clip"] in clips and title["clip"].startswith("/api/v1/clips/"), title
    assert title["time"] > 0, title
    assert any(entry["type"] == "playing" and entry["key"] == "title"
               for entry in driver.execute_script("return window.__heard"))
    return title


def keep_the_clips(driver, clips: list[str]) -> None:
    """Wait until the service worker has kept the language's clips (a flyer visitor keeps their language's)."""
    wait_for(lambda: driver.execute_async_script(CACHED, clips), timeout=90, what="the clips in the cache")


def consent_to_answers_and_voice(driver) -> None:
    """Yes to storing the answers and to recording the voice (found by the radios' names, whatever the wording)."""
    click(driver, t("Start"))
    for question in ("consent-answers", "consent-audio"):
        wait_for(lambda question=question: driver.execute_script(
            "return document.querySelector(`input[name='${arguments[0]}'][value=yes]`)?.closest('label')",
            question), what=f"the {question} question").click()
    click(driver, t("Next"))


def say_the_first_answer(driver, seconds: float) -> float:
    """Answer the first question by voice; the wall-clock seconds between start and stop."""
    heading(driver, "Hoe fijn woon je in de buurt?")
    click(driver, t("Say it instead"))
    click(driver, t("Start recording"))
    started = time.monotonic()
    time.sleep(seconds)
    click(driver, t("Stop recording"))
    stopped = time.monotonic()
    wait_for(lambda: driver.execute_script(
        "return [...document.querySelectorAll('[role=status]')].some((e) => e.textContent.includes(arguments[0]))",
        t("Recorded: {time}").split("{")[0].strip()), what="the recording to be kept")
    return stopped - started


def recordings(driver) -> dict[str, tuple[str, bytes]]:
    """Every recording in the phone's IndexedDB by note id: (content type, bytes)."""
    found = driver.execute_async_script(RECORDINGS)
    assert "error" not in found, found
    return {key: (kind, base64.b64decode(data)) for key, (kind, data) in found.items()}


def skip_to_the_end_and_send(driver) -> None:
    next_screen(driver, t("Next"))
    for _ in range(6):  # the other questions, the voice-only one included
        next_screen(driver, t("Skip"))
    click(driver, t("Send"))
    heading(driver, t("Thank you!"))


def come_back_online(server) -> None:
    """The connection returns; the app's own retries send what waits (no "online" event: the phone's network
    never went down, the server was out of reach)."""
    server.start()


# --- the coordinator's steps -----------------------------------------------------------------------------
def sign_in_as_coordinator(driver, server, password: str) -> None:
    driver.get(f"{server.url}/workspace/sign-in")
    driver.find_element("css selector", "input[name=email]").send_keys(DEMO_COORDINATOR)
    driver.find_element("css selector", "input[name=password]").send_keys(password)
    driver.find_element("css selector", "button[type=submit]:not(.secondary)").click()
    wait_for(lambda: driver.current_url.endswith("/workspace/"), what="the workspace")


def hear_the_voice_note(driver, server, campaign_id, response_id, shown: str) -> dict:
    """Open the response, see the length `shown`, and play the recording: what the player says."""
    driver.get(f"{server.url}/workspace/campaigns/{campaign_id}/responses/{response_id}")
    element(driver, ".voice-note .duration", t("duration {duration}").format(duration=shown))
    wait_for(lambda: driver.execute_script("return document.querySelector('.voice-note audio').readyState >= 1"),
             what="the player's metadata")
    press_play(driver, driver.find_element("css selector", ".voice-note audio"))
    wait_for(lambda: driver.execute_script("return document.querySelector('.voice-note audio').currentTime > 0.3"),
             what="the voice note to play")
    return driver.execute_script("const a = document.querySelector('.voice-note audio');"
                                 "return {duration: a.duration, paused: a.paused, error: a.error && a.error.code}")


def press_play(driver, audio) -> None:
    """Tap the player's play button (second from the left, after "back 15 s"): WebKit plays media only after a
    gesture, and WebDriver's clicks are gestures where a script's `play()` is not."""
    from selenium.webdriver.common.action_chains import ActionChains  # reason: selenium is optional

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", audio)
    ActionChains(driver).move_to_element_with_offset(audio, -audio.size["width"] // 2 + 56, 0).click().perform()


# --- checks with ffprobe ---------------------------------------------------------------------------------
def probed_seconds(path: Path) -> float:
    """The length ffprobe reads after decoding every packet (not a header's claim)."""
    out = subprocess.run([FFPROBE, "-v", "error", "-count_packets", "-show_entries", "format=duration",
                          "-of", "json", str(path)], check=True, capture_output=True, text=True).stdout
    return float(json.loads(out)["format"]["duration"])


def decodes_cleanly(path: Path) -> bool:
    run = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True)
    return run.returncode == 0 and run.stderr.strip() == ""


@pytest.mark.skipif(FFPROBE is None or FFMPEG is None, reason="ffmpeg is not installed")
def test_iphone_resident_answers_offline_and_the_coordinator_hears_the_real_length(
        live_app, switchable_server, webkit, flyer_code):
    server, driver = switchable_server, webkit
    user_agent = driver.execute_script("return navigator.userAgent")
    assert "AppleWebKit/605.1.15" in user_agent and "Chrome" not in user_agent
    assert driver.execute_script("return [MediaRecorder.isTypeSupported('audio/mp4'),"
                                 " MediaRecorder.isTypeSupported('audio/webm;codecs=opus')]") == [True, False]

    clips = urls(served_audio(server.url, flyer_code)["nl"])
    open_flyer(driver, server, flyer_code)
    listen(driver, clips)
    keep_the_clips(driver, clips)
    reload_offline(driver, server)
    listen(driver, clips)  # offline: the clip comes from the service worker's cache
    consent_to_answers_and_voice(driver)
    spoken = say_the_first_answer(driver, 4)
    ((note_id, (content_type, audio)),) = recordings(driver).items()
    skip_to_the_end_and_send(driver)
    assert content_type.startswith("audio/mp4") and sniff_container(audio[:4096]) == "mp4"
    assert b"moof" in audio  # fragmented, as Safari writes it

    come_back_online(server)
    note = wait_for(lambda: fetch_first(select(VoiceNote).where(VoiceNote.state == "complete")), timeout=90,
                    what="the voice note to arrive")
    (response,) = fetch_all(select(Response))
    assert (str(note.id), note.response_id, note.container, note.sha256) == (note_id, response.id, "mp4",
                                                                             sha256(audio))
    # The length read from the file's fragments (WebKit's header says zero): never longer than the wall-clock
    # time between the taps, and short of it by at most the mock microphone's late start, which reached a
    # second under CI's load; reading only the first of the one-second fragments would fall far below.
    assert spoken * 1000 - LATE_MICROPHONE_MS <= note.duration_ms <= spoken * 1000 + 600, (note.duration_ms, spoken)

    campaign_id = fetch_first(select(Campaign.id))
    team, _campaign = ensure_demo()
    password = demo_coordinator_password(team)
    db.session.commit()
    sign_in_as_coordinator(driver, server, password)
    heard = hear_the_voice_note(driver, server, campaign_id, response.id, shown=duration(note.duration_ms))
    assert heard["error"] is None and abs(heard["duration"] * 1000 - note.duration_ms) < 300, heard

    played = fetch_first(select(VoiceNote).where(VoiceNote.id == note.id))
    copy = Path(live_app.config["MEDIA_DIR"]) / played.playback_name
    assert decodes_cleanly(copy)  # no garbage frames from WebKit's repeated last fragment
    assert abs(probed_seconds(copy) * 1000 - note.duration_ms) < 100
    assert played.duration_ms == note.duration_ms  # the length read on arrival stays
