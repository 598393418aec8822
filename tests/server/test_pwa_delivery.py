"""Fast on a weak link without a proxy: brotli/gzip by Accept-Encoding, a year's cache for versioned files only,
the first screen in one file, and a flyer's link that opens the app without a redirect (issue 12, section 7)."""

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import brotli
import pytest

from server import paths
from server.pwa_assets import BUNDLE_URL, EXPORTS_URL, precache_manifest, shell_html
from server.pwa_bundle import bundle_source, first_screen_modules

PWA = paths.PWA_DIR
IMMUTABLE = "public, max-age=31536000, immutable"
SYNC_JS = (PWA / "js" / "sync.js").read_bytes()
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


def linked(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/app/[^"]+\?v=[0-9a-f]{12})"', html)


@pytest.mark.parametrize(("accept", "encoding"), [("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip"),
                                                  ("gzip", "gzip"), ("identity", None), ("", None)])
def test_a_file_goes_out_in_the_best_encoding_the_browser_takes_with_its_own_etag(client, accept, encoding):
    with client.get("/app/js/sync.js", headers={"Accept-Encoding": accept}) as reply:
        assert reply.status_code == 200 and reply.headers.get("Content-Encoding") == encoding
        assert "Accept-Encoding" in reply.headers["Vary"]
        assert int(reply.headers["Content-Length"]) == len(reply.data)
        assert (DECODE[encoding](reply.data) if encoding else reply.data) == SYNC_JS
        etag = reply.headers["ETag"]
    assert etag.endswith({"br": '-br"', "gzip": '-gz"', None: '"'}[encoding]) and not etag.startswith("W/")
    with client.get("/app/js/sync.js", headers={"Accept-Encoding": accept, "If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""


def test_compressed_copies_are_made_once_into_the_instance_folder(app, client):
    with client.get("/app/js/sync.js", headers={"Accept-Encoding": "br"}) as reply:
        body = reply.data
    kept = Path(app.instance_path) / "compressed" / f"{hashlib.sha256(SYNC_JS).hexdigest()}.br"
    assert kept.read_bytes() == body and brotli.decompress(body) == SYNC_JS


def test_images_and_ranges_go_out_as_they_are(client):
    with client.get("/app/icons/icon-192.png", headers={"Accept-Encoding": "br, gzip"}) as icon:
        assert "Content-Encoding" not in icon.headers
    with client.get("/app/js/sync.js", headers={"Range": "bytes=0-9"}) as part:
        assert part.status_code == 206 and part.data == SYNC_JS[:10]


def test_a_clips_range_request_is_unaffected_by_compression(app, client, campaign):
    from server.extensions import db
    from server.voicepacks.operations import record_clip
    from tests.factories import spoken_wav

    clip = record_clip(campaign, "thanks", "en", spoken_wav("Thank you!", "en"))
    db.session.commit()
    headers = {"Accept-Encoding": "br, gzip", "Range": "bytes=0-3"}
    with client.get(f"/api/v1/clips/{clip.id}", headers=headers) as part:
        assert part.status_code == 206 and part.data == b"OggS" and "Content-Encoding" not in part.headers


def test_versioned_addresses_are_kept_a_year_and_nothing_else_is(client):
    html = client.get("/app/").get_data(as_text=True)
    urls = linked(html)
    assert f"{BUNDLE_URL}?v=" in html and any(u.startswith("/app/css/app.css?v=") for u in urls)
    for url in urls:
        with client.get(url) as reply:
            assert reply.status_code == 200 and reply.headers["Cache-Control"] == IMMUTABLE, url
    stale = re.sub(r"\?v=\w+", "?v=000000000000", urls[0])
    for url in ["/app/", "/app/sw.js", "/app/i18n/nl.json", "/app/i18n/languages.json", "/app/js/sync.js",
                "/app/manifest.webmanifest", stale]:
        with client.get(url) as reply:
            assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-cache", url


def test_the_precache_holds_exactly_the_addresses_the_shell_and_its_import_map_use(client):
    html = client.get("/app/").get_data(as_text=True)
    mapping = json.loads(re.search(r'<script type="importmap">(.*?)</script>', html).group(1))["imports"]
    files = set(precache_manifest()["files"])
    assert set(linked(html)) <= files and set(mapping.values()) <= files
    modules = {f"/app/{m.relative_to(PWA).as_posix()}" for m in PWA.glob("js/**/*.js")}
    assert set(mapping) == modules  # every module, also those loaded later, by its versioned address


def test_the_import_map_is_the_one_inline_script_and_the_csp_allows_it_by_hash(client):
    with client.get("/app/") as reply:
        html = reply.get_data(as_text=True)
        csp = reply.headers["Content-Security-Policy"]
    mapping = re.search(r'<script type="importmap">(.*?)</script>', html).group(1)
    digest = base64.b64encode(hashlib.sha256(mapping.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in csp and "'unsafe-inline'" not in csp
    assert html.index('type="importmap"') < html.index('type="module"')
    assert "modulepreload" not in html  # the first screen is one file


def test_the_bundle_holds_the_first_screens_modules_and_exports_all_they_export(client):
    source, order, names = bundle_source(PWA)
    entry, preloaded = first_screen_modules(PWA)
    assert order[-1] == entry and set(order) == {entry, *preloaded}
    assert order.index("js/db.js") < order.index("js/campaigns.js")  # dependencies run first
    exported = set(re.search(r"export const \{ (.*) \} =", source).group(1).split(", "))
    for module in order:
        text = (PWA / module).read_text(encoding="utf-8")
        own = re.findall(r"^export (?:async )?(?:function|const|class) (\w+)", text, flags=re.M)
        assert set(own) <= exported, module
    assert not re.search(r"^\s*(import|export) [^(]", source.split("export const {")[0], flags=re.M)
    with client.get(f"{BUNDLE_URL}?v={hashlib.sha256(source.encode()).hexdigest()[:12]}") as reply:
        assert reply.data == source.encode() and reply.headers["Cache-Control"] == IMMUTABLE
    # the screens loaded later import the bundled modules from a small module of the same exports
    html = client.get("/app/").get_data(as_text=True)
    mapping = json.loads(re.search(r'<script type="importmap">(.*?)</script>', html).group(1))["imports"]
    exports_url = mapping["/app/js/ui.js"]
    assert {mapping[f"/app/{m}"] for m in order} == {exports_url} and exports_url.startswith(EXPORTS_URL)
    with client.get(exports_url) as reply:
        code = reply.get_data(as_text=True)
        assert reply.headers["Cache-Control"] == IMMUTABLE and len(code) < len(source) / 10
    assert re.search(r"export const \{ (.*) \} =", code).group(1).split(", ") == names


def test_without_a_bundle_the_shell_loads_the_modules_one_by_one(tmp_path):
    import shutil

    copy = tmp_path / "pwa"
    shutil.copytree(PWA, copy)
    with (copy / "js" / "util.js").open("a") as module:
        module.write("\nexport let changing = 1;\n")  # a binding the bundle cannot keep alive
    html, _scripts, _styles = shell_html(copy)
    assert "first-screen.js" not in html and 'rel="modulepreload" href="/app/js/ui.js?v=' in html


def test_a_flyers_link_is_the_app_with_its_campaign_in_the_page(client, flyer):
    with client.get(f"/f/{flyer.code.lower()}", headers={"Accept-Language": "tr, en;q=0.5"}) as reply:
        assert reply.status_code == 200 and "Location" not in reply.headers and reply.mimetype == "text/html"
        assert reply.headers["Cache-Control"] == "no-cache" and "frame-ancestors 'self'" in \
            reply.headers["Content-Security-Policy"]
        html = reply.get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="flyer-data">(.*?)</script>', html,
                                flags=re.S).group(1))
    assert data["code"] == flyer.code and data["lang"] is None
    assert data["document"] == client.get(f"/api/v1/sources/{flyer.code}").json
    i18n = json.loads(re.search(r'id="i18n-data">(.*?)</script>', html, flags=re.S).group(1))
    assert i18n["languages"] == client.get("/app/i18n/languages.json").json
    assert i18n["catalogs"]["tr"] == client.get("/app/i18n/tr.json").json  # Turkish is one of the campaign's
    assert list(i18n["catalogs"]) == ["tr"]
    chosen = client.get(f"/f/{flyer.code}?lang=ar").get_data(as_text=True)
    assert '"lang": "ar"' in chosen and '"ar": {' in chosen
    assert '"lang": null' in client.get(f"/f/{flyer.code}?lang=xx").get_data(as_text=True)
    assert client.get("/f/k7m2qx").status_code == 404


def test_a_flyers_page_escapes_the_campaign_it_carries(client, flyer):
    page = client.get(f"/f/{flyer.code}").get_data(as_text=True)
    block = re.search(r'id="flyer-data">(.*?)</script>', page, flags=re.S).group(1)
    assert "<" not in block and ">" not in block  # a "</script>" in a text cannot end the block
    assert json.loads(block)["code"] == flyer.code


def test_a_flyers_page_and_campaign_go_out_compressed_and_revalidate(client, flyer):
    with client.get(f"/f/{flyer.code}", headers={"Accept-Encoding": "br"}) as page:
        assert page.headers["Content-Encoding"] == "br" and b"flyer-data" in brotli.decompress(page.data)
    url = f"/api/v1/sources/{flyer.code}"
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as reply:
        assert reply.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(reply.data))["source"]
        etag = reply.headers["ETag"]
    assert etag.endswith('-gz"')
    with client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_the_service_worker_may_control_flyer_pages(client):
    with client.get("/app/sw.js") as reply:
        assert reply.headers["Service-Worker-Allowed"] == "/"
        source = reply.get_data(as_text=True)
    assert 'url.pathname.startsWith("/f/")' in source
    update = (PWA / "js" / "update.js").read_text(encoding="utf-8")
    assert 'register("/app/sw.js", { scope: "/"' in update


def test_a_flyers_page_carries_the_first_screens_code_and_style_allowed_by_their_hashes(client, flyer):
    with client.get(f"/f/{flyer.code}") as reply:
        html = reply.get_data(as_text=True)
        csp = reply.headers["Content-Security-Policy"]
    source, _order, _names = bundle_source(PWA)
    bundle_url = f"{BUNDLE_URL}?v={hashlib.sha256(source.encode()).hexdigest()[:12]}"
    assert f'<script type="module" data-src="{bundle_url}">{source}</script>' in html
    css = (PWA / "css" / "app.css").read_text(encoding="utf-8")
    assert f'">{css}</style>' in html and 'rel="stylesheet"' not in html
    for text in (source, css):
        assert f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'" in csp
    assert "'unsafe-inline'" not in csp
    assert bundle_url in precache_manifest()["files"]  # what the page hands over to the service worker


def test_the_apps_own_page_links_its_files_instead():
    html, _scripts, styles = shell_html(PWA)
    assert re.search(r'<script type="module" src="/app/js/first-screen.js\?v=\w{12}"></script>', html)
    assert re.search(r'<link rel="stylesheet" href="/app/css/app.css\?v=\w{12}">', html) and styles == ""


def test_a_favicon_is_served_and_every_kind_of_page_links_the_apps_icon(client):
    """Issue 12: every page of the workspace and the app cost a 404 for /favicon.ico."""
    from io import BytesIO

    from PIL import Image

    with client.get("/favicon.ico") as reply:
        assert reply.status_code == 200 and reply.mimetype == "image/vnd.microsoft.icon"
        with Image.open(BytesIO(reply.data)) as icon:
            assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    for url in ("/workspace/sign-in", "/erase", "/f/K7M2QX", "/r/NOTKNOWN", "/app/"):
        html = client.get(url).get_data(as_text=True)
        icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
        assert icon, url
        assert client.get(icon.group(1)).status_code == 200, url


def test_a_large_answer_goes_out_quickly_compressed_at_once_and_best_compressed_after(app):
    import time

    from server import compression

    data = json.dumps([{"text": f"Hoe fijn woon je in de buurt {n}?", "n": n} for n in range(4000)]).encode()
    assert len(data) > compression.QUICK_ABOVE
    with app.test_request_context(headers={"Accept-Encoding": "br"}):
        first = compression.encoded_once(data, "br", on_disk=False)
        best = brotli.compress(data, quality=11)
        for _ in range(200):  # the thread replaces the quick copy
            if compression.encoded_once(data, "br", on_disk=False) == best:
                break
            time.sleep(0.05)
        assert brotli.decompress(first) == data
        assert compression.encoded_once(data, "br", on_disk=False) == best
