"""Languages, locale selection, and the gettext catalogs shared with the PWA."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.units import format_unit
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, refresh

from .accounts.auth import SESSION_KEY
from .languages import Language, SpeakingLocale, load_languages, locale_data_for
from .paths import TRANSLATIONS_DIR

#: The neighbourhood's languages, in the order the picker shows them (from `translations/languages.json`).
LANGUAGES = load_languages()
DEFAULT_LANGUAGE = "nl"


def is_language(code: str | None) -> bool:
    return code in LANGUAGES


def catalog_languages() -> list[str]:
    """Languages with a catalog in `translations/`, plus English (the language of the message ids)."""
    return _catalog_languages(TRANSLATIONS_DIR.stat().st_mtime)


@lru_cache(maxsize=4)
def _catalog_languages(_mtime: float) -> list[str]:
    """Looked up again only when a language folder is added or removed (every page header asks)."""
    found = {p.parent.parent.name for p in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po")}
    return sorted(found | {DEFAULT_LANGUAGE, "en"})


def select_locale() -> Locale:
    """The request's language: an explicit choice, the stored preference, Accept-Language, the page's default.

    The explicit choice is `?lang=`; the stored preference is the signed-in coordinator's saved language, else
    the `lang` cookie (a resident's picker choice); on a campaign's own page (see `use_page_languages`) only
    the campaign's languages count and its main language is the default; elsewhere Dutch.
    """
    if not has_request_context():
        return babel_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    allowed = g.get("page_languages") or list(LANGUAGES)
    for wanted in (request.args.get("lang"), saved_language(), request.cookies.get("lang")):
        if wanted in allowed:
            return babel_locale(wanted)
    best = browser_language(allowed)
    return babel_locale(best or g.get("page_default_language") or current_app.config["BABEL_DEFAULT_LOCALE"])


def browser_language(allowed: list[str]) -> str | None:
    """The first of the browser's languages (by preference) in `allowed`; ``ar-MA`` counts as ``ar``."""
    for tag, _quality in request.accept_languages:
        tag = tag.replace("_", "-").lower()
        for candidate in (tag, tag.split("-", 1)[0]):
            if candidate in allowed:
                return candidate
    return None


def saved_language() -> str | None:
    """The signed-in coordinator's saved language, once this request has looked up who is signed in.

    (Looking it up here would touch the database in the middle of a view; every workspace page looks it up
    before its first message anyway.)
    """
    user_session = request.environ.get(SESSION_KEY)
    return user_session.user.language if user_session is not None else None


def use_page_languages(languages: list[str], default: str) -> None:
    """On a campaign's own page (flyer, closed, public results): choose among `languages`, else `default`."""
    g.page_languages = [code for code in languages if code in LANGUAGES]
    g.page_default_language = default if default in LANGUAGES else DEFAULT_LANGUAGE
    refresh()


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def text_direction(code: str | None = None) -> str:
    """``rtl`` or ``ltr`` for `code` (default: the request's language)."""
    language = LANGUAGES.get(code or current_language())
    return language.direction if language else "ltr"


@lru_cache(maxsize=64)
def formatting_locale(code: str) -> Locale:
    """The CLDR locale that formats numbers and dates for `code` (documented fallbacks in languages.json)."""
    language = LANGUAGES.get(code) or Language(code, code)
    return locale_data_for(language)


def format_size(size: int, code: str | None = None) -> str:
    """A size as people read it, as the field app writes it: "0,6 kB", "18 kB", "1,2 MB" (kilobytes below one
    megabyte, one decimal below ten), in the language's number format and unit."""
    mega = size >= 1_000_000
    value = max(size, 0) / (1_000_000 if mega else 1_000)
    return format_unit(value, "digital-megabyte" if mega else "digital-kilobyte", length="short",
                       format="#,##0.#" if value < 10 else "#,##0",
                       locale=formatting_locale(code or current_language()))


@lru_cache(maxsize=64)
def babel_locale(code: str) -> Locale:
    """The locale Flask-Babel uses for `code`: `code`'s own catalog, `formatting_locale(code)`'s formats.

    Use it with `flask_babel.force_locale` too: ``force_locale("srn")`` fails, as CLDR has no Sranan Tongo.
    """
    data = formatting_locale(code)
    return data if str(data) == code else SpeakingLocale(code, data)


def compile_stale_catalogs(directory: Path) -> None:
    """Compile each `.po` whose `.mo` is missing or older (a no-op in an installed package)."""
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError:
            continue  # read-only install: the build step compiled them already


@dataclass(frozen=True)
class CatalogMessages:
    """One catalog's translated messages and its plural rule (from its ``Plural-Forms`` header)."""

    #: ``{msgid: msgstr}`` of the translated messages without plural forms.
    singular: dict[str, str]
    #: ``{singular msgid: [form, ...]}`` of the plural messages with every form translated.
    plural: dict[str, list[str]]
    #: How many forms the language's plural messages have, and the C expression (gettext's) choosing one for n.
    nplurals: int = 2
    plural_expr: str = "(n != 1)"


#: English, the language of the message ids (it has no catalog).
ENGLISH_PLURALS = CatalogMessages({}, {})


@lru_cache(maxsize=32)
def _catalog_messages(po_path: Path, mtime: float) -> CatalogMessages:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    singular, plural = {}, {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):
            if message.string:
                singular[message.id] = str(message.string)
        elif len(message.string) == catalog.num_plurals and all(message.string):
            plural[message.id[0]] = [str(form) for form in message.string]
    return CatalogMessages(singular, plural, catalog.num_plurals, catalog.plural_expr)


def catalog_messages(code: str) -> CatalogMessages:
    """The translated messages of one language, its plural messages and its plural rule."""
    po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return ENGLISH_PLURALS
    return _catalog_messages(po_path, po_path.stat().st_mtime)


def catalog_json(code: str) -> dict[str, str]:
    """The translated messages (without plural forms) of one language as a flat `{msgid: msgstr}` object."""
    return catalog_messages(code).singular
