"""How complete each language is, for residents and for the workspace, and whether a native speaker reviewed it.

Resident-facing messages are listed in `translations/resident-msgids.txt` (written by `wijkstem i18n extract`);
every other message of `messages.pot` is workspace-only. English is complete by definition: it is the language
the message ids are written in.
"""

import gettext
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from .i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog_messages, formatting_locale
from .paths import TRANSLATIONS_DIR

POT = TRANSLATIONS_DIR / "messages.pot"
RESIDENT_MSGIDS = TRANSLATIONS_DIR / "resident-msgids.txt"
STATUS_FILE = TRANSLATIONS_DIR / "STATUS.md"
#: The language the message ids are written in; it needs no catalog.
MSGID_LANGUAGE = "en"
RESIDENT_HEADER = ("# Messages a resident can see (the field app, flyers, the closed, public-results and erasure\n"
                   "# pages, API errors the app shows). Written by `wijkstem i18n extract`; do not edit.\n")


def escape_line(msgid: str) -> str:
    return msgid.replace("\\", "\\\\").replace("\n", "\\n")


def unescape_line(line: str) -> str:
    out, chars = [], iter(line)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append("\n" if following == "n" else following)
        else:
            out.append(char)
    return "".join(out)


def write_resident_msgids(msgids: set[str], path: Path = RESIDENT_MSGIDS) -> None:
    lines = sorted(escape_line(msgid) for msgid in msgids)
    path.write_text(RESIDENT_HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")


def read_resident_msgids(path: Path = RESIDENT_MSGIDS) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    return _resident_msgids(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _resident_msgids(path: Path, _mtime: int) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(unescape_line(line) for line in lines if line and not line.startswith("# "))


def template_msgids(path: Path = POT) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    return _template_msgids(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _template_msgids(path: Path, _mtime: int) -> frozenset[str]:
    with path.open("rb") as handle:
        return frozenset(message_key(message) for message in read_po(handle) if message.id)


PLACEHOLDER = re.compile(r"\{(\w*)\}")


def placeholder_problems(catalog) -> list[tuple[str, str]]:
    """(msgid, translation) pairs whose translation does not keep exactly the msgid's ``{placeholders}`` (same
    names, same count), uses ``%(name)s``, or would fail `str.format` (a stray brace).

    A plural form that the language uses for one number only (Arabic's "one" and "two": ``إجابتان``) may leave
    placeholders out, as GNU msgfmt allows; it may not add any.
    """
    problems = []
    single = single_number_forms(catalog)
    for message in catalog:
        if not message.id:
            continue
        msgid = message_key(message)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = Counter(PLACEHOLDER.findall(msgid))
        for index, text in enumerate(strings):
            if not text:
                continue
            found = Counter(PLACEHOLDER.findall(text))
            kept = found == expected or (not isinstance(message.string, str) and index in single and found <= expected)
            if not kept or "%(" in text or not formats(text, expected):
                problems.append((msgid, text))
    return problems


def single_number_forms(catalog) -> set[int]:
    """The plural forms the catalog's rule chooses for exactly one number (looked at up to 1000)."""
    rule = gettext.c2py(catalog.plural_expr)
    counts = Counter(rule(n) for n in range(1000))
    return {index for index, count in counts.items() if count == 1}


def formats(text: str, names) -> bool:
    try:
        text.format(**dict.fromkeys(names, "x"))
    except (KeyError, IndexError, ValueError):
        return False
    return True


def message_key(message) -> str:
    """The msgid of a message (the singular one of a plural message)."""
    return message.id if isinstance(message.id, str) else message.id[0]


@dataclass(frozen=True)
class Completeness:
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def percent(self) -> int:
        """Rounded down, so 100 means every message."""
        return 100 * self.done // self.total if self.total else 100

    def __str__(self) -> str:
        return f"{self.done}/{self.total} ({self.percent}%)"


@dataclass(frozen=True)
class LanguageStatus:
    code: str
    resident: Completeness
    workspace: Completeness
    missing_resident: tuple[str, ...]
    has_catalog: bool

    @property
    def language(self):
        return LANGUAGES[self.code]


def translated_msgids(code: str) -> set[str]:
    """The message ids `code` translates (all of them for English, the language of the ids)."""
    if code == MSGID_LANGUAGE:
        return set(template_msgids())
    messages = catalog_messages(code)
    return set(messages.singular) | set(messages.plural)


def language_status(code: str) -> LanguageStatus:
    template = template_msgids()
    resident = read_resident_msgids() & template
    workspace = template - resident
    done = translated_msgids(code)
    return LanguageStatus(code, Completeness(len(resident & done), len(resident)),
                          Completeness(len(workspace & done), len(workspace)), tuple(sorted(resident - done)),
                          code == MSGID_LANGUAGE or catalog_path(code).exists())


def catalog_path(code: str) -> Path:
    return TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"


def all_statuses() -> list[LanguageStatus]:
    return [language_status(code) for code in LANGUAGES]


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def stats_lines(statuses: list[LanguageStatus]) -> list[str]:
    """The table `wijkstem i18n stats` prints."""
    lines = [f"{'code':<5} {'language':<20} {'resident-facing':<18} {'workspace':<18} reviewed"]
    for status in statuses:
        language = status.language
        workspace = f"{status.workspace}{' *' if language.workspace else ''}"
        lines.append(f"{status.code:<5} {language.english_name:<20} {status.resident!s:<18} {workspace:<18} "
                     f"{yes_no(language.reviewed)}{'' if status.has_catalog else '  (no catalog yet)'}")
    lines.append("* the workspace is promised in this language: every workspace message must be translated")
    return lines


def status_markdown(statuses: list[LanguageStatus]) -> str:
    """`translations/STATUS.md`: completeness per language and whether a native speaker reviewed it."""
    rows = [f"| {s.language.english_name} | {s.language.native_name} | `{s.code}` | "
            f"{s.resident}{'' if s.has_catalog else ', no catalog yet'} | "
            f"{s.workspace}{' (promised)' if s.language.workspace else ''} | {yes_no(s.language.reviewed)} |"
            for s in statuses]
    reviewed = [s.language.english_name for s in statuses if s.language.reviewed]
    review_line = (f"Reviewed by a native speaker: {', '.join(reviewed)}." if reviewed else
                   "No language has been reviewed by a native speaker yet, Dutch and English included: the "
                   "texts and all their translations were written by AI (machine translation).")
    review_line += " The field app's language picker marks every language that is not reviewed."
    return "\n".join([
        "# Translation status",
        "",
        "Generated by `wijkstem i18n stats --write` from the catalogs, `resident-msgids.txt` and the `reviewed`",
        "flags in `languages.json`; do not edit by hand. See `docs/translations.md`.",
        "",
        "*Resident-facing*: what a resident can see (the field app, flyers, the closed, public-results and erasure",
        "pages, API errors the app shows); it must be complete in every language. *Workspace*: the coordinators'",
        "pages; it must be complete where it is *promised*.",
        "",
        "| Language | Name | Code | Resident-facing | Workspace | Reviewed by a native speaker |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        review_line,
        "",
    ])


#: The key of the app catalog's entry that is no message: the language's plural rule (like gettext's header).
PLURAL_RULE_KEY = ""


def app_catalog(code: str) -> dict:
    """The messages the field app needs in `code`: the resident-facing ones (all, if the list is missing).

    ``{msgid: text}``, a plural message as ``{singular msgid: [form, ...]}`` (all the language's forms), and
    under the key ``""`` the language's plural rule: ``{"nplurals": 3, "plural": "<gettext's C expression>"}``,
    which `pwa/js/i18n.js` evaluates with its own small parser (the app's CSP forbids `eval`).
    """
    resident = read_resident_msgids()
    catalog = catalog_messages(code)
    messages = {**catalog.singular, **catalog.plural}
    if resident:
        messages = {msgid: text for msgid, text in messages.items() if msgid in resident}
    return {PLURAL_RULE_KEY: {"nplurals": catalog.nplurals, "plural": catalog.plural_expr}, **messages}


def languages_document() -> dict:
    """What the field app needs to offer the languages (`/app/i18n/languages.json`)."""
    return {"default": DEFAULT_LANGUAGE, "languages": [language_entry(code) for code in LANGUAGES]}


def language_entry(code: str) -> dict:
    language = LANGUAGES[code]
    return {"code": code, "name": language.native_name, "dir": language.direction,
            "format": str(formatting_locale(code)).replace("_", "-"), "reviewed": language.reviewed,
            "complete": language_status(code).resident.percent}
