"""The field app's files as the server hands them out: precache manifest, service worker, compression,
catalog coverage, and the house rules of `pwa/` (small modules, preloaded first screen, drawn pictograms)."""

import gzip
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from babel.messages.extract import extract_from_file
from PIL import Image

from server import paths
from server.demo import DEMO_DEFINITION
from server.i18n import LANGUAGES, catalog_json
from server.pwa_assets import MARKER, precache_manifest
from server.pwa_bundle import bundle_source

PWA = paths.PWA_DIR
MODULES = sorted(PWA.glob("js/**/*.js"))


def file_of(url: str) -> Path:
    url = url.split("?", 1)[0]  # a versioned address: `?v=<content hash>`
    return PWA / ("index.html" if url == "/app/" else url.removeprefix("/app/"))


def test_precache_lists_the_shell_modules_pictograms_and_dutch_catalog_but_not_itself():
    files = precache_manifest()["files"]
    plain = {url.split("?", 1)[0] for url in files}
    assert "/app/" in files and "/app/i18n/nl.json" in files and "/app/css/app.css" in plain
    bundled = {f"/app/{m}" for m in bundle_source(PWA)[1]}  # pages import these from the first screen's bundle
    assert {f"/app/{m.relative_to(PWA).as_posix()}" for m in MODULES} - bundled <= plain
    assert {"/app/js/first-screen.js", "/app/js/first-screen-exports.js"} <= plain
    assert {f"/app/pictograms/{p.stem}.svg" for p in PWA.glob("pictograms/*.svg")} <= set(files)
    assert "/app/sw.js" not in plain and not [f for f in files if f.endswith(".png")]
    assert all(file_of(f).is_file() for f in files if not f.startswith(("/app/i18n/", "/app/js/first-screen")))


def test_service_worker_is_served_with_its_manifest_filled_in(client):
    reply = client.get("/app/sw.js")
    assert reply.status_code == 200 and reply.mimetype == "text/javascript"
    assert reply.headers["Service-Worker-Allowed"] == "/" and reply.headers["Cache-Control"] == "no-cache"
    source = reply.get_data(as_text=True)
    assert MARKER not in source
    manifest = json.loads(re.search(r"const PRECACHE = (\{.*?\});", source).group(1))
    assert manifest == precache_manifest()
    assert manifest["languages"] == list(LANGUAGES)


def test_the_version_follows_every_precached_file(tmp_path, monkeypatch):
    copy = tmp_path / "pwa"
    shutil.copytree(PWA, copy)
    before = precache_manifest(copy)["version"]
    assert precache_manifest(copy)["version"] == before
    with (copy / "js" / "util.js").open("a") as module:
        module.write("\n// changed\n")
    assert precache_manifest(copy)["version"] != before


def test_text_is_gzipped_for_browsers_that_take_it_and_still_revalidates(client):
    with client.get("/app/js/sync.js") as plain:
        assert "Content-Encoding" not in plain.headers
        assert plain.data == (PWA / "js" / "sync.js").read_bytes()
    with client.get("/app/js/sync.js", headers={"Accept-Encoding": "gzip, deflate"}) as zipped:
        assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
        assert gzip.decompress(zipped.data) == (PWA / "js" / "sync.js").read_bytes()
        etag = zipped.headers["ETag"]
    with client.get("/app/js/sync.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/app/icons/icon-192.png", headers={"Accept-Encoding": "gzip"}) as icon:
        assert "Content-Encoding" not in icon.headers


def test_flyer_links_open_the_app_and_catalogs_are_served(client, flyer):
    page = client.get(f"/f/{flyer.code.lower()}")
    assert page.status_code == 200 and f'"code": "{flyer.code}"' in page.get_data(as_text=True)
    assert client.get("/f/k7m2qx").status_code == 404
    assert client.get("/app/i18n/nl.json").json["Start"] == "Beginnen"
    assert client.get("/app/i18n/xx.json").status_code == 404


def test_the_app_gets_every_message_it_shows_and_not_the_workspaces(client):
    served = client.get("/app/i18n/nl.json").json
    assert js_messages() <= set(served)
    assert "Sign out" not in served and "Flyers and sources" not in served


def js_messages() -> set[str]:
    found = set()
    for module in MODULES:
        for _line, message, _comments, _context in extract_from_file("javascript", str(module),
                                                                       keywords={"_": None, "N_": None}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_interface_text_of_the_app_has_a_dutch_translation():
    messages = js_messages()
    assert len(messages) > 80
    dutch = catalog_json("nl")
    assert sorted(m for m in messages if not dutch.get(m)) == []
    placeholders = re.compile(r"\{(\w+)\}")
    assert [m for m in messages if set(placeholders.findall(m)) != set(placeholders.findall(dutch[m]))] == []
    assert not [m for m in messages if "%(" in m]


def test_the_app_reads_the_servers_language_table_instead_of_keeping_its_own(client):
    served = client.get("/app/i18n/languages.json").json["languages"]
    assert [(e["code"], e["name"], e["dir"]) for e in served] == [
        (code, language.native_name, language.direction) for code, language in LANGUAGES.items()]
    assert "/app/i18n/languages.json" in precache_manifest()["files"]
    source = (PWA / "js" / "i18n.js").read_text(encoding="utf-8")
    assert set(re.findall(r'\b(\w+): \{ name: "', source)) == {"nl", "en"}  # the offline fallback only
    html = (PWA / "index.html").read_text(encoding="utf-8")
    assert '<link rel="preload" href="/app/i18n/languages.json" as="fetch" crossorigin>' in html


def static_imports(module: Path) -> set[Path]:
    text = module.read_text(encoding="utf-8")
    return {(module.parent / target).resolve()
            for target in re.findall(r'^import\s+(?:[^;]*?\s+from\s+)?"(\.{1,2}/[^"]+)";', text, flags=re.M)}


def test_the_first_screens_modules_are_preloaded_in_parallel_and_no_others():
    needed, todo = set(), [PWA / "js" / "main.js"]
    while todo:
        for module in static_imports(todo.pop()) - needed:
            needed.add(module)
            todo.append(module)
    html = (PWA / "index.html").read_text(encoding="utf-8")
    preloaded = {file_of(url).resolve() for url in re.findall(r'rel="modulepreload" href="([^"]+)"', html)}
    assert preloaded == needed


def test_modules_stay_small():
    assert {m.name: n for m in MODULES if (n := len(m.read_text().splitlines())) >= 200} == {}


def test_every_pictogram_of_the_demo_is_drawn_and_licensed():
    choices = [c for q in DEMO_DEFINITION["questions"] for c in q.get("choices", [])]
    names = {c["pictogram"] for c in choices if c.get("pictogram")}
    for name in names:
        svg = ET.parse(PWA / "pictograms" / f"{name}.svg").getroot()
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox")
    assert "CC0" in (PWA / "pictograms" / "LICENSE").read_text()


def test_manifest_icons_exist_in_their_declared_sizes():
    manifest = json.loads((PWA / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == manifest["scope"] == "/app/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        path = file_of(icon["src"])
        assert path.is_file()
        if icon["type"] == "image/png":
            width, height = icon["sizes"].split("x")
            with Image.open(path) as image:
                assert image.size == (int(width), int(height))
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_the_apps_pictograms_are_svg_never_emoji():
    """A phone without a colour-emoji font shows emoji as empty boxes (two smileys and the microphone did)."""
    emoji = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
    found = {module.name: emoji.findall(module.read_text(encoding="utf-8")) for module in MODULES}
    assert {name: chars for name, chars in found.items() if chars} == {}
    icons = (PWA / "js" / "icons.js").read_text(encoding="utf-8")
    for name in ("smiley1", "smiley5", "mic", "language", "speaker", "yes", "no"):
        assert re.search(rf"^\s+{name}: ", icons, flags=re.M), name


def test_arabic_and_ethiopic_scripts_have_named_fonts():
    css = (PWA / "css" / "app.css").read_text(encoding="utf-8")
    arabic = re.search(r":lang\(ar\) \{ font-family: ([^;]+);", css).group(1)
    ethiopic = re.search(r":lang\(ti\)[^{]*\{ font-family: ([^;]+);", css).group(1)
    assert '"Noto Sans Arabic"' in arabic and '"Geeza Pro"' in arabic
    assert all(font in ethiopic for font in ('"Noto Sans Ethiopic"', '"Abyssinica SIL"', '"Nyala"', '"Kefa"'))
