"""Steps a field worker or resident takes in the app, written once for every browser test."""

import base64
import hashlib
import re
import time

from playwright.sync_api import Page, expect

from server.i18n import catalog_json

# The Dutch interface (the phone's locale is nl-NL in these tests).
NEXT, SKIP, YES = "Volgende", "Overslaan", "Ja"
ANSWERS_CONSENT, AUDIO_CONSENT = "Mogen we je antwoorden bewaren?", "Mogen we je stem opnemen"


def translator(code: str):
    """``t(msgid, **params)``: the app's text in language `code`, from the same catalog the app loads (the
    English msgid where the language has no translation yet), so a test reads the screen as a resident does."""
    messages = {} if code == "en" else catalog_json(code)

    def t(msgid: str, **params) -> str:
        text = messages.get(msgid) or msgid
        return text.format(**params) if params else text

    return t


def text_pattern(code: str, msgid: str) -> re.Pattern:
    """The text of `msgid` in `code` with every ``{placeholder}`` matching anything."""
    parts = re.split(r"\{\w*\}", translator(code)(msgid))
    return re.compile(".+".join(re.escape(part) for part in parts))


def give_consent(page: Page, t, answers: bool = True, audio: bool = True) -> None:
    """The consent screen in any language (`t` from `translator`): both questions, then "Next"."""
    for question, given in (("May we store your answers?", answers),
                            ("May we record your voice?", audio)):
        page.get_by_role("group", name=t(question), exact=True).get_by_role("radio", name=t("Yes" if given else "No"),
                                                                              exact=True).check()
    page.get_by_role("button", name=t("Next"), exact=True).click()


def wait_until_offline_ready(page: Page) -> None:
    """The service worker controls the page, so a reload works without network."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)


def enrol(page: Page, base_url: str, code: str) -> None:
    page.goto(f"{base_url}/app/#enrol={code}")
    expect(page.get_by_role("heading", name="Campagnes")).to_be_visible(timeout=15000)
    expect(page.get_by_role("button", name="Nieuwe bewoner", exact=True)).to_be_visible()
    assert "enrol" not in page.url  # the one-time code leaves the address bar


def consent(page: Page, answers: str = YES, audio: str = YES) -> None:
    page.get_by_role("group", name=ANSWERS_CONSENT).get_by_role("radio", name=answers).check()
    page.get_by_role("group", name=AUDIO_CONSENT, exact=False).get_by_role("radio", name=audio).check()
    page.get_by_role("button", name=NEXT, exact=True).click()


def record(page: Page, seconds: float, start="Begin met opnemen", stop="Stop met opnemen",
           done="Opgenomen") -> None:
    page.get_by_role("button", name=start, exact=True).click()
    page.wait_for_timeout(int(seconds * 1000))
    page.get_by_role("button", name=stop, exact=True).click()
    expect(page.locator("#screen").get_by_text(done)).to_be_visible(timeout=10000)


def answer_demo_in_dutch(page: Page, *, idea: str, voice_seconds: float = 0) -> str:
    """Answer every question of the demo campaign; returns the receipt code shown at the end."""
    page.get_by_role("button", name="Beginnen", exact=True).click()
    consent(page)
    page.get_by_role("radio", name="Tevreden", exact=True).check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("radio", name="Groen en bomen").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("checkbox", name="Park").check()
    page.get_by_role("checkbox", name="Markt").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("radio", name="Nee").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("spinbutton").fill("12")
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("textbox").fill(idea)
    page.get_by_role("button", name=NEXT, exact=True).click()
    expect(page.get_by_role("heading", name="Wil je nog iets zeggen?", exact=False)).to_be_visible()
    if voice_seconds:
        record(page, voice_seconds)
        page.get_by_role("button", name=NEXT, exact=True).click()
    else:
        page.get_by_role("button", name=SKIP, exact=True).click()
    page.get_by_role("radio", name="Noord").check()
    page.get_by_role("radio", name="27 tot en met 40").check()  # the bracket 27-40, as the app says it
    page.get_by_role("button", name="Versturen", exact=True).click()
    expect(page.get_by_role("heading", name="Dank je wel!")).to_be_visible()
    return page.locator(".code").inner_text()


def waiting_text(page: Page) -> str:
    return page.locator("#status-strip .waiting").inner_text()


def recorded_audio(page: Page) -> dict[str, bytes]:
    """Every recording in the phone's IndexedDB, by note id (read before they are sent)."""
    encoded = page.evaluate("""async () => {
        const { getAll, get, VOICE, AUDIO } = await import('/app/js/db.js');
        const { toBase64 } = await import('/app/js/util.js');
        const out = {};
        for (const note of await getAll(VOICE)) out[note.id] = toBase64(await get(AUDIO, note.id));
        return out;
    }""")
    return {note_id: base64.b64decode(data) for note_id, data in encoded.items()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def eventually(page: Page, check, timeout: float = 20.0):
    """Poll `check()` until it returns something truthy (the server's side of an asynchronous sync).

    Waits with `page.wait_for_timeout`, so Playwright keeps dispatching events and routes meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, f"{check.__name__} stayed false for {timeout} s"
            return result
        page.wait_for_timeout(200)
