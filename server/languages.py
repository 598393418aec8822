"""The neighbourhood's languages, read from `translations/languages.json` so a language is added without code.

Each entry: ``code`` (the catalog's folder name), ``name`` (the language in itself, as pickers show it),
``english_name``, ``dir`` (``ltr``/``rtl``), ``format_locale`` (the CLDR locale that formats its numbers and
dates, or ``null`` for its own), ``workspace`` (the coordinator workspace is promised in it, so every workspace
message must be translated) and ``reviewed`` (a native speaker has checked the translation).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from .paths import TRANSLATIONS_DIR

LANGUAGES_FILE = TRANSLATIONS_DIR / "languages.json"


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
    #: Its name in English, for the team's status table.
    english_name: str = ""
    #: The coordinator workspace is promised in this language (all its messages translated).
    workspace: bool = False
    #: A native speaker has reviewed the translation.
    reviewed: bool = False


def is_cldr_locale(identifier: str) -> bool:
    try:
        Locale.parse(identifier)
    except (UnknownLocaleError, ValueError):
        return False
    return True


class LanguageSchema(Schema):
    """One entry of `translations/languages.json`."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z]{2,3}(_[A-Z]{2})?$"))
    name = fields.String(required=True, validate=validate.Length(1, 60))
    english_name = fields.String(required=True, validate=validate.Length(1, 60))
    dir = fields.String(required=True, validate=validate.OneOf(["ltr", "rtl"]))
    format_locale = fields.String(load_default=None, allow_none=True)
    workspace = fields.Boolean(load_default=False)
    reviewed = fields.Boolean(load_default=False)

    @validates("format_locale")
    def known_to_cldr(self, value, **_kwargs):
        if value is not None and not is_cldr_locale(value):
            raise ValidationError(f"CLDR has no locale {value!r}")

    @post_load
    def make_language(self, data, **_kwargs) -> Language:
        return Language(code=data["code"], native_name=data["name"], direction=data["dir"],
                        format_locale=data["format_locale"], english_name=data["english_name"],
                        workspace=data["workspace"], reviewed=data["reviewed"])


def load_languages(path: Path = LANGUAGES_FILE) -> dict[str, Language]:
    """The languages in `path`, keyed by code in the file's order (the order pickers show).

    :raise ValueError: the file is not a list of valid entries with distinct codes, including Dutch and English.
    """
    try:
        entries = LanguageSchema(many=True).load(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from err
    languages = {language.code: language for language in entries}
    if len(languages) != len(entries):
        raise ValueError(f"{path}: a language code is listed twice")
    if not {"nl", "en"} <= set(languages):
        raise ValueError(f"{path}: Dutch (nl, the default) and English (en, the message ids) must be listed")
    return languages


def locale_data_for(language: Language) -> Locale:
    """The CLDR locale that formats `language`: its `format_locale`, else its own, else Dutch."""
    for candidate in (language.format_locale, language.code):
        if candidate and is_cldr_locale(candidate):
            return Locale.parse(candidate)
    return Locale.parse("nl")


class SpeakingLocale(Locale):
    """A Babel locale that is `code` to gettext (Flask-Babel loads the ``code`` catalog) while its number and
    date formats come from `data` (for languages CLDR lacks or knows only thinly)."""

    def __init__(self, code: str, data: Locale):  # Locale.__init__ would refuse a code CLDR lacks
        self.language, self.territory, self.script, self.variant, self.modifier = code, None, None, None, None
        self._Locale__data = None
        self._Locale__data_identifier = str(data)
