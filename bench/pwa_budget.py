"""Field-app budget: the bytes a phone needs, the time to a usable screen on a slow link, a minute of voice.

What is measured, in one run against a real Wijkstem server (werkzeug in a thread, SQLite, the demo campaign)
and Debian's Chromium:

* Bytes: a resident opens a flyer link for the first time, the service worker installs, the phone goes
  offline and queues one response. Every body the server sent (first 200 of each URL, found by a WSGI
  recorder around the app) is brotli-compressed (quality 11) and summed; JavaScript separately.
  Targets: total <= 100 KB, JavaScript <= 60 KB. Headers are not counted.
* First load: the page on an emulated 400 kb/s link with 400 ms round trips (CDP
  Network.emulateNetworkConditions), from navigation to `/f/<code>` to the campaign's start screen with its
  button, by `--runs` new phones (fresh browser contexts; median reported, with the spread). The raw limit of
  each run: a fresh page on the same throttled link downloading one file of as many bytes as that page had
  received when its screen was usable (the Resource Timing `encodedBodySize` of every answer finished by then:
  the bytes as they crossed the link). Targets: 5 s, and at most 1.3 x the raw limit (issue 12). The server has
  made its compressed files before (`warm_app_files`, as `wijkstem serve` does), and the browser has opened one
  page before, so neither start counts as the link's cost. Both times are read in the page's own clock (ours:
  the frame in which the start screen was first drawn; raw: the navigation's `responseEnd`), so Playwright's
  delay in noticing either is not counted.
* Repeat visit: the same phone reloads on the same slow link, three times, median (the service worker serves
  the shell, the campaign comes from IndexedDB). Target: 0.5 s. Raw limit: one round trip (a 304 on the same link).
* Voice: a recording of `--voice-seconds` (default 60) from Chromium's fake microphone through the app's
  recorder (24 kb/s Opus). Target: <= 200 KB for a minute. Raw limit: 24 kb/s times the duration.
* Listen mode's clips (docs/listen-mode.md) are not part of the app shell: the bodies under /api/v1/clips/ and
  /api/v1/prompts/ are left out of the totals above and reported on their own (as served: Opus does not
  compress). The bytes of one language's clips (`--clips-language`, default nl: the campaign's texts and the
  team's voice pack) are summed from the demo campaign's `audio` map. Target: <= 300 KB per language. While
  the demo has no clips the line says so and there is no target to meet.

    python bench/pwa_budget.py [--voice-seconds 60] [--runs 5] [--clips-language nl]
                               [--json bench/results/pwa_budget.json] [--smoke]
"""

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import brotli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KB = 1024
SLOW = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
TARGETS = {"total_kb": 100, "js_kb": 60, "first_load_s": 5.0, "first_load_ratio": 1.3, "repeat_visit_s": 0.5,
           "voice_minute_kb": 200,
           "clips_language_kb": 300}
#: Asked for by the raw limit's pages (the app's own pages link their SVG icon).
NOT_THE_APPS = {"/favicon.ico"}
#: Audio the app caches for listen mode and recorded prompts: media, not the app shell.
CLIP_PATHS = ("/api/v1/clips/", "/api/v1/prompts/")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


class Recorder:
    """WSGI middleware: counts the bytes sent, keeps the first successful (unzipped) body of every URL, and
    serves a raw blob for the network floor."""

    def __init__(self, app):
        self.app, self.bodies, self.lock, self.sent = app, {}, threading.Lock(), 0

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/__bench/blob":
            size = int(environ.get("QUERY_STRING", "n=0").split("=")[1])
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(size)), ("Cache-Control", "no-store")])
            return [b"x" * size]
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["type"] = dict(headers).get("Content-Type", "")
            captured["encoding"] = dict(headers).get("Content-Encoding", "")
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, capture))
        with self.lock:
            self.sent += len(body)
            if captured["status"] == 200 and path not in self.bodies and path not in NOT_THE_APPS:
                self.bodies[path] = (captured["type"], decoded(body, captured["encoding"]))
        return [body]


def decoded(body: bytes, encoding: str) -> bytes:
    """The body as the app made it, before the server compressed it for the wire."""
    if encoding == "br":
        return brotli.decompress(body)
    return gzip.decompress(body) if encoding == "gzip" else body


def start_server(folder: Path):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from server import create_app
    from server.campaigns.models import Source
    from server.demo import ensure_demo
    from server.extensions import db
    from server.pwa_views import warm_app_files

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "MEDIA_DIR": str(folder),
                      "SECRET_KEY": "bench", "RATELIMIT_ANONYMOUS": "100000/minute"})
    with app.app_context():
        upgrade()
        ensure_demo()
        db.session.commit()
        code = db.session.query(Source).filter_by(kind="flyer").first().code
    clips = clip_bytes_by_language(app, code)
    warm_app_files(app)  # as `wijkstem serve` does before the first phone asks
    recorder = Recorder(app.wsgi_app)
    app.wsgi_app = recorder
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", code, recorder, clips


def throttled(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW)
    return cdp


#: Set in the page: when the start screen with its button was first drawn (the frame after it appeared), in the
#: page's own clock (milliseconds since the navigation started). Read from the page, so that the harness's own
#: delay in noticing it (Playwright polls, and answers late on a loaded machine) is not counted.
USABLE = "body[data-ready='true'] main button.primary"
WATCH_USABLE = """(() => {
  const check = () => {
    if (self.__usableAt !== undefined || !document.querySelector("USABLE")) return;
    self.__usableAt = null;
    requestAnimationFrame(() => { self.__usableAt = performance.now(); });
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true });
})();""".replace("USABLE", USABLE)


def usable_after(page, url: str) -> float:
    """Seconds from navigation to the campaign's start screen with its button, drawn (the page's own clock)."""
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => typeof self.__usableAt === 'number'", timeout=60000)
    return page.evaluate("() => self.__usableAt") / 1000


#: The bytes of every answer the page had received (bodies as they crossed the link, compressed or not).
RECEIVED = """() => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .filter((entry) => entry.responseEnd > 0 && entry.responseEnd <= performance.now())
    .reduce((sum, entry) => sum + entry.encodedBodySize, 0)"""


def first_load(browser, base: str, code: str) -> tuple:
    """(context, page, cdp, seconds to the usable start screen, bytes received by then) of a new phone."""
    context = browser.new_context(locale="nl-NL")
    context.add_init_script(WATCH_USABLE)
    page = context.new_page()
    cdp = throttled(context, page)
    seconds = usable_after(page, f"{base}/f/{code}")
    return context, page, cdp, seconds, page.evaluate(RECEIVED)


def queue_one_response_offline(context, page) -> int:
    context.set_offline(True)
    page.get_by_role("button", name="Beginnen", exact=True).click()
    page.locator("input[name='consent-answers'][value='yes']").check()
    page.locator("input[name='consent-audio'][value='no']").check()
    page.get_by_role("button", name="Volgende", exact=True).click()
    page.locator("input[name='q-wonen'][value='4']").check()
    page.get_by_role("button", name="Volgende", exact=True).click()
    for question in range(2, 7):  # the voice-only question is left out without consent for recording
        page.get_by_text(f"Vraag {question} van 6").wait_for()
        page.get_by_role("button", name="Overslaan", exact=True).click()
    page.get_by_role("button", name="Versturen", exact=True).click()
    page.wait_for_selector("main .code")
    return page.evaluate("async () => { const db = await import('/app/js/db.js'); "
                         "return db.count(db.RESPONSES); }")


def compressed_bytes(bodies: dict) -> dict:
    total = js = clips = 0
    rows = []
    for path, (content_type, body) in sorted(bodies.items()):
        if path.startswith(CLIP_PATHS):
            clips += len(body)
            continue
        size = len(brotli.compress(body, quality=11))
        total += size
        js += size if "javascript" in content_type else 0
        rows.append((path, len(body), size))
    return {"total": total, "js": js, "clips": clips, "files": rows}


def clip_bytes_by_language(app, code: str) -> dict[str, int]:
    """The bytes of each language's clips in the flyer's campaign document (its `audio` map), if it has one."""
    document = app.test_client().get(f"/api/v1/sources/{code}").get_json()["campaign"]
    return {lang: sum(clip.get("bytes", 0) for group in audio.values() for clip in group.values())
            for lang, audio in (document.get("audio") or {}).items()}


def raw_download_seconds(browser, base: str, size: int) -> float:
    context = browser.new_context()
    page = context.new_page()
    throttled(context, page)
    page.goto(f"{base}/__bench/blob?n={size}", wait_until="load")
    seconds = page.evaluate("() => performance.getEntriesByType('navigation')[0].responseEnd") / 1000
    context.close()
    return seconds  # the page's own clock, as for the app: from the navigation's start to the last byte


def voice_note_bytes(browser, base: str, seconds: float) -> int:
    context = browser.new_context(permissions=["microphone"])
    page = context.new_page()
    page.goto(f"{base}/app/")
    page.wait_for_selector("body[data-ready='true']")
    size = page.evaluate("""async (seconds) => {
        const { startRecording } = await import('/app/js/recorder.js');
        const recording = await startRecording({ maxSeconds: seconds + 5 });
        await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        const result = await recording.stop();
        return [result.buffer.byteLength, result.contentType];
    }""", seconds)
    context.close()
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voice-seconds", type=float, default=60)
    parser.add_argument("--clips-language", default="nl", help="the language whose clips are counted")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "pwa_budget.json")
    parser.add_argument("--runs", type=int, default=5, help="first loads, each by a new phone (median reported)")
    parser.add_argument("--smoke", action="store_true",
                        help="a two-second voice note, no JSON kept, only the byte budgets checked")
    options = parser.parse_args()
    if options.smoke:
        options.voice_seconds, options.runs = 2, 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        server, base, code, recorder, clips = start_server(Path(folder))
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        raw_download_seconds(browser, base, 1000)  # the browser's own start is not the link's cost
        loads = []
        for _run in range(options.runs - 1):  # new phones: nothing cached, no service worker
            other, *_parts, seconds, received = first_load(browser, base, code)
            other.close()
            loads.append((seconds, received, raw_download_seconds(browser, base, received)))
        context, page, cdp, seconds, received = first_load(browser, base, code)
        loads.append((seconds, received, None))
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120000)
        page.wait_for_timeout(1500)  # the prompts and pictograms of the campaign reach the media cache
        repeat_visit = statistics.median(usable_after(page, f"{base}/app/") for _visit in range(3))
        cdp.send("Network.emulateNetworkConditions", {**SLOW, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
        queued = queue_one_response_offline(context, page)
        context.close()
        sizes = compressed_bytes(recorder.bodies)
        loads[-1] = (seconds, received, raw_download_seconds(browser, base, received))
        raw_repeat = SLOW["latency"] / 1000
        voice_size, voice_type = voice_note_bytes(browser, base, options.voice_seconds)
        browser.close()
        server.shutdown()

    ratios = [seconds / raw for seconds, _received, raw in loads]
    first, raw_first = statistics.median(s for s, _b, _r in loads), statistics.median(r for _s, _b, r in loads)
    received = round(statistics.median(b for _s, b, _r in loads))
    voice_floor = 24000 / 8 * options.voice_seconds
    voice_minute_kb = voice_size / KB * 60 / options.voice_seconds
    results = {
        "queued_offline": queued,
        "total_kb": round(sizes["total"] / KB, 1), "js_kb": round(sizes["js"] / KB, 1),
        "first_load_s": round(first, 2), "first_load_raw_s": round(raw_first, 2),
        "first_load_ratio": round(statistics.median(ratios), 2),
        "first_load_runs": [{"s": round(s, 2), "bytes": b, "raw_s": round(r, 2)} for s, b, r in loads],
        "first_load_bytes_received": received,
        "repeat_visit_s": round(repeat_visit, 2), "repeat_visit_raw_s": raw_repeat,
        "voice_seconds": options.voice_seconds, "voice_bytes": voice_size, "voice_type": voice_type,
        "voice_minute_kb": round(voice_minute_kb, 1), "voice_raw_bytes": round(voice_floor),
        "clips_cached_kb": round(sizes["clips"] / KB, 1),
        "clips_by_language_kb": {lang: round(size / KB, 1) for lang, size in clips.items()},
        "files": sizes["files"],
    }
    if options.clips_language in clips:
        results["clips_language_kb"] = results["clips_by_language_kb"][options.clips_language]
    print(f"{'file':<44}{'served':>9}{'brotli':>9}")
    for path, served, packed in sizes["files"]:
        print(f"{path:<44}{served:>9}{packed:>9}")
    print(f"\nqueued offline: {queued} response(s)")
    print(f"total (brotli)     {results['total_kb']:>7} KB   target <= {TARGETS['total_kb']} KB")
    print(f"JavaScript (brotli){results['js_kb']:>7} KB   target <= {TARGETS['js_kb']} KB")
    print(f"first load         {first:>7.2f} s    raw {raw_first:.2f} s for {received} bytes received"
          f"   ratio ours/raw {results['first_load_ratio']:.2f} (median of {len(loads)} new phones,"
          f" {min(ratios):.2f}-{max(ratios):.2f})   targets <= {TARGETS['first_load_s']} s,"
          f" <= {TARGETS['first_load_ratio']} x raw")
    print(f"repeat visit       {repeat_visit:>7.2f} s    raw {raw_repeat:.2f} s (one round trip)"
          f"   ratio raw/ours {raw_repeat / repeat_visit:.2f}   target <= {TARGETS['repeat_visit_s']} s")
    print(f"voice note         {voice_size / KB:>7.1f} KB for {options.voice_seconds:g} s ({voice_type}),"
          f" {voice_minute_kb:.1f} KB a minute   raw 24 kb/s: {voice_floor / KB:.1f} KB"
          f"   ratio raw/ours {voice_floor / voice_size:.2f}"
          f"   target <= {TARGETS['voice_minute_kb']} KB a minute")
    if "clips_language_kb" in results:
        print(f"clips ({options.clips_language})     {results['clips_language_kb']:>7} KB   target <= "
              f"{TARGETS['clips_language_kb']} KB   (all languages: {results['clips_by_language_kb']};"
              f" a flyer visitor cached {results['clips_cached_kb']} KB)")
    else:
        print(f"clips ({options.clips_language})         -      the demo campaign has no clips in this language yet")
    if not options.smoke:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(results, indent=2))
    # a smoke run's times and its two seconds of voice say nothing; the bytes of the app and its clips are the same
    checked = ("total_kb", "js_kb", "clips_language_kb") if options.smoke else TARGETS
    failed = [name for name in checked if name in results and results[name] > TARGETS[name]]
    if queued != 1:
        failed.append("queue one response offline")
    if failed:
        raise SystemExit(f"over budget: {', '.join(failed)}")


if __name__ == "__main__":
    main()
