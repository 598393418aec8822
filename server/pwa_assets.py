"""The service worker's precache manifest: the files of `pwa/` it keeps, and a version that follows them."""

import base64
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from . import paths
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog_json
from .paths import TRANSLATIONS_DIR
from .pwa_bundle import exports_source, first_screen_bundle

#: Where the first screen's modules are served as one file (`pwa_bundle.py`); it sits beside them in `js/`, so
#: the dynamic imports in its code (`import("./screens/status.js")`) find the same files.
BUNDLE_URL = "/app/js/first-screen.js"
#: The bundle's exports for the screens loaded later (the import map sends the bundled modules here).
EXPORTS_URL = "/app/js/first-screen-exports.js"

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
    found = bundle_version(root)
    bundled = {root / relative for relative in found[1]} if found else set()  # pages import them from the bundle
    files = [versioned_url(p, root) for p in precached_paths(root) if p not in bundled] + bundle_urls(root)
    files += [f"/app/i18n/{DEFAULT_LANGUAGE}.json", "/app/i18n/languages.json"]
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


#: Files the shell links by a versioned address (`?v=<content hash>`), kept a year: a new build links new ones.
VERSIONED_SUFFIXES = (".js", ".css", ".svg")
NOT_VERSIONED_DIRS = ("pictograms/",)  # campaigns name pictograms by their plain address
LINKED = re.compile(r'(href|src)="/app/([^"?#]+)"')


@lru_cache(maxsize=512)
def _content_version(path: str, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def content_version(path: Path) -> str:
    """The first 12 hex digits of the sha256 of the file (recomputed only when it changes)."""
    stat = path.stat()
    return _content_version(str(path), stat.st_mtime_ns, stat.st_size)


def is_versioned(relative: str) -> bool:
    return relative.endswith(VERSIONED_SUFFIXES) and not relative.startswith(NOT_VERSIONED_DIRS) \
        and relative not in NOT_PRECACHED


def versioned_url(path: Path, root: Path) -> str:
    """`/app/js/ui.js?v=0123456789ab` for a versioned file, else its plain address."""
    relative = path.relative_to(root).as_posix()
    if not is_versioned(relative):
        return url_of(path, root)
    return f"/app/{relative}?v={content_version(path)}"


def bundle_version(root: Path) -> tuple[str, tuple[str, ...]] | None:
    """(the versioned address of the first screen's bundle, the modules in it), or None without a bundle."""
    bundle = first_screen_bundle(root)
    if bundle is None:
        return None
    data, modules, _names = bundle
    return f"{BUNDLE_URL}?v={hashlib.sha256(data).hexdigest()[:12]}", modules


def bundle_exports(root: Path) -> tuple[str, bytes] | None:
    """(the versioned address, the code) of the module with the bundle's exports, or None without a bundle."""
    found = bundle_version(root)
    if found is None:
        return None
    code = exports_source(found[0], list(first_screen_bundle(root)[2])).encode()
    return f"{EXPORTS_URL}?v={hashlib.sha256(code).hexdigest()[:12]}", code


def bundle_urls(root: Path) -> list[str]:
    found, exports = bundle_version(root), bundle_exports(root)
    return [found[0], exports[0]] if found else []


def import_map(root: Path) -> str:
    """Every module's plain address mapped to its versioned one, so `import "./ui.js"` loads the same file the
    shell loaded; the first screen's modules mapped to the bundle's exports, so that a screen loaded later shares
    their code and state (the import map must come before any module in the document)."""
    modules = sorted(p for p in root.rglob("*.js") if p.name not in NOT_PRECACHED)
    imports = {url_of(p, root): versioned_url(p, root) for p in modules}
    found, exports = bundle_version(root), bundle_exports(root)
    if found:
        imports.update({f"/app/{relative}": exports[0] for relative in found[1]})
    return json.dumps({"imports": imports}, separators=(",", ":"))


def use_bundle(html: str, root: Path) -> str:
    """The shell loads the bundle instead of the first screen's modules one by one."""
    found = bundle_version(root)
    if not found:
        return html
    bundle, _bundled = found
    html = re.sub(r'<link rel="modulepreload" href="/app/[^"]+">\n?', "", html)
    return re.sub(r'<script type="module" src="/app/[^"]+"></script>',
                  f'<script type="module" src="{bundle}"></script>', html, count=1)


def csp_hash(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def inline_first_screen(html: str, root: Path) -> tuple[str, list[str], list[str]]:
    """The stylesheet and the first screen's bundle written into the page (a flyer's page: no second round
    trip before the first screen); each keeps its address in `data-href`/`data-src`, so the page hands them to
    the service worker's precache instead of it downloading them again. Returns the page and the CSP hashes of
    the scripts and styles it added."""
    scripts, styles = [], []
    found = bundle_version(root)
    if found:
        bundle = first_screen_bundle(root)[0].decode()
        element = f'<script type="module" data-src="{found[0]}">{bundle}</script>'
        html, count = re.subn(r'<script type="module" src="[^"]+"></script>', lambda _m: element, html, count=1)
        scripts += [csp_hash(bundle)] if count else []
    css = root / "css" / "app.css"
    link = f'<link rel="stylesheet" href="{versioned_url(css, root)}">'
    if link in html:
        text = css.read_text(encoding="utf-8")
        html = html.replace(link, f'<style data-href="{versioned_url(css, root)}">{text}</style>', 1)
        styles.append(csp_hash(text))
    return html, scripts, styles


def shell_html(root: Path | None = None, head: str = "", inline: bool = False) -> tuple[str, str, str]:
    """`pwa/index.html` with versioned links, its import map, and `head` (what a page adds) before `</head>`;
    with `inline`, the stylesheet and the first screen's code in the page. Returns the page and the CSP
    sources of its inline scripts and styles (allowed by their hashes)."""
    root = root or paths.PWA_DIR
    source = (root / "index.html").read_text(encoding="utf-8")

    def version(match: re.Match) -> str:
        file = root / match.group(2)
        return f'{match.group(1)}="{versioned_url(file, root)}"' if file.is_file() else match.group(0)

    html = use_bundle(LINKED.sub(version, source), root)
    scripts, styles = [], []
    if inline:
        html, scripts, styles = inline_first_screen(html, root)
    mapping = import_map(root)
    script = f'<script type="importmap">{mapping}</script>'
    html = html.replace('<meta charset="utf-8">', f'<meta charset="utf-8">\n{script}', 1)
    html = html.replace("</head>", f"{head}</head>", 1)
    return html, " ".join([csp_hash(mapping), *scripts]), " ".join(styles)
