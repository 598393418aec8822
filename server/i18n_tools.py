"""The translation workflow behind `wijkstem i18n`: extract, update, compile, stats."""

from datetime import UTC, datetime
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from .i18n import LANGUAGES, compile_stale_catalogs
from .paths import PACKAGE_DIR, TRANSLATIONS_DIR

ROOT = PACKAGE_DIR.parent
POT = TRANSLATIONS_DIR / "messages.pot"


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path = POT) -> None:
    """Collect every message id from Python, templates and the PWA's JavaScript into messages.pot."""
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "_l", "--no-location",
            "--project", "Wijkstem", "--copyright-holder", "Wijkstem contributors",
            "--sort-output", "-o", str(output), str(ROOT))


#: The language the message ids are written in; it needs no catalog.
MSGID_LANGUAGE = "en"


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


def catalog_stats(po_path: Path) -> tuple[int, int]:
    """(translated, total) message counts of one catalog."""
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    messages = [m for m in catalog if m.id]
    return sum(1 for m in messages if m.string and not m.fuzzy), len(messages)


def stats() -> list[str]:
    lines = []
    for po_path in sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po")):
        done, total = catalog_stats(po_path)
        lines.append(f"{po_path.parent.parent.name:>4}  {done:>4}/{total:<4} {100 * done // max(total, 1):>3}%")
    return lines
