"""Serving the field app (`pwa/`), its language catalogs and the short flyer links."""

import gzip
import io
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
    send_file,
)
from sqlalchemy import select
from werkzeug.utils import safe_join

from .campaigns.models import Source
from .extensions import db
from .i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, text_direction, use_page_languages
from .i18n_status import app_catalog, languages_document
from .paths import PWA_DIR
from .pwa_assets import service_worker_source
from .ratelimits import public_rate_limit
from .util import normalise_code

pwa_blueprint = Blueprint("pwa", __name__)
NO_CACHE = {"index.html", "sw.js", "manifest.webmanifest"}
#: Text worth compressing for phones on slow links (a reverse proxy may do this instead).
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json",
                "image/svg+xml")


@lru_cache(maxsize=256)
def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


@pwa_blueprint.after_request
def compress(response):
    """Gzip the app's text when the browser takes it; the ETag turns weak, so revalidation still gives 304."""
    if (response.status_code != 200 or "gzip" not in request.headers.get("Accept-Encoding", "")
            or not response.mimetype.startswith(COMPRESSIBLE) or "Content-Encoding" in response.headers):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < 512:
        return response
    response.set_data(gzipped(data))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, _weak = response.get_etag()
    if etag:
        response.set_etag(etag, weak=True)
    return response


@pwa_blueprint.get("/")
def home():
    return redirect("/app/", code=302)


#: The field app may be framed by the workspace's preview (same origin only).
APP_SHELL_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; "
                 "base-uri 'none'; frame-ancestors 'self'; form-action 'self'")


@pwa_blueprint.get("/f/<code>")
@public_rate_limit
def flyer(code):
    """The short link under a flyer's QR code: the field app, or a friendly page when the poll cannot open."""
    code = normalise_code(code)[:16]
    source = db.session.scalars(select(Source).where(Source.code == code)).first() if code else None
    if source is None or source.kind != "flyer":  # a door-to-door team's code opens nothing for visitors
        return flyer_page(None, "unknown", 404)
    if source.revoked_at is not None or source.campaign.state == "closed":
        return flyer_page(source, "closed", 410)
    if source.campaign.state != "published":
        return flyer_page(source, "not_yet", 404)
    lang = request.args.get("lang")
    return redirect(f"/app/#flyer={code}" + (f"&lang={lang}" if lang in LANGUAGES else ""), code=302)


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
    response = static_file("index.html")
    response.headers["Content-Security-Policy"] = APP_SHELL_CSP
    return response


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
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@pwa_blueprint.get("/app/<path:path>")
def static_file(path):
    """One of the app's files, sent from memory (each is a few kilobytes): a phone that closes the app while it
    loads drops the connection, and werkzeug's development server then leaves an open file unclosed."""
    found = safe_join(str(PWA_DIR), path)
    if found is None or not Path(found).is_file():
        abort(404)
    file = Path(found)
    stat = file.stat()
    response = send_file(io.BytesIO(file.read_bytes()), download_name=file.name, conditional=True,
                         etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}", last_modified=stat.st_mtime, max_age=0)
    name = path.rsplit("/", 1)[-1]
    revalidate = name in NO_CACHE or path.endswith(".js")
    response.headers["Cache-Control"] = "no-cache" if revalidate else "public, max-age=3600"
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/app/"
    return response
