"""Listen mode (issue 10): a resident who reads little hears every screen, from the team's clips, offline.

The clips are real speech (espeak-ng) served by the real server and cached by the app's service worker; the
audio element really plays them (its `playing` and `ended` events, `currentTime` > 0)."""

import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect

from server.demo import ensure_demo

from .clips import (
    HEARD_LOG,
    clear_heard,
    ended_keys,
    heard,
    remove_clips,
    screen_parts,
    served_audio,
    synthesised,
    urls,
)
from .flows import enrol, eventually, give_consent, translator, wait_until_offline_ready
from .test_field_app import enrolment_code

pytestmark = pytest.mark.browser

CACHED = "async (urls) => (await Promise.all(urls.map((url) => caches.match(url)))).map(Boolean)"
#: Words a resident sees in the screen (not the header): text that is laid out larger than a pixel.
VISIBLE_WORDS = """() => {
  const main = document.querySelector('main');
  const shown = (element) => {
    for (let node = element; node && node !== main; node = node.parentElement) {
      const box = node.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1 || getComputedStyle(node).visibility !== 'visible') return false;
    }
    return true;
  };
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const words = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!shown(node.parentElement)) continue;
    words.push(...node.textContent.split(/\\s+/).filter((word) => /[\\p{L}\\p{N}]/u.test(word)));
  }
  return words;
}"""


#: The phone's voices (VOICES), and what the page asks them to say, kept in `window.__said`.
SAID = """
speechSynthesis.getVoices = () => VOICES;
window.__said = [];
speechSynthesis.speak = (utterance) => {
  window.__said.push([utterance.lang, utterance.text]);
  setTimeout(() => utterance.onend && utterance.onend(), 50);
};
"""


def hears(page: Page, key: str) -> None:
    """The clip of `key` played to its end on this phone, from its clip URL (not the phone's speech synthesis)."""
    try:
        eventually(page, lambda: key in ended_keys(page))
    except AssertionError:
        raise AssertionError(f"{key} was not heard; heard: {heard(page)}") from None


def every_part_has_a_clip(page: Page, clips: set[str]) -> list[str]:
    """The keys the screen's big speaker says, each of which has a clip among `clips` (its language's)."""
    parts = screen_parts(page)
    assert parts, "no speaker on this screen"
    assert [key for key, clip, _text in parts if clip not in clips] == []
    return [key for key, _clip, _text in parts]


def primary(page: Page):
    return page.locator("main button.primary").last


@pytest.mark.parametrize("lang, locale", [("nl", "nl-NL"), ("ar", "ar")])
def test_a_flyer_visitor_offline_in_listen_mode_hears_every_screen_from_the_teams_clips(
        live_server, browser_context, flyer_code, lang, locale):
    """Issue 10 §6: every resident-facing screen of the demo in listen mode has audio in Dutch and in Arabic,
    played by the audio element from the demo's clips, offline after the first visit."""
    audio = served_audio(live_server.url, flyer_code)
    clips = set(urls(audio[lang]))
    t = translator(lang)
    context = browser_context(locale)
    context.add_init_script(HEARD_LOG)
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    wait_until_offline_ready(page)
    wanted = sorted(clips | set(urls(audio["nl"])))  # nl is the campaign's default language: kept for everyone
    eventually(page, lambda: all(page.evaluate(CACHED, wanted)), timeout=90)
    assert not any(page.evaluate(CACHED, urls(audio["tr"])))  # a flyer visitor keeps only their language's
    if lang == "nl":
        assert not any(page.evaluate(CACHED, urls(audio["ar"])))

    context.set_offline(True)
    page.reload()
    listen = page.get_by_role("button", name=t("Read aloud"))
    expect(listen).to_be_visible()
    assert every_part_has_a_clip(page, clips) == ["title", "intro", "choose_language", "start"]
    listen.click()  # listen mode on: the welcome is said at once
    hears(page, "title")
    hears(page, "intro")
    expect(page.locator(".lead")).not_to_be_in_viewport()  # heard, not shown (screen readers still have it)

    page.get_by_role("button", name=t("Start"), exact=True).click()
    hears(page, "before_we_start")  # each screen says itself once
    assert every_part_has_a_clip(page, clips)[:3] == ["before_we_start", "consent_answers",
                                                      "consent_answers_explained"]
    stop = page.locator("main .speaker.big")
    expect(stop).to_have_class("speaker big playing")
    stop.click()  # the resident can always stop it
    expect(stop).to_have_class("speaker big")
    assert page.evaluate("() => document.getElementById('speaker-audio').paused")
    give_consent(page, t, answers=True, audio=True)

    hears(page, "q:wonen")
    assert "very_happy" in every_part_has_a_clip(page, clips)
    clear_heard(page)
    # A choice's own speaker: its clip starts within the tap itself (Safari lets an audio element play only then).
    assert page.evaluate("""() => {
        document.querySelectorAll('.choice-item')[3].querySelector('button').click();
        return !document.getElementById('speaker-audio').paused;
    }""")
    hears(page, "happy")
    page.get_by_role("radio", name=t("Happy"), exact=True).check()
    primary(page).click()
    for question in ("missen", "plekken", "veilig", "jaren", "idee"):
        hears(page, f"q:{question}")
        keys = every_part_has_a_clip(page, clips)
        assert keys[0] == f"q:{question}" and keys[-1] == "skip"
        primary(page).click()

    hears(page, "q:vertel")  # voice only: the recorder's steps
    assert every_part_has_a_clip(page, clips)[1] == "record_how"
    page.get_by_role("button", name=t("Start recording"), exact=True).click()
    clear_heard(page)
    page.wait_for_timeout(1500)
    assert heard(page) == []  # nothing is said while the microphone records
    page.get_by_role("button", name=t("Stop recording"), exact=True).click()
    hears(page, "listen_recording")
    assert every_part_has_a_clip(page, clips)
    primary(page).click()

    hears(page, "about_you")
    assert every_part_has_a_clip(page, clips) == [
        "about_you", "about_you_explained", "which_buurt", "buurt:Noord", "buurt:Zuid", "buurt:Centrum",
        "how_old", "age_0_17", "age_18_26", "age_27_40", "age_41_65", "age_66_79", "age_80", "send"]
    primary(page).click()
    hears(page, "thank_you")
    assert every_part_has_a_clip(page, clips) == ["thank_you", "thanks", "receipt_code", "receipt_explained",
                                                  "erase_where", "keep_code"]
    assert not [entry for entry in heard(page) if entry["type"] == "ended" and entry["time"] <= 0]
    assert synthesised(page) == []  # every word came from a clip


def test_an_enrolled_phone_keeps_the_clips_of_every_language(live_app, live_server, browser_context, flyer_code):
    code = enrolment_code(live_app)
    audio = served_audio(live_server.url, flyer_code)
    context = browser_context("nl-NL")
    page = context.new_page()
    enrol(page, live_server.url, code)
    wait_until_offline_ready(page)
    every = [url for lang in ("nl", "en", "tr", "ar") for url in urls(audio[lang])]
    assert len(every) > 4 * 50
    eventually(page, lambda: all(page.evaluate(CACHED, every)), timeout=90)  # a field worker meets any language


def test_a_flyer_visitor_who_changes_language_keeps_that_languages_clips(live_server, browser_context,
                                                                        flyer_code):
    audio = served_audio(live_server.url, flyer_code)
    context = browser_context("nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    wait_until_offline_ready(page)
    eventually(page, lambda: all(page.evaluate(CACHED, urls(audio["nl"]))), timeout=60)
    page.wait_for_timeout(500)
    assert not any(page.evaluate(CACHED, urls(audio["ar"]) + urls(audio["tr"])))
    page.get_by_role("button", name="العربية").click()
    eventually(page, lambda: all(page.evaluate(CACHED, urls(audio["ar"]))), timeout=60)
    assert not any(page.evaluate(CACHED, urls(audio["tr"])))


def test_offline_a_language_whose_clips_were_not_kept_shows_no_silent_speaker(live_server, browser_context,
                                                                               flyer_code):
    """A flyer visitor kept only Dutch clips; offline, they choose Turkish: a speaker that cannot sound is hidden
    (Debian's Chromium has no voices), and shows again for Dutch, whose clips are on the phone."""
    audio = served_audio(live_server.url, flyer_code)
    context = browser_context("nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    wait_until_offline_ready(page)
    eventually(page, lambda: all(page.evaluate(CACHED, urls(audio["nl"]))), timeout=60)
    context.set_offline(True)
    page.reload()
    speaker = page.locator("main .speaker.big")
    expect(speaker).to_be_visible()
    page.get_by_role("button", name="Türkçe").click()
    expect(page.get_by_role("button", name=translator("tr")("Start"), exact=True)).to_be_visible()
    expect(speaker).to_be_hidden()
    page.get_by_role("button", name="Nederlands").click()
    expect(speaker).to_be_visible()


def test_without_clips_only_a_voice_of_exactly_that_language_speaks(live_server, browser_context, flyer_code):
    """The phone's own voices stand in for clips, never in another language (Debian's Chromium has no voices:
    the page is given a list like a phone's, with English and Arabic only, and what it is asked to say is kept).
    The team has no Turkish or Arabic clips here (the demo's are deleted)."""
    _team, campaign = ensure_demo(audio=False)
    assert remove_clips(campaign, ["tr", "ar"]) > 0
    context = browser_context("tr-TR")
    voices = "[{ lang: 'en-GB', name: 'English' }, { lang: 'ar_SA', name: 'Arabic' }]"
    context.add_init_script(SAID.replace("VOICES", voices))
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    turkish = translator("tr")
    expect(page.get_by_role("button", name=turkish("Start"), exact=True)).to_be_visible()
    expect(page.locator("main .speaker")).to_have_count(1)
    expect(page.locator("main .speaker")).to_be_hidden()  # no clip, no Turkish voice: no speaker at all

    page.get_by_role("button", name="العربية").click()
    arabic = translator("ar")
    listen = page.get_by_role("button", name=arabic("Read aloud"))
    expect(listen).to_be_visible()
    listen.click()
    eventually(page, lambda: len(page.evaluate("() => window.__said")) >= 4)
    said = page.evaluate("() => window.__said")
    assert {lang for lang, _text in said} == {"ar_SA"}
    assert said[0][1] == "حيّنا، صوتكم" and said[-1][1] == arabic("Start")


def test_a_voice_the_phone_lists_a_moment_later_shows_the_speaker(live_server, browser_context, flyer_code):
    """Browsers list their voices after the page opened (`voiceschanged`): a screen already shown gets its speaker
    then. The team has no Turkish clips here (the demo's are deleted)."""
    _team, campaign = ensure_demo(audio=False)
    remove_clips(campaign, ["tr"])
    context = browser_context("tr-TR")
    context.add_init_script("speechSynthesis.getVoices = () => window.__voices || [];")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    expect(page.get_by_role("button", name=translator("tr")("Start"), exact=True)).to_be_visible()
    speaker = page.locator("main .speaker")
    expect(speaker).to_be_hidden()
    page.evaluate("""() => {
        window.__voices = [{ lang: 'tr-TR', name: 'Türkçe' }];
        speechSynthesis.dispatchEvent(new Event('voiceschanged'));
    }""")
    expect(speaker).to_be_visible()


@pytest.mark.parametrize("lang, locale", [("nl", "nl-NL"), ("ar", "ar")])
def test_in_listen_mode_an_error_and_a_refused_consent_are_said(live_server, browser_context, flyer_code, lang,
                                                                 locale):
    """From the team's clips (the demo's voice pack), like every other text in listen mode."""
    context = browser_context(locale)
    context.add_init_script(HEARD_LOG)
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    t = translator(lang)
    page.get_by_role("button", name=t("Read aloud")).click()
    page.get_by_role("button", name=t("Start"), exact=True).click()
    hears(page, "before_we_start")
    clear_heard(page)
    page.get_by_role("button", name=t("Next"), exact=True).click()
    expect(page.get_by_text(t("Please answer both questions."))).to_be_visible()
    hears(page, "answer_both")
    give_consent(page, t, answers=False, audio=False)
    expect(page.get_by_text(t("No problem. Nothing has been stored."))).to_be_visible()
    hears(page, "nothing_stored")
    assert ended_keys(page)[-2:] == ["thank_you", "nothing_stored"]
    assert synthesised(page) == []


def test_words_before_the_first_question_with_and_without_listen_mode(live_server, browser_context, flyer_code):
    counts = {}
    for listening in (False, True):
        context = browser_context("nl-NL")
        context.add_init_script("speechSynthesis.getVoices = () => [{ lang: 'nl-NL', name: 'Nederlands' }];"
                                "speechSynthesis.speak = () => {};")
        page = context.new_page()
        page.goto(f"{live_server.url}/f/{flyer_code}")
        expect(page.get_by_role("button", name="Beginnen", exact=True)).to_be_visible()
        if listening:
            page.get_by_role("button", name="Voorlezen").click()
        intro = page.evaluate(VISIBLE_WORDS)
        page.get_by_role("button", name="Beginnen", exact=True).click()
        expect(page.get_by_role("heading", name="Voordat we beginnen")).to_be_visible()
        consent = page.evaluate(VISIBLE_WORDS)
        counts[listening] = len(intro) + len(consent)
        print(f"listen mode {listening}: {len(intro)} + {len(consent)} words: {intro + consent}")
        context.close()
    # docs/field-app.md reports these (Dutch, the demo: 87 and 32; before listen mode about 90).
    assert counts[False] <= 90
    assert counts[True] <= 35
    assert counts[True] < counts[False] / 2


def test_new_screens_pass_axe_and_speaker_buttons_are_big_enough(live_server, browser_context, flyer_code):
    context = browser_context("nl-NL")
    context.add_init_script("speechSynthesis.getVoices = () => [{ lang: 'nl-NL', name: 'Nederlands' }];"
                            "speechSynthesis.speak = (u) => setTimeout(() => u.onend && u.onend(), 20);")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    problems, sizes = {}, []

    def check(name: str) -> None:
        page.wait_for_timeout(150)
        results = Axe().run(page)
        found = [f"{v['id']}: {v['nodes'][0]['html'][:100]}" for v in results.response["violations"]
                 if v["impact"] in ("serious", "critical")]
        if found:
            problems[name] = found
        for box in page.locator("main .speaker:visible").evaluate_all(
                "(buttons) => buttons.map((b) => [b.getBoundingClientRect().width, b.getBoundingClientRect().height])"):
            sizes.append((name, *box))

    page.get_by_role("button", name="Voorlezen").click()
    check("intro in listen mode")
    page.get_by_role("button", name="Beginnen", exact=True).click()
    check("consent in listen mode")
    give_consent(page, translator("nl"))
    check("smileys with their speakers")
    page.get_by_role("radio", name="Tevreden", exact=True).check()
    primary(page).click()
    check("pictogram choices with their speakers")
    for _question in range(5):
        primary(page).click()
    check("the recorder")
    primary(page).click()
    primary(page).click()
    expect(page.get_by_role("heading", name="Dank je wel!")).to_be_visible()
    check("receipt")
    page.get_by_role("button", name="Groot tonen").click()
    expect(page.locator("dialog .code-large")).to_have_text(page.locator("main .code").inner_text())
    check("code shown big")
    assert problems == {}
    assert {size[0] for size in sizes} == {
        "intro in listen mode", "consent in listen mode", "smileys with their speakers",
        "pictogram choices with their speakers", "the recorder", "receipt", "code shown big"}
    assert [size for size in sizes if size[1] < 48 or size[2] < 48] == []


def test_the_receipt_says_where_to_use_the_code_and_keeps_it_as_a_picture(live_server, browser_context,
                                                                         flyer_code):
    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    page.get_by_role("button", name="Beginnen", exact=True).click()
    give_consent(page, translator("nl"), answers=True, audio=False)
    page.get_by_role("radio", name="Tevreden", exact=True).check()
    for _screen in range(7):
        primary(page).click()
    expect(page.get_by_role("heading", name="Dank je wel!")).to_be_visible()
    code = page.locator("main .code").inner_text()
    expect(page.get_by_text("Met deze code kun je je antwoorden later laten wissen.")).to_be_visible()
    expect(page.get_by_text("Dat kan op deze website, of in het buurthuis.")).to_be_visible()
    link = page.get_by_role("link", name=f"{live_server.url.split('://')[1]}/erase")
    expect(link).to_have_attribute("href", "/erase")

    with page.expect_download() as download:
        page.get_by_role("button", name="Bewaar als foto").click()
    assert download.value.suggested_filename == f"wijkstem-{code}.png"
    picture = Image.open(io.BytesIO(Path(download.value.path()).read_bytes())).convert("L")
    assert picture.size == (900, 520)
    dark = sum(picture.histogram()[:100])
    assert 2000 < dark < 900 * 520 // 4  # text drawn on a white picture

    page.get_by_role("button", name="Groot tonen").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
