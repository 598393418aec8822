"""The translation workflow behind `wijkstem i18n`: extract, update, compile, stats."""

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from .i18n import LANGUAGES, compile_stale_catalogs
from .paths import PACKAGE_DIR, TRANSLATIONS_DIR

ROOT = PACKAGE_DIR.parent
POT = TRANSLATIONS_DIR / "messages.pot"


def pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> None:
    """Collect every message id from Python, templates and the PWA's JavaScript into messages.pot."""
    pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "_l", "--no-location",
            "--sort-output", "-o", str(POT), str(ROOT))


def update() -> None:
    """Merge messages.pot into every language's catalog, creating missing catalogs."""
    for code in LANGUAGES:
        if code == "nl":
            continue
        po_path = TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"
        command = "update" if po_path.exists() else "init"
        pybabel(command, "-i", str(POT), "-d", str(TRANSLATIONS_DIR), "-l", code)


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
