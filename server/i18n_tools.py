"""The translation workflow behind `wijkstem i18n`: extract, update, compile, stats.

`extract` also sorts the messages: one a resident can see is *resident-facing* when it comes from a file
named in `translations/resident-sources.txt`, from a template such a file extends, includes or imports, or
when the comment right above it starts with ``resident:`` (for the odd resident message in a workspace
file). The result is `translations/resident-msgids.txt`; there is still one catalog per language.
"""

import fnmatch
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment, meta

from .i18n import LANGUAGES, compile_stale_catalogs
from .i18n_status import MSGID_LANGUAGE, POT, RESIDENT_MSGIDS, message_key, write_resident_msgids
from .paths import PACKAGE_DIR, TRANSLATIONS_DIR

ROOT = PACKAGE_DIR.parent
RESIDENT_SOURCES = TRANSLATIONS_DIR / "resident-sources.txt"
#: A translator comment starting with this marks a message resident-facing wherever it is.
RESIDENT_TAG = "resident:"
TEMPLATE_FOLDER = "server/templates/"


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = POT, resident_list: Path = RESIDENT_MSGIDS) -> None:
    """Collect every message id from Python, templates and the PWA's JavaScript into messages.pot, and list
    the resident-facing ones in `resident_list`."""
    with tempfile.TemporaryDirectory() as folder:
        located = Path(folder) / "located.pot"
        pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "N_plural:1,2", "-k", "_l",
                "-c", RESIDENT_TAG, "--project", "Wijkstem", "--copyright-holder", "Wijkstem contributors",
                "--sort-output", "-o", str(located), str(ROOT))
        with located.open("rb") as handle:
            catalog = read_po(handle)
    write_resident_msgids(resident_msgids(catalog, resident_sources()), resident_list)
    for message in catalog:
        message.locations, message.auto_comments = [], []
    with output.open("wb") as handle:
        write_po(handle, catalog, no_location=True, sort_output=True)


def resident_sources(path: Path = RESIDENT_SOURCES) -> list[str]:
    """The glob patterns (relative to the checkout; ``*`` spans folders) of resident-facing sources."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def relative_location(filename: str) -> str:
    path = Path(filename)
    return (path.resolve().relative_to(ROOT) if path.is_absolute() else path).as_posix()


def resident_msgids(catalog, patterns: list[str]) -> set[str]:
    """Message ids that come from a resident-facing file, or that carry the ``resident:`` comment."""
    files = {relative_location(name) for message in catalog for name, _line in message.locations}
    files |= {path.relative_to(ROOT).as_posix() for path in (ROOT / TEMPLATE_FOLDER).rglob("*.html")}
    resident_files = with_referenced_templates({f for f in files if any(fnmatch.fnmatchcase(f, p) for p in patterns)})
    return {message_key(message) for message in catalog if message.id and (
        message.auto_comments or any(relative_location(name) in resident_files for name, _line in message.locations))}


def with_referenced_templates(files: set[str]) -> set[str]:
    """`files` plus every template they extend, include or import, and so on (a resident sees those too)."""
    environment = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    found, todo = set(files), [f for f in files if f.startswith(TEMPLATE_FOLDER)]
    while todo:
        source = (ROOT / todo.pop()).read_text(encoding="utf-8")
        for name in meta.find_referenced_templates(environment.parse(source)):
            path = TEMPLATE_FOLDER + name if name else None
            if path and path not in found and (ROOT / path).is_file():
                found.add(path)
                todo.append(path)
    return found


def catalog_codes(only: tuple[str, ...] = ()) -> list[str]:
    """Languages that get a catalog: `only` if given, else every language but the msgid language."""
    unknown = [code for code in only if code not in LANGUAGES or code == MSGID_LANGUAGE]
    if unknown:
        raise ValueError(f"no catalog for: {', '.join(unknown)}")
    return list(only) or [code for code in LANGUAGES if code != MSGID_LANGUAGE]


def update(only: tuple[str, ...] = (), directory: Path = TRANSLATIONS_DIR) -> None:
    """Merge messages.pot into each language's catalog (Dutch included), creating missing catalogs."""
    for code in catalog_codes(only):
        merge_catalog(code, directory / code / "LC_MESSAGES" / "messages.po")


def merge_catalog(code: str, po_path: Path) -> None:
    """Update one catalog from the template, or start it; works for locales CLDR lacks (e.g. ``srn``)."""
    with POT.open("rb") as handle:
        template = read_po(handle)
    if po_path.exists():
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=code)
        catalog.update(template)
    else:
        catalog = template
        catalog.locale, catalog.fuzzy = code, False
        catalog.revision_date = datetime.now(UTC)
        po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=110)


def compile_all() -> None:
    for mo_path in TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.mo"):
        mo_path.unlink()
    compile_stale_catalogs(TRANSLATIONS_DIR)
