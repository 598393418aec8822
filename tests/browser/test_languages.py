"""A flyer visitor in each of the twelve languages: the language picker, consent, every question type, a
recording, the receipt, and no Dutch or English source text left on the screen of another language; Arabic
mirrors the layout.

One server for the module; a fresh browser context per language.
"""

import re
import shutil
from dataclasses import dataclass, field

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect
from sqlalchemy import select

from server import create_app
from server.extensions import db
from server.i18n import LANGUAGES, catalog_json, catalog_messages
from server.i18n_status import POT, template_msgids
from server.responses.models import AGE_BRACKETS, Answer, Response
from server.voice.models import VoiceNote
from tests.languages_campaign import KEYS, TEXTS, campaign_texts, publish_every_language_campaign

from .conftest import LiveServer
from .flows import eventually, give_consent, record, text_pattern, translator
from .server_state import fetch_all

pytestmark = pytest.mark.browser

REVIEW_NOTE = "Not checked by a native speaker yet:"
TEAM, SOURCE = "Buurtteam Twaalf Talen", "Buurthuis"


@pytest.fixture(scope="module")
def language_server(sqlite_template, tmp_path_factory):
    """The app with the published twelve-language campaign, served for the whole module."""
    folder = tmp_path_factory.mktemp("languages")
    shutil.copy(sqlite_template, folder / "wijkstem.db")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'wijkstem.db'}", "SECRET_KEY": "test",
                      "MEDIA_DIR": str(folder / "media"), "RATELIMIT_ANONYMOUS": "10000/minute"})
    with app.app_context():
        campaign, source = publish_every_language_campaign()
        ids = (campaign.id, source.code)
        db.session.remove()
        with LiveServer(app) as server:
            yield server, *ids
        db.session.remove()
        db.engine.dispose()


# --- what counts as a leak ---------------------------------------------------------------------------

class Texts:
    """Message texts as a set plus, for those with ``{placeholders}``, patterns."""

    def __init__(self, texts):
        texts = {" ".join(text.split()) for text in texts if text}
        self.plain = {text for text in texts if "{" not in text}
        self.patterns = [re.compile(".+".join(map(re.escape, re.split(r"\{\w*\}", text))))
                         for text in texts - self.plain if any(c.isalpha() for c in re.sub(r"\{\w*\}", "", text))]

    def match(self, text: str) -> bool:
        return text in self.plain or any(pattern.fullmatch(text) for pattern in self.patterns)


def texts_of(code: str) -> set[str]:
    """A catalog's translations, every form of its plural messages included."""
    plural = {form for forms in catalog_messages(code).plural.values() for form in forms}
    return set(catalog_json(code).values()) | plural


def english_plurals() -> set[str]:
    with POT.open("rb") as handle:
        return {form for message in read_po(handle) if message.id and not isinstance(message.id, str)
                for form in message.id}


@dataclass
class LeakCheck:
    """Source texts (the English msgids, the Dutch translations) that must not show in language `code`
    unless that language's own translation or the campaign's text in it is the same."""

    code: str
    found: list = field(default_factory=list)

    def __post_init__(self):
        english, dutch = set(template_msgids()) | english_plurals(), texts_of("nl")
        own = {"en": english, "nl": dutch}.get(self.code, texts_of(self.code))
        self.sources = Texts({"en": dutch, "nl": english}.get(self.code, english | dutch))
        self.own = Texts(own | campaign_texts(self.code) | {TEAM, SOURCE, "Wijkstem"}
                         | {language.native_name for language in LANGUAGES.values()})

    def screen(self, page: Page, name: str) -> None:
        expect(page.locator("body[data-ready=true]")).to_be_visible()
        for text in visible_texts(page):
            text = " ".join(text.split()).strip("*· ")
            if any(c.isalpha() for c in text) and self.sources.match(text) and not self.own.match(text):
                self.found.append((name, text))


VISIBLE_TEXTS = """() => {
  const page = document.documentElement.lang;
  const mine = (el) => (el.closest("[lang]")?.getAttribute("lang") || page) === page
    && !el.closest("[translate=no]");
  const out = document.title.split(" · ");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !mine(el)) continue;
    if (el.tagName !== "OPTION" && !el.checkVisibility()) continue;
    out.push(node.textContent);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [alt], [placeholder], optgroup[label]")) {
    if (!mine(el) || (el.tagName !== "OPTGROUP" && !el.checkVisibility())) continue;
    for (const name of ["aria-label", "title", "alt", "placeholder", "label"]) {
      if (el.getAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out;
}"""


def visible_texts(page: Page) -> list[str]:
    """Every text a resident sees or hears on the screen, except what is marked as another language."""
    return page.evaluate(VISIBLE_TEXTS)


def test_the_leak_check_notices_source_text_in_another_language():
    check = LeakCheck("tr")
    assert check.sources.match("Volgende") and check.sources.match("Question 3 of 7")
    assert not check.sources.match("Soru 3 / 7") and not check.sources.match("Mahallemiz, senin sesin")
    assert check.own.match("Türkçe") and check.own.match("Mahallemiz, senin sesin")


# --- the resident's walk through the campaign ------------------------------------------------------

def campaign_text(code: str, key: str) -> str:
    return TEXTS.get(code, TEXTS["en"])[KEYS.index(key)]


def next_screen(page: Page, t, button: str = "Next") -> None:
    page.get_by_role("button", name=t(button), exact=True).click()


def answer_every_question(page: Page, code: str, t, check: LeakCheck) -> None:
    text = lambda key: campaign_text(code, key)  # noqa: E731
    heading = lambda key: expect(page.get_by_role("heading", name=text(key), exact=True)).to_be_visible()  # noqa: E731
    heading("wonen")
    check.screen(page, "smiley")
    page.get_by_role("radio", name=t("Happy"), exact=True).check()
    next_screen(page, t)
    heading("missen")
    check.screen(page, "one choice")
    page.get_by_role("radio", name=text("spelen"), exact=True).check()
    next_screen(page, t)
    heading("plekken")
    check.screen(page, "several choices")
    page.get_by_role("checkbox", name=text("park"), exact=True).check()
    page.get_by_role("checkbox", name=text("markt"), exact=True).check()
    next_screen(page, t)
    heading("veilig")
    check.screen(page, "yes or no")
    page.get_by_role("radio", name=t("No"), exact=True).check()
    next_screen(page, t)
    heading("jaren")
    check.screen(page, "number")
    for _ in range(3):
        page.get_by_role("button", name=t("One more"), exact=True).click()
    next_screen(page, t)
    heading("idee")
    check.screen(page, "short text")
    page.get_by_role("textbox").fill("Meer bomen — more trees — daha fazla ağaç — أشجار أكثر")
    next_screen(page, t)
    heading("vertel")
    check.screen(page, "voice only")
    record(page, 1, start=t("Start recording"), stop=t("Stop recording"), done=text_pattern(code, "Recorded: {time}"))
    check.screen(page, "voice recorded")
    next_screen(page, t)


def stored_response(campaign_id, code: str):
    responses = fetch_all(select(Response).where(Response.campaign_id == campaign_id, Response.language == code))
    return responses[0] if len(responses) == 1 else None


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_a_flyer_visitor_answers_in_every_language_and_sees_only_that_language(language_server, browser, code):
    server, campaign_id, flyer_code = language_server
    context = browser.new_context(permissions=["microphone"], locale="nl-NL")
    try:
        page = context.new_page()
        t, check = translator(code), LeakCheck(code)
        page.goto(f"{server.url}/f/{flyer_code}")
        expect(page.get_by_role("heading", name=TEXTS["nl"][0])).to_be_visible()

        picker = page.get_by_role("button", name=LANGUAGES[code].native_name, exact=True)
        expect(picker).not_to_have_attribute("aria-describedby", "review-note")  # no warning on every button
        picker.click()
        expect(page.locator("html")).to_have_attribute("lang", code)
        expect(page.locator("html")).to_have_attribute("dir", LANGUAGES[code].direction)
        expect(page.get_by_role("heading", name=campaign_text(code, "title"))).to_be_visible()
        # said once, under the buttons, naming the languages nobody has reviewed yet (so far: all of them)
        expect(page.locator("#review-note")).to_have_count(1)
        expect(page.locator("#review-note")).to_contain_text(t(REVIEW_NOTE))
        expect(page.locator(f"#review-note span[lang='{code}']")).to_have_text(LANGUAGES[code].native_name)
        expect(page.locator(".review-mark, #language-picker optgroup")).to_have_count(0)
        check.screen(page, "start")
        next_screen(page, t, "Start")

        check.screen(page, "consent")
        give_consent(page, t, answers=True, audio=True)
        answer_every_question(page, code, t, check)

        expect(page.get_by_role("heading", name=t("About you (optional)"))).to_be_visible()
        check.screen(page, "about you")
        page.get_by_role("radio", name="Noord", exact=True).check()
        page.get_by_role("radio", name=t("27 to 40"), exact=True).check()  # AGE_BRACKETS[2]
        next_screen(page, t, "Send")
        expect(page.get_by_role("heading", name=t("Thank you!"))).to_be_visible()
        expect(page.locator(".code")).to_have_attribute("dir", "ltr")
        expect(page.locator("#status-strip .waiting")).to_have_text(t("Everything has been sent"), timeout=20000)
        check.screen(page, "receipt")

        response = eventually(page, lambda: stored_response(campaign_id, code))  # the language it was given in
        answers = fetch_all(select(Answer).where(Answer.response_id == response.id))
        assert sorted(answer.question_key for answer in answers) == ["idee", "jaren", "missen", "plekken", "plekken",
                                                                      "veilig", "wonen"]
        assert (response.buurt, response.age_bracket, response.consent_audio) == ("Noord", AGE_BRACKETS[2], True)
        (note,) = eventually(page, lambda: fetch_all(select(VoiceNote).where(VoiceNote.response_id == response.id,
                                                                             VoiceNote.state == "complete")))
        assert note.question_key == "vertel"
        leaks = {text: screen for screen, text in reversed(check.found)}  # where each was seen first
        assert not leaks, f"{code}: {len(leaks)} Dutch or English source texts on screen: {leaks}"
    finally:
        context.close()


# --- Arabic mirrors the layout -----------------------------------------------------------------------

def question_screen(browser, server, flyer_code: str, code: str, shot):
    """A page on the one-choice question in `code` (pictograms), and its screenshot saved to `shot`."""
    context = browser.new_context(locale="nl-NL", viewport={"width": 360, "height": 800})  # a small phone
    page = context.new_page()
    page.goto(f"{server.url}/f/{flyer_code}?lang={code}")  # a link that chooses the language
    t = translator(code)
    expect(page.locator("html")).to_have_attribute("lang", code)
    next_screen(page, t, "Start")
    give_consent(page, t, answers=True, audio=False)
    page.get_by_role("radio", name=t("Happy"), exact=True).check()
    next_screen(page, t)
    expect(page.get_by_role("heading", name=campaign_text(code, "missen"))).to_be_visible()
    page.screenshot(path=str(shot), full_page=True)
    return context, page, t


def boxes(page: Page, t, code: str) -> dict:
    label = campaign_text(code, "groen")  # the first choice: at the start of the row
    choice = page.locator("label.choice", has_text=label)
    found = {
        "app name": page.locator(".app-name"), "language picker": page.locator("#language-picker"),
        "progress": page.locator(".progress"), "heading": page.locator("#screen h1"),
        "back": page.get_by_role("button", name=t("Back"), exact=True),
        "next": page.get_by_role("button", name=re.compile(f"^({re.escape(t('Next'))}|{re.escape(t('Skip'))})$")),
        "radio": choice.locator("input"), "pictogram": choice.locator("img"), "label": choice.locator(".label"),
    }
    return {name: locator.bounding_box() for name, locator in found.items()}


def test_arabic_mirrors_the_layout(language_server, browser, tmp_path):
    """Same screen in Dutch and Arabic: what starts on the left in Dutch starts on the right in Arabic."""
    server, _campaign_id, flyer_code = language_server
    opened = [question_screen(browser, server, flyer_code, code, tmp_path / f"question-{code}.png")
              for code in ("nl", "ar")]
    try:
        (_c1, dutch_page, dutch_t), (_c2, arabic_page, arabic_t) = opened
        width = dutch_page.viewport_size["width"]
        dutch, arabic = boxes(dutch_page, dutch_t, "nl"), boxes(arabic_page, arabic_t, "ar")
        start = lambda box: box["x"]  # noqa: E731  the inline start edge's distance from its side
        end = lambda box: width - box["x"] - box["width"]  # noqa: E731
        for name in ("app name", "progress", "heading", "back", "radio"):  # at the start of the line
            assert abs(start(dutch[name]) - end(arabic[name])) <= 2, name
        for name in ("language picker", "next"):  # at the end of the line
            assert abs(end(dutch[name]) - start(arabic[name])) <= 2, name
        assert dutch["radio"]["x"] < dutch["pictogram"]["x"] < dutch["label"]["x"]  # radio, pictogram, words
        assert arabic["radio"]["x"] > arabic["pictogram"]["x"] > arabic["label"]["x"]  # the same, from the right
        assert arabic_page.locator(".progress").evaluate("el => getComputedStyle(el).direction") == "rtl"
        for page in (dutch_page, arabic_page):  # nothing sticks out sideways (in Arabic it would push the header)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        for context, _page, _t in opened:
            context.close()
