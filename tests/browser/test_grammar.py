"""Grammar that fits each language, in the field app: plural forms by the language's own rule, dates and numbers
in the language's formats (Dutch where the browser lacks the language), the worker's language after an interview."""

import gettext

import pytest
from babel.messages.pofile import read_po

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
