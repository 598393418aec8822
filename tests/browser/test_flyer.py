"""A resident who scans a flyer answers on their own phone, in their own language, anonymously."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.campaigns.models import Source
from server.responses.models import Answer, Response
from server.voice.models import VoiceNote

from .flows import eventually, give_consent, record, recorded_audio, sha256, text_pattern, translator
from .server_state import fetch_all, fetch_first

pytestmark = pytest.mark.browser


def complete_notes() -> list[VoiceNote]:
    return fetch_all(select(VoiceNote).where(VoiceNote.state == "complete"))


def server_rows() -> list[tuple]:
    """Each stored response with its answers as (question, choice, number, text)."""
    return [(response, sorted((a.question_key, a.choice_key, a.number, a.text)
                              for a in fetch_all(select(Answer).where(Answer.response_id == response.id))))
            for response in fetch_all(select(Response))]


def test_turkish_visitor_answers_in_turkish_and_the_response_is_attributed_to_the_flyer(
        live_server, browser_context, flyer_code):
    page = browser_context("tr-TR").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    expect(page.get_by_role("heading", name="Mahallemiz, sizin sesiniz")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("button", name="Türkçe", exact=True)).to_have_attribute("aria-pressed", "true")
    assert "flyer" not in page.url

    # a language's catalog and clips are fetched at the first switch, while the service worker fills its cache
    # from the same test server: under CI's load that took more than expect's 5 s once
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("heading", name="Our neighbourhood, your voice")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Türkçe", exact=True).click()
    expect(page.get_by_role("heading", name="Mahallemiz, sizin sesiniz")).to_be_visible(timeout=15_000)

    t = translator("tr")
    page.get_by_role("button", name=t("Start"), exact=True).click()
    give_consent(page, t, answers=True, audio=False)

    expect(page.get_by_role("heading", name="Mahallede yaşamaktan ne kadar memnunsunuz?")).to_be_visible()
    expect(page.get_by_text(t("Question {number} of {total}", number=1, total=6))).to_be_visible()  # no voice-only
    expect(page.get_by_role("button", name=t("Say it instead"))).to_have_count(0)
    page.get_by_role("radio", name=t("Very happy"), exact=True).check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("radio", name="Oyun alan\u0131").check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("Skip"), exact=True).click()  # where do you like to go
    page.get_by_role("radio", name=t("Yes"), exact=True).check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("One more"), exact=True).click()
    page.get_by_role("button", name=t("One more"), exact=True).click()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("textbox").fill("Daha fazla ağaç")
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("Send"), exact=True).click()
    expect(page.get_by_role("heading", name=t("Thank you!"))).to_be_visible()
    expect(page.get_by_text("Mart ay\u0131nda mahallenin")).to_be_visible()
    ((response, answers),) = eventually(page, server_rows)
    expect(page.locator("#status-strip .waiting")).to_have_text(t("Everything has been sent"))
    flyer = fetch_first(select(Source).where(Source.code == flyer_code))
    assert (response.language, response.channel, response.source_id, response.device_id) == ("tr", "flyer",
                                                                                             flyer.id, None)
    assert (response.consent_answers, response.consent_audio) == (True, False)
    assert answers == sorted([("wonen", None, 5, None), ("missen", "spelen", None, None),
                              ("veilig", "yes", None, None), ("jaren", None, 1, None),
                              ("idee", None, None, "Daha fazla ağaç")])


def test_arabic_visitor_sees_right_to_left_and_can_say_an_answer(live_server, browser_context, flyer_code):
    page = browser_context("ar").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    expect(page.get_by_role("heading", name="حيّنا، صوتكم")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    t = translator("ar")
    start = page.get_by_role("button", name=t("Start"), exact=True).bounding_box()
    assert start["x"] < page.viewport_size["width"] / 2  # the main action sits on the left in Arabic

    page.get_by_role("button", name=t("Start"), exact=True).click()
    give_consent(page, t, answers=True, audio=True)
    expect(page.get_by_role("heading", name="ما مدى رضاكم عن العيش في الحي؟")).to_be_visible()
    page.get_by_role("button", name=t("Say it instead")).click()
    record(page, 2, start=t("Start recording"), stop=t("Stop recording"), done=text_pattern("ar", "Recorded: {time}"))
    audio = recorded_audio(page)
    page.get_by_role("button", name=t("Next"), exact=True).click()
    for _ in range(5):
        page.get_by_role("button", name=t("Skip"), exact=True).click()
    page.get_by_role("button", name=t("Skip"), exact=True).click()  # the voice-only question
    expect(page.get_by_role("textbox")).to_have_count(0)
    page.get_by_role("button", name=t("Send"), exact=True).click()
    code = page.locator(".code")
    expect(code).to_have_attribute("dir", "ltr")
    (note,) = eventually(page, complete_notes)
    ((response, answers),) = server_rows()
    expect(page.locator("#status-strip .waiting")).to_have_text(t("Everything has been sent"))
    assert (response.language, response.channel, response.consent_audio) == ("ar", "flyer", True)
    assert answers == []
    assert (note.question_key, note.state, note.response_id) == ("wonen", "complete", response.id)
    assert note.sha256 == sha256(audio[str(note.id)])


#: The status strip's words at the moment the page's language changes (recorded before anything else can run).
STRIP_AT_SWITCH = """() => {
  window.__strip = [];
  new MutationObserver(() => window.__strip.push([document.documentElement.lang,
    document.getElementById("status-strip").textContent]))
    .observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
}"""


def test_the_status_strip_speaks_the_new_language_as_soon_as_the_page_does(live_server, browser_context,
                                                                          flyer_code):
    """Never a moment with the Dutch strip on a Turkish page (a screen reader would read it as Turkish)."""
    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    expect(page.locator("#status-strip")).to_contain_text("Niets te versturen")
    page.evaluate(STRIP_AT_SWITCH)
    page.get_by_role("button", name="Türkçe", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    eventually(page, lambda: page.evaluate("() => window.__strip.length") >= 1)
    assert page.evaluate("() => window.__strip") == [["tr", translator("tr")("Nothing to send")]]
