"""The service worker's precache manifest: the files of `pwa/` it keeps, and a version that follows them."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from . import paths
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog_json
from .paths import TRANSLATIONS_DIR

#: What the app needs to open and work offline; PNG icons are fetched by the browser when installing.
PRECACHED_SUFFIXES = (".html", ".css", ".js", ".svg", ".webmanifest")
NOT_PRECACHED = {"sw.js"}
#: The marker in `pwa/sw.js` that the manifest replaces.
MARKER = '/* precache-manifest */ { version: "unversioned", files: ["/app/"], languages: ["nl"] }'


def precached_paths(root: Path | None = None) -> list[Path]:
    root = root or paths.PWA_DIR
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in PRECACHED_SUFFIXES
                  and p.name not in NOT_PRECACHED)


def url_of(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    return "/app/" if relative == "index.html" else f"/app/{relative}"


#: The language table the pickers read (its completeness follows the catalogs and the resident list).
LANGUAGE_FILES = [TRANSLATIONS_DIR / "languages.json", TRANSLATIONS_DIR / "resident-msgids.txt"]


def _fingerprint(root: Path) -> tuple:
    catalogs = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))
    files = [*precached_paths(root), root / "sw.js", *catalogs, *LANGUAGE_FILES]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists())


@lru_cache(maxsize=4)
def _manifest(root: Path, fingerprint: tuple) -> dict:
    digest = hashlib.sha256()
    for name, _mtime, _size in fingerprint:
        digest.update(name.encode())
        digest.update(Path(name).read_bytes())
    digest.update(json.dumps(catalog_json(DEFAULT_LANGUAGE), sort_keys=True).encode())
    files = [url_of(p, root) for p in precached_paths(root)] + [f"/app/i18n/{DEFAULT_LANGUAGE}.json",
                                                                  "/app/i18n/languages.json"]
    return {"version": digest.hexdigest()[:16], "files": files, "languages": list(LANGUAGES)}


def precache_manifest(root: Path | None = None) -> dict:
    """{version, files, languages}; recomputed only when a file changes."""
    root = root or paths.PWA_DIR
    return _manifest(root, _fingerprint(root))


def service_worker_source(root: Path | None = None) -> str:
    """`pwa/sw.js` with its precache manifest filled in."""
    root = root or paths.PWA_DIR
    source = (root / "sw.js").read_text(encoding="utf-8")
    if MARKER not in source:
        raise RuntimeError("pwa/sw.js lost its precache-manifest marker")
    return source.replace(MARKER, json.dumps(precache_manifest(root), separators=(",", ":")))
