"""Serving the field app (`pwa/`), its language catalogs and the short flyer links."""

import gzip
from functools import lru_cache

from flask import Blueprint, Response, abort, jsonify, redirect, request, send_from_directory
from werkzeug.utils import safe_join

from .i18n import LANGUAGES, catalog_json
from .paths import PWA_DIR

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


@pwa_blueprint.get("/f/<code>")
def flyer(code):
    """The short link printed under a flyer's QR code."""
    return redirect(f"/app/#flyer={code.upper()[:16]}", code=302)


@pwa_blueprint.get("/app/")
def app_shell():
    return static_file("index.html")


@pwa_blueprint.get("/app/i18n/<lang>.json")
def catalog(lang):
    """The messages of one language, compiled from the same `.po` file the server uses."""
    if lang not in LANGUAGES:
        abort(404)
    response = jsonify(catalog_json(lang))
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa_blueprint.get("/app/pictograms/<name>.svg")
def pictogram(name):
    return static_file(f"pictograms/{name}.svg")


@pwa_blueprint.get("/app/sw.js")
def service_worker():
    """The service worker, with the precache manifest of this build filled in."""
    from .pwa_assets import service_worker_source

    response = Response(service_worker_source(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@pwa_blueprint.get("/app/<path:path>")
def static_file(path):
    if safe_join(str(PWA_DIR), path) is None:
        abort(404)
    response = send_from_directory(PWA_DIR, path, max_age=0)
    name = path.rsplit("/", 1)[-1]
    revalidate = name in NO_CACHE or path.endswith(".js")
    response.headers["Cache-Control"] = "no-cache" if revalidate else "public, max-age=3600"
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/app/"
    return response
