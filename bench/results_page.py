"""The results page on one million responses, fully shown in Chromium: navigation timing, against the same HTML
rendered without the server.

    python bench/results_page.py [--responses 1000000] [--postgres] [--runs 10] [--smoke]

Runs the production server (`wijkstem serve`: gunicorn, 2 workers) on the cached database from
`generate.py`, signs a coordinator in with Debian's Chromium and opens the results page `--runs` times per
variant. "Fully shown" is the navigation's `loadEventEnd` (HTML, stylesheet and every inline SVG chart laid
out). The floor: the same HTML, captured once, served to Chromium from memory (`page.route`), so only the
browser's work remains. Target: fully shown within 1 s.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import CACHE, ROOT, SMOKE_RESPONSES, ensure_database, open_app, smoke_database

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
EMAIL, PASSWORD = "bench-coordinator@example.org", "a bench password of some length"
TIMING = """() => { const t = performance.getEntriesByType("navigation")[0];
  return {response: t.responseEnd, shown: t.loadEventEnd, bytes: t.transferSize}; }"""


def ensure_coordinator(url: str):
    """A coordinator of the demo team (made once); returns the campaign id."""
    from server.accounts.models import User
    from server.accounts.operations import create_user, set_memberships
    from server.campaigns.models import Campaign
    from server.extensions import db

    app = open_app(url)
    with app.app_context():
        campaign = db.session.query(Campaign).one()
        if db.session.query(User).filter_by(email=EMAIL).first() is None:
            set_memberships(create_user(EMAIL, PASSWORD, "coordinator"), [campaign.team])
            db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    return campaign_id


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int) -> subprocess.Popen:
    environment = {**os.environ, "DATABASE_URL": url, "WIJKSTEM_SECRET_KEY": "bench-secret",
                   "WIJKSTEM_MEDIA_DIR": str(CACHE / "media")}
    CACHE.mkdir(parents=True, exist_ok=True)
    log = (CACHE / "results_page_server.log").open("w")
    server = subprocess.Popen([sys.executable, "-c", "from server.cli import main; main()", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", "2"], cwd=ROOT, env=environment, stdout=log,
                              stderr=subprocess.STDOUT)
    for _attempt in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not start; see bench/.cache/results_page_server.log")


def sign_in(page, base: str) -> None:
    page.goto(base + "/workspace/sign-in")
    page.fill("#f-email", EMAIL)
    page.fill("#f-password", PASSWORD)
    with page.expect_navigation():
        page.press("#f-password", "Enter")


def measure(page, url: str, runs: int) -> tuple[list, list, str]:
    shown, response, body = [], [], ""
    for _run in range(runs + 1):  # the first one warms the server's workers up
        reply = page.goto(url, wait_until="load")
        assert reply.status == 200, reply.status
        timing = page.evaluate(TIMING)
        shown.append(timing["shown"])
        response.append(timing["response"])
        body = reply.text()
    return shown[1:], response[1:], body


def measure_floor(page, base: str, body: str, runs: int) -> list:
    """The same HTML from memory: no server, no database; the stylesheet still comes from the server."""
    copy = base + "/workspace/floor-copy"
    page.route(copy, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body))
    shown = []
    for _run in range(runs + 1):
        page.goto(copy, wait_until="load")
        shown.append(page.evaluate(TIMING)["shown"])
    page.unroute(copy)
    return shown[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run?")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.runs, arguments.responses = 1, SMOKE_RESPONSES
        report(smoke_database(arguments.postgres), arguments)
        return
    report(ensure_database(arguments.responses, arguments.postgres), arguments)


def report(url: str, arguments) -> None:
    from playwright.sync_api import sync_playwright

    campaign_id = ensure_coordinator(url)
    port = free_port()
    server = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    backend = "PostgreSQL" if arguments.postgres else "SQLite"
    print(f"{backend}, {arguments.responses:,} responses; gunicorn with 2 workers; median (max) of {arguments.runs}")
    print(f"{'page':<28} {'fully shown':>18} {'HTML received':>16} {'floor':>8} {'ratio':>6} {'HTML':>8}")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context(locale="nl-NL", viewport={"width": 1100, "height": 900}).new_page()
            sign_in(page, base)
            worst = 0.0
            for label, path in (("results", "/results"), ("results, by language", "/results?breakdown=language"),
                                ("results, by buurt", "/results?breakdown=buurt"),
                                ("print version", "/results/print?breakdown=age_bracket")):
                shown, response, body = measure(page, f"{base}/workspace/campaigns/{campaign_id}{path}",
                                                arguments.runs)
                floor = statistics.median(measure_floor(page, base, body, arguments.runs))
                worst = max(worst, max(shown))
                print(f"{label:<28} {statistics.median(shown):7.0f} ms ({max(shown):5.0f}) "
                      f"{statistics.median(response):9.0f} ms {floor:6.0f} ms {statistics.median(shown) / floor:6.1f} "
                      f"{len(body) // 1024:5d} KB")
            print(f"slowest time to fully shown: {worst:.0f} ms (target: within 1000 ms)")
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
