"""Grammar that fits each language: every catalog passes GNU gettext's own check, plural messages carry each
language's CLDR plural rule to the server and the field app, and English formats dates day first."""

import gettext
import os
import re
import shutil
import subprocess

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from server import i18n_status, i18n_tools
from server.paths import TRANSLATIONS_DIR

CATALOGS = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))
MSGFMT = shutil.which("msgfmt")


def require_msgfmt():
    if MSGFMT is None:
        if os.environ.get("CI"):
            pytest.fail("msgfmt is missing (Debian's gettext package); CI must install it")
        pytest.skip("msgfmt is not installed (Debian's gettext package); CI runs this check")


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_catalog_passes_msgfmt_check(po_path, tmp_path):
    """GNU msgfmt checks formats, plural forms against the header's nplurals, and the header itself."""
    require_msgfmt()
    run = subprocess.run([MSGFMT, "--check", "--statistics", "-o", str(tmp_path / "messages.mo"), str(po_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "fatal" not in run.stderr and "fuzzy" not in run.stderr, run.stderr


def test_msgfmt_check_finds_a_broken_format(tmp_path):
    """The check is real: a message flagged as a Python format whose translation breaks it fails."""
    require_msgfmt()
    broken = tmp_path / "broken.po"
    broken.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                      '#, python-format\nmsgid "at least 80% of the answers"\n'
                      'msgstr "minstens 80% van de antwoorden"\n',
                      encoding="utf-8")
    run = subprocess.run([MSGFMT, "--check", "-o", os.devnull, str(broken)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode != 0


# --- plurals ---------------------------------------------------------------------------------------------------

#: Where a catalog's rule may differ from CLDR's, and why (docs/translations.md says the same).
NOT_CLDR = {
    "srn": "CLDR has no Sranan Tongo; nouns do not change with a number (wan sma, tu sma): one form",
    "rif": "CLDR has no plural rule for Tarifit; nouns have a singular and a plural (yiwen uxxam, sin ixxamen)",
}


def partition(rule, numbers=range(1000)) -> set[frozenset[int]]:
    """The numbers grouped by the form the rule picks (the forms' order may differ between gettext and CLDR)."""
    groups: dict = {}
    for n in numbers:
        groups.setdefault(rule(n), set()).add(n)
    return {frozenset(group) for group in groups.values()}


def read_catalog(code):
    with (TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_catalogs_plural_rule_is_its_languages_cldr_rule(po_path):
    """For whole numbers, the catalog's Plural-Forms header picks the same groups of numbers as CLDR's rule
    (Polish and Ukrainian: CLDR's fourth form is for fractions only, so the catalogs have three)."""
    code = po_path.parent.parent.name
    catalog = read_catalog(code)
    header = partition(gettext.c2py(catalog.plural_expr))
    assert len(header) == catalog.num_plurals
    if code in NOT_CLDR:
        return
    cldr = Locale.parse(code).plural_form
    assert header == partition(cldr)


def test_the_exceptions_to_cldr_are_what_the_docs_say():
    assert read_catalog("srn").num_plurals == 1
    assert read_catalog("rif").num_plurals == 2 and not Locale.parse("rif").plural_form.rules


@pytest.mark.parametrize(("code", "expected"), [
    ("pl", {1: "1 nagranie", 2: "2 nagrania", 5: "5 nagrań", 12: "12 nagrań", 22: "22 nagrania", 101: "101 nagrań"}),
    ("uk", {1: "1 запис", 3: "3 записи", 11: "11 записів", 21: "21 запис", 24: "24 записи", 25: "25 записів"}),
    ("ar", {0: "0 تسجيل", 1: "تسجيل واحد", 2: "تسجيلان", 3: "3 تسجيلات", 11: "11 تسجيلًا", 100: "100 تسجيل"}),
    ("nl", {1: "1 opname", 2: "2 opnames", 0: "0 opnames"}),
    ("srn", {1: "1 opname", 7: "7 opname"}),
    ("en", {1: "1 recording", 2: "2 recordings"}),
])
def test_the_server_picks_each_languages_plural_form(app, code, expected):
    from flask_babel import force_locale, ngettext

    from server.i18n import babel_locale

    with app.test_request_context(), force_locale(babel_locale(code)):
        for n, text in expected.items():
            assert ngettext("{count} recording", "{count} recordings", n).format(count=n) == text


def test_the_app_catalog_carries_every_form_and_the_rule(client):
    polish = client.get("/app/i18n/pl.json").json
    assert polish[""] == {"nplurals": 3, "plural": read_catalog("pl").plural_expr}
    assert polish["{count} recording"] == ["{count} nagranie", "{count} nagrania", "{count} nagrań"]
    arabic = client.get("/app/i18n/ar.json").json
    assert arabic[""]["nplurals"] == 6 and len(arabic["You can talk for up to {minutes} minute."]) == 6
    assert client.get("/app/i18n/srn.json").json[""] == {"nplurals": 1, "plural": "0"}


def test_plural_messages_are_extracted_from_python_templates_and_javascript():
    """`ngettext` is a keyword of every extractor (Babel's defaults; `server.i18n_tools.extract` keeps them)."""
    with i18n_tools.POT.open("rb") as handle:
        template = read_po(handle)
    plural = {message.id[0] for message in template if message.id and not isinstance(message.id, str)}
    assert {"{count} recording",  # pwa/js/screens/status.js
            "{count} voice note",  # server/templates/workspace/devices.html
            "The file has more than {count} line.",  # server/reach/csv_import.py
            } <= plural


@pytest.mark.parametrize(("code", "limits", "expected"), [
    ("uk", (1, 200), ("Використовуйте щонайменше 1 символ.", "Використовуйте не більше 200 символів.")),
    ("pl", (3, 22), ("Użyj co najmniej 3 znaków.", "Użyj najwyżej 22 znaków.")),
    ("ar", (2, 11), ("اكتبوا حرفين على الأقل.", "اكتبوا 11 حرفًا على الأكثر.")),
    ("en", (1, 2), ("Use at least 1 character.", "Use at most 2 characters.")),
])
def test_validation_messages_take_the_plural_form_of_their_limit(app, code, limits, expected):
    """Not "Użyj co najmniej tylu znaków: 3": a validator's limit takes the language's plural form."""
    from flask_babel import force_locale
    from marshmallow import ValidationError

    from server.errors import describe_message
    from server.forms import TextLength
    from server.i18n import babel_locale

    low, high = limits
    found = []
    with app.test_request_context(), force_locale(babel_locale(code)):
        for value in ("", "x" * (high + 1)):
            with pytest.raises(ValidationError) as raised:
                TextLength(min=low, max=high)(value)
            found.append(describe_message(raised.value.messages[0])[1])
    assert tuple(found) == expected


# --- formats ---------------------------------------------------------------------------------------------------

def test_english_dates_are_day_first_with_a_24_hour_clock_on_the_server(app):
    """English borrows British formats (`format_locale: en_GB`): "3/5/26, 3:07 PM" would be read as 3 May."""
    from datetime import UTC, datetime

    from flask_babel import force_locale, format_date, format_datetime, get_locale

    from server.i18n import babel_locale, formatting_locale

    moment = datetime(2026, 3, 5, 14, 7, tzinfo=UTC)  # 15:07 in the Netherlands
    assert str(formatting_locale("en")) == "en_GB"
    with app.test_request_context(), force_locale(babel_locale("en")):
        assert str(get_locale()) == "en"  # the English texts, British formats
        assert format_date(moment, "long") == "5 March 2026"
        assert format_datetime(moment, "short") == "05/03/2026, 15:07"



# --- one form of address per language ----------------------------------------------------------------------------

#: Arabic imperatives addressed to one man (the plural, as public notices use, addresses everyone).
ARABIC_MASCULINE_IMPERATIVES = {"اختر", "اكتب", "أرسل", "احفظ", "اطلب", "امسح", "قل", "قله", "قلها", "أجب", "ابدأ",
                                "حاول", "تأكد", "استمع", "سجّل", "سجل", "انتظر", "اذهب", "افتح", "أدخل", "راجع",
                                "املأ", "حدّث", "شارك", "انتقل", "أعد", "أضف", "اسمح", "أوقف", "اضغط", "اقرأ"}
#: Words ending in ك that are not "your" (a singular suffix, read as masculine aloud).
ARABIC_NOT_YOUR = {"ذلك", "لذلك", "كذلك", "هناك", "تلك", "مشترك", "بذلك"}


def arabic_singular_address(text: str) -> list[str]:
    words = re.findall(r"[\u0600-\u06FF]+", text)
    return [w for w in words if w in ARABIC_MASCULINE_IMPERATIVES or (w.endswith("ك") and w not in ARABIC_NOT_YOUR)]


#: What each language's chosen form of address (docs/translations.md) rules out, in what a resident reads.
NOT_THE_CHOSEN_ADDRESS = {
    "nl": lambda text: re.findall(r"\b(?:[Uu]|[Uu]w)\b", text),  # informal je/jij, not u
    "fy": lambda text: re.findall(r"\b[Jj]o\b", text),  # informal do/dyn, not jo
    "tr": lambda text: re.findall(r"\b(?:[Ss]en|[Ss]enin|[Ss]ana|[Ss]eni)\b", text),  # formal siz
    "uk": lambda text: re.findall(r"\b(?:[Тт]и|[Тт]вій|[Тт]воя|[Тт]воє|[Тт]вої|[Тт]ебе|[Тт]обі)\b", text),  # ви
    "pl": lambda text: re.findall(r"\w+(?:łeś|łaś)\b|\b(?:Pan|Pani|Państwo)\b", text),  # ty, no gendered past
    "rif": lambda text: re.findall(r"-nne[cm]\b|\bɣar-[cm]\b|\bce[km]\b|\bXafe[cm]\b|-nwem\b", text),
    "ar": arabic_singular_address,
}


def resident_texts(code: str) -> dict[str, list[str]]:
    from server.i18n_status import read_resident_msgids

    resident = read_resident_msgids()
    out = {}
    for message in read_catalog(code):
        key = i18n_status.message_key(message) if message.id else None
        if key in resident:
            out[key] = [message.string] if isinstance(message.string, str) else list(message.string)
    return out


@pytest.mark.parametrize("code", sorted(NOT_THE_CHOSEN_ADDRESS))
def test_every_resident_facing_message_keeps_its_languages_form_of_address(code):
    rule = NOT_THE_CHOSEN_ADDRESS[code]
    found = {msgid: hits for msgid, texts in resident_texts(code).items() for text in texts if (hits := rule(text))}
    assert found == {}


def test_the_demo_campaign_keeps_each_languages_form_of_address():
    from server.demo import DEMO_DEFINITION

    def texts(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in NOT_THE_CHOSEN_ADDRESS and isinstance(value, str):
                    yield key, value
                else:
                    yield from texts(value)
        elif isinstance(node, list):
            for value in node:
                yield from texts(value)

    found = [(code, text) for code, text in texts(DEMO_DEFINITION) if NOT_THE_CHOSEN_ADDRESS[code](text)]
    assert found == []
    assert len(list(texts(DEMO_DEFINITION))) > 40


@pytest.mark.parametrize(("code", "text"), [
    ("ar", "اختر لغتك"), ("tr", "Mahallemiz, senin sesin"), ("pl", "Wpisz kod tak, jak go dostałeś."),
    ("rif", "Xtar tutlayt-nnec"), ("nl", "Kies uw taal"), ("uk", "Вибери свою мову, ти")])
def test_the_form_of_address_check_finds_the_other_form(code, text):
    assert NOT_THE_CHOSEN_ADDRESS[code](text)
