"""Serving the field app (`pwa/`), its language catalogs and the short flyer links."""

import hashlib
import io
import mimetypes
from functools import lru_cache
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from jinja2.utils import htmlsafe_json_dumps
from PIL import Image
from sqlalchemy import select
from werkzeug.utils import safe_join

from .campaigns.models import Source
from .campaigns.operations import flyer_document
from .compression import COMPRESSIBLE, ETAG_SUFFIX, chosen_encoding, compress_response, encoded_once
from .extensions import db
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, text_direction, use_page_languages
from .i18n_status import app_catalog, languages_document
from .paths import PWA_DIR
from .pwa_assets import (
    bundle_exports,
    content_version,
    is_versioned,
    precache_manifest,
    service_worker_source,
    shell_html,
)
from .pwa_bundle import first_screen_bundle
from .ratelimits import public_rate_limit
from .util import normalise_code

pwa_blueprint = Blueprint("pwa", __name__)
NO_CACHE = {"index.html", "sw.js", "manifest.webmanifest"}
#: A file asked for by its current versioned address never changes: a new build links a new address.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The service worker may control `/f/<code>` as well as `/app/`: a flyer's page is the app itself.
SERVICE_WORKER_SCOPE = "/"


@pwa_blueprint.after_request
def compress(response):
    """Brotli or gzip for the answers made per request (catalogs, the service worker, a flyer's page); the
    app's files come compressed already (`static_file`)."""
    return compress_response(response)


@lru_cache(maxsize=1)
def favicon_ico() -> bytes:
    """The app's icon as `favicon.ico` (16 and 32 pixels: 2 KB), for browsers and pages that ask for it (the
    app's own pages link its SVG icon)."""
    with Image.open(PWA_DIR / "icons" / "icon-192.png") as icon:
        out = io.BytesIO()
        icon.save(out, format="ICO", sizes=[(16, 16), (32, 32)])
    return out.getvalue()


@pwa_blueprint.get("/favicon.ico")
def favicon():
    response = Response(favicon_ico(), mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@pwa_blueprint.get("/")
def home():
    return redirect("/app/", code=302)


#: The field app may be framed by the workspace's preview (same origin only); its one inline script is the
#: import map, allowed by its hash.
APP_SHELL_CSP = ("default-src 'self'; script-src 'self' {scripts}; style-src 'self' {styles}; "
                 "img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
                 "frame-ancestors 'self'; form-action 'self'")


def shell_response(head: str = "", inline: bool = False):
    """The app's page: versioned links, its import map and `head`, with `inline` its first screen's code and
    style in the page; never kept without asking (a new build links new files)."""
    html, scripts, styles = shell_html(PWA_DIR, head, inline)
    response = Response(html, mimetype="text/html")
    csp = APP_SHELL_CSP.format(scripts=scripts, styles=styles)
    response.headers["Content-Security-Policy"] = csp.replace(" ;", ";")
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa_blueprint.get("/f/<code>")
@public_rate_limit
def flyer(code):
    """The short link under a flyer's QR code: the field app itself, with the flyer's campaign in the page (no
    redirect, no second request before the first screen), or a friendly page when the poll cannot open."""
    code = normalise_code(code)[:16]
    source = db.session.scalars(select(Source).where(Source.code == code)).first() if code else None
    if source is None or source.kind != "flyer":  # a door-to-door team's code opens nothing for visitors
        return flyer_page(None, "unknown", 404)
    if source.revoked_at is not None or source.campaign.state == "closed":
        return flyer_page(source, "closed", 410)
    if source.campaign.state != "published":
        return flyer_page(source, "not_yet", 404)
    lang = request.args.get("lang")
    lang = lang if lang in LANGUAGES else None
    payload, _etag = flyer_document(source)
    handed_over = {"code": code, "lang": lang, "document": payload}
    i18n = {"languages": languages_document(),
            "catalogs": {code: app_catalog(code) for code in likely_catalogs(payload["campaign"], lang)}}
    head = (f'<script type="application/json" id="flyer-data">{htmlsafe_json_dumps(handed_over)}</script>\n'
            f'<script type="application/json" id="i18n-data">{htmlsafe_json_dumps(i18n)}</script>\n')
    response = shell_response(head, inline=True)
    response.vary.add("Accept-Language")
    return response


def likely_catalogs(campaign: dict, lang: str | None) -> list[str]:
    """The catalogs the app will load first (as `main.js` chooses): the language asked for or the browser's,
    and the campaign's language for this visitor if that is another."""
    browser = lang or request.accept_languages.best_match(list(LANGUAGES), DEFAULT_LANGUAGE)
    languages = campaign["languages"]
    chosen = browser if browser in languages else (
        request.accept_languages.best_match(languages) or campaign["default_language"])
    return list(dict.fromkeys([browser, chosen]))


def flyer_page(source, reason: str, status: int):
    """Why the poll does not open, in the visitor's language, with the campaign's title where it has one."""
    languages = source.campaign.definition["languages"] if source is not None else []
    if source is not None:
        use_page_languages(languages, source.campaign.definition.get("default_language", DEFAULT_LANGUAGE))
    language = current_language()
    title = source.campaign.title(language) if source is not None else ""
    direction = text_direction(language)
    html = render_template("flyer_closed.html", reason=reason, title=title, language=language,
                           direction=direction, languages=languages)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@pwa_blueprint.get("/app/")
def app_shell():
    return shell_response()


@pwa_blueprint.get("/app/i18n/languages.json")
def languages():
    """The pickers' languages: code, own name, direction, formatting locale, reviewed, resident completeness."""
    response = jsonify(languages_document())
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa_blueprint.get("/app/i18n/<lang>.json")
def catalog(lang):
    """The resident-facing messages of one language, from the same `.po` file the server uses."""
    if lang not in LANGUAGES:
        abort(404)
    response = jsonify(app_catalog(lang))
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa_blueprint.get("/app/pictograms/<name>.svg")
def pictogram(name):
    return static_file(f"pictograms/{name}.svg")


@pwa_blueprint.get("/app/sw.js")
def service_worker():
    """The service worker, with the precache manifest of this build filled in."""
    response = Response(service_worker_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = SERVICE_WORKER_SCOPE
    return response


@pwa_blueprint.get("/app/js/first-screen.js")
def first_screen():
    """The first screen's modules in one file (`pwa_bundle.py`); without a bundle, nothing is here."""
    bundle = first_screen_bundle(PWA_DIR)
    if bundle is None:
        abort(404)
    data = bundle[0]
    return asset_response(data, "text/javascript", hashlib.sha256(data).hexdigest()[:12], versioned=True)


@pwa_blueprint.get("/app/js/first-screen-exports.js")
def first_screen_exports():
    """The bundle's exports for the screens loaded later."""
    found = bundle_exports(PWA_DIR)
    if found is None:
        abort(404)
    return asset_response(found[1], "text/javascript", found[0].rsplit("=", 1)[1], versioned=True)


@pwa_blueprint.get("/app/<path:path>")
def static_file(path):
    """One of the app's files, sent from memory (each is a few kilobytes: a phone that closes the app while it
    loads drops the connection, and werkzeug's development server then leaves an open file unclosed), compressed
    once for every browser that takes brotli or gzip. Asked for by its current versioned address
    (`?v=<content hash>`), it is kept for a year."""
    found = safe_join(str(PWA_DIR), path)
    if path == "index.html":
        return shell_response()
    if found is None or not Path(found).is_file():
        abort(404)
    file = Path(found)
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = asset_response(file.read_bytes(), mimetype, content_version(file), is_versioned(path),
                              no_cache=file.name in NO_CACHE or path.endswith((".js", ".css")),
                              modified=file.stat().st_mtime)
    if file.name == "sw.js":
        response.headers["Service-Worker-Allowed"] = SERVICE_WORKER_SCOPE
    return response


def asset_response(data: bytes, mimetype: str, version: str, versioned: bool, no_cache: bool = True,
                   modified: float | None = None):
    """A file of the app: a year's lifetime when asked for by its current version (`?v=`), else revalidated
    (`no_cache`) or kept an hour; brotli or gzip made once (on disk) for a browser that takes them, with an
    ETag of each variant's own; Range requests for the bytes as they are."""
    response = Response(data, mimetype=mimetype)
    response.last_modified = modified
    asked = request.args.get("v")
    if versioned and asked == version:
        response.headers["Cache-Control"] = IMMUTABLE
    else:  # an old version's address gets today's file, to be asked for again
        response.headers["Cache-Control"] = "no-cache" if no_cache or asked else "public, max-age=3600"
    if mimetype.startswith(COMPRESSIBLE):
        response.vary.add("Accept-Encoding")
    encoding = chosen_encoding(mimetype, len(data))
    if encoding is None:
        response.set_etag(version)
        return response.make_conditional(request, accept_ranges=True, complete_length=len(data))
    response.set_data(encoded_once(data, encoding, on_disk=True))
    response.headers["Content-Encoding"] = encoding
    response.set_etag(f"{version}-{ETAG_SUFFIX[encoding]}")
    return response.make_conditional(request)


def warm_app_files(app) -> int:
    """Ask for the app's shell and every precached file once in brotli and in gzip, so the compressed copies
    are made (on disk, `compression.py`) before the first phone asks; `wijkstem serve` does this at start."""
    client = app.test_client()
    urls = ["/app/", *precache_manifest()["files"]]
    for encoding in ("br", "gzip"):
        for url in urls:
            client.get(url, headers={"Accept-Encoding": encoding}).close()
    return len(urls)
