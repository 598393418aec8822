"""Where the PWA and the catalogs are, in a source checkout and in an installed package alike."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """Return `server/bundled/<name>` when installed, else `<checkout>/<name>`."""
    bundled = PACKAGE_DIR / "bundled" / name
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / name


PWA_DIR = asset_dir("pwa")
#: `WIJKSTEM_TRANSLATIONS_DIR` points elsewhere, e.g. to try a new language's catalog without touching the code.
TRANSLATIONS_DIR = Path(os.environ.get("WIJKSTEM_TRANSLATIONS_DIR") or asset_dir("translations")).resolve()
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
