"""Grammar that fits each language, in the field app: plural forms by the language's own rule, dates and numbers
in the language's formats (Dutch where the browser lacks the language), the worker's language after an interview."""

import gettext

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import expect

from server.i18n import LANGUAGES
from server.paths import TRANSLATIONS_DIR

pytestmark = pytest.mark.browser

READY = "body[data-ready=true]"


def open_app(page, url):
    page.goto(f"{url}/app/")
    page.wait_for_selector(READY)


def plural_rule(code):
    po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.c2py("n != 1")
    with po_path.open("rb") as handle:
        return gettext.c2py(read_po(handle).plural_expr)


EVALUATE_RULES = """async (codes) => {
  const i18n = await import("/app/js/i18n.js");
  const out = {};
  for (const code of codes) {
    const catalog = await (await fetch(`/app/i18n/${code}.json`)).json();
    const rule = i18n.compilePlural(catalog[""].plural);
    out[code] = rule ? Array.from({ length: 1000 }, (_, n) => rule(n)) : null;
  }
  return out;
}"""


def test_the_app_evaluates_each_languages_plural_rule_as_gettext_does(live_server, context):
    """The app reads the catalog's rule (no eval: the CSP forbids it) and picks the same form as the server."""
    page = context.new_page()
    open_app(page, live_server.url)
    found = page.evaluate(EVALUATE_RULES, list(LANGUAGES))
    for code in LANGUAGES:
        rule = plural_rule(code)
        assert found[code] == [rule(n) for n in range(1000)], code


@pytest.mark.parametrize(("code", "expected"), [
    ("nl", ["0 opnames", "1 opname", "2 opnames", "5 opnames", "22 opnames"]),
    ("pl", ["0 nagrań", "1 nagranie", "2 nagrania", "5 nagrań", "22 nagrania"]),
    ("uk", ["0 записів", "1 запис", "2 записи", "5 записів", "22 записи"]),
    ("ar", ["0 تسجيل", "تسجيل واحد", "تسجيلان", "5 تسجيلات", "22 تسجيلًا"]),
    ("srn", ["0 opname", "1 opname", "2 opname", "5 opname", "22 opname"]),
    ("en", ["0 recordings", "1 recording", "2 recordings", "5 recordings", "22 recordings"]),
])
def test_the_app_counts_in_each_languages_plural_forms(live_server, context, code, expected):
    page = context.new_page()
    open_app(page, live_server.url)
    found = page.evaluate("""async (code) => {
      const i18n = await import("/app/js/i18n.js");
      await i18n.setLanguage(code);
      return [0, 1, 2, 5, 22].map((n) => i18n.ngettext("{count} recording", "{count} recordings", n));
    }""", code)
    assert found == expected
    assert page.evaluate("""async () => {
      const i18n = await import("/app/js/i18n.js");
      return [i18n.compilePlural("n == 1 ? 0 : eval(1)"), i18n.compilePlural("n ? 1"), i18n.compilePlural("(n")];
    }""") == [None, None, None]


FORMATS = """async (codes) => {
  const i18n = await import("/app/js/i18n.js");
  await i18n.loadLanguages();
  const out = {};
  for (const code of codes) {
    await i18n.setLanguage(code);
    out[code] = [i18n.formatDateTime(new Date(2026, 2, 5, 15, 7), { dateStyle: "short", timeStyle: "short" }),
      i18n.formatNumber(1234.5)];
  }
  return out;
}"""
DUTCH = ["05-03-2026, 15:07", "1.234,5"]


def test_dates_and_numbers_fall_back_to_dutch_never_to_the_browsers_us_english(live_server, browser_context):
    """On a phone set to US English, a language the browser has no data for (Tigrinya, Somali, Frisian ...) shows
    Dutch formats, not "3/5/26, 3:07 PM" (read as 3 May); English itself is day first, with a 24-hour clock."""
    page = browser_context("en-US").new_page()
    open_app(page, live_server.url)
    found = page.evaluate(FORMATS, list(LANGUAGES))
    assert found["en"] == ["05/03/2026, 15:07", "1,234.5"]
    for code in ("ti", "so", "fy", "srn", "pap", "rif", "nl"):
        assert found[code] == DUTCH, code
    assert found["tr"] == ["5.03.2026 15:07", "1.234,5"]
    assert not [code for code, (date, _number) in found.items() if "3/5/26" in date or "PM" in date]


# --- the field worker's own language ---------------------------------------------------------------------------

def test_after_an_interview_in_arabic_the_workers_own_screens_speak_dutch_again(live_app, live_server,
                                                                                browser_context):
    """A Dutch-speaking field worker hands the phone to a resident who picks Arabic: the interview speaks Arabic,
    the worker's own screens (the status panel, the next resident's start, the campaigns) speak Dutch."""
    from .flows import enrol, give_consent, translator
    from .test_field_app import enrolment_code

    page = browser_context("nl-NL").new_page()
    enrol(page, live_server.url, enrolment_code(live_app))
    ar, html = translator("ar"), page.locator("html")
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    page.get_by_role("button", name=LANGUAGES["ar"].native_name, exact=True).click()
    expect(html).to_have_attribute("lang", "ar")
    page.get_by_role("button", name=ar("Start"), exact=True).click()
    give_consent(page, ar, answers=True, audio=False)

    page.locator("#status-strip button").click()  # the worker checks what is waiting, mid-interview
    expect(page.get_by_role("heading", name="Versturen en redden")).to_be_visible()
    expect(html).to_have_attribute("lang", "nl")
    page.get_by_role("button", name="Terug", exact=True).click()
    expect(html).to_have_attribute("lang", "ar")  # back to the resident's interview, in the resident's language
    page.get_by_role("radio", name=ar("Happy"), exact=True).check()
    page.get_by_role("button", name=ar("Next"), exact=True).click()
    for number in range(2, 7):  # the other questions are optional (the voice-only one left out: no consent)
        expect(page.get_by_text(ar("Question {number} of {total}", number=number, total=6))).to_be_visible()
        page.get_by_role("button", name=ar("Skip"), exact=True).click()
    expect(page.get_by_role("heading", name=ar("About you (optional)"))).to_be_visible()
    page.get_by_role("button", name=ar("Send"), exact=True).click()
    expect(page.get_by_role("heading", name=ar("Thank you!"))).to_be_visible()
    expect(html).to_have_attribute("lang", "ar")  # the receipt is the resident's

    page.get_by_role("button", name=ar("Next resident"), exact=True).click()
    expect(html).to_have_attribute("lang", "nl")
    expect(page.get_by_role("button", name="Beginnen", exact=True)).to_be_visible()
    page.get_by_role("button", name="Terug naar de campagnes", exact=True).click()
    expect(page.get_by_role("heading", name="Campagnes")).to_be_visible()
    page.reload()  # the worker's stored language was never the resident's
    expect(page.get_by_role("heading", name="Campagnes")).to_be_visible()
    expect(html).to_have_attribute("lang", "nl")


def test_a_resumed_interview_keeps_the_residents_language_and_then_returns_to_the_workers(live_app, live_server,
                                                                                          browser_context):
    from .flows import enrol, give_consent, translator
    from .test_field_app import enrolment_code

    page = browser_context("nl-NL").new_page()
    enrol(page, live_server.url, enrolment_code(live_app))
    tr, html = translator("tr"), page.locator("html")
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    page.get_by_role("button", name=LANGUAGES["tr"].native_name, exact=True).click()
    page.get_by_role("button", name=tr("Start"), exact=True).click()
    give_consent(page, tr, answers=True, audio=False)
    page.get_by_role("radio", name=tr("Happy"), exact=True).check()
    page.get_by_role("button", name=tr("Next"), exact=True).click()
    expect(page.get_by_text(tr("Question {number} of {total}", number=2, total=6))).to_be_visible()
    page.reload()  # the app closes and reopens in the middle of the interview
    expect(page.get_by_text(tr("Question {number} of {total}", number=2, total=6))).to_be_visible()
    expect(html).to_have_attribute("lang", "tr")
    page.locator("#status-strip button").click()
    expect(page.get_by_role("heading", name="Versturen en redden")).to_be_visible()
    expect(html).to_have_attribute("lang", "nl")
