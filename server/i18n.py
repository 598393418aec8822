"""Languages, locale selection, and the gettext catalogs shared with the PWA."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request
from flask_babel import get_locale

from .paths import TRANSLATIONS_DIR


@dataclass(frozen=True)
class Language:
    """A language Wijkstem can speak."""

    code: str
    #: The language's name in itself, as the picker shows it.
    native_name: str
    #: ``ltr`` or ``rtl``.
    direction: str = "ltr"
    #: Locale whose CLDR data formats numbers and dates where the language's own is missing or thin.
    format_locale: str | None = None


#: The neighbourhood's languages, in the order the picker shows them.
LANGUAGES = {
    lang.code: lang
    for lang in (
        Language("nl", "Nederlands"),
        Language("en", "English"),
        Language("tr", "Türkçe"),
        Language("ar", "العربية", "rtl"),
        Language("rif", "Tarifit (Tmaziɣt)", format_locale="nl"),
        Language("pl", "Polski"),
        Language("uk", "Українська"),
        Language("so", "Soomaali"),
        Language("ti", "ትግርኛ"),
        Language("pap", "Papiamentu", format_locale="nl"),
        Language("srn", "Sranantongo", format_locale="nl"),
        Language("fy", "Frysk"),
    )
}
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


def select_locale() -> str:
    """An explicit `?lang=`, then the `lang` cookie, then Accept-Language, then Dutch."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    for explicit in (request.args.get("lang"), request.cookies.get("lang")):
        if is_language(explicit):
            return explicit
    best = request.accept_languages.best_match(list(LANGUAGES))
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def formatting_locale(code: str) -> Locale:
    """The CLDR locale that formats numbers and dates for `code` (documented fallbacks)."""
    language = LANGUAGES.get(code)
    candidates = [language.format_locale] if language and language.format_locale else []
    candidates += [code, DEFAULT_LANGUAGE]
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(DEFAULT_LANGUAGE)


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


@lru_cache(maxsize=32)
def _catalog_messages(po_path: Path, mtime: float) -> dict[str, str]:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def catalog_json(code: str) -> dict[str, str]:
    """The translated messages of one language as a flat `{msgid: msgstr}` object for the PWA."""
    po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return {}
    return _catalog_messages(po_path, po_path.stat().st_mtime)
