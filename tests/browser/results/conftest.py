"""A real Wijkstem server in a thread with synced responses, and Debian's Chromium driven by Playwright.

Skipped when /usr/bin/chromium is missing, unless WIJKSTEM_REQUIRE_BROWSER=1 (as in CI).
"""

import logging
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db
from tests.results_data import crowd, sync

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items):
    if Path(CHROMIUM).exists() or os.environ.get("WIJKSTEM_REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def results_app(app_config):
    """The app on a fresh database: the demo campaign, 60 synced responses and a coordinator."""
    from server.accounts.operations import create_user, set_memberships
    from server.demo import ensure_demo
    from server.devices.operations import make_enrolment_code

    app = create_app({**app_config, "TESTING": False})
    with app.app_context():
        team, campaign = ensure_demo()
        set_memberships(create_user("coordinator@example.org", PASSWORD, "coordinator", "Coördinator"), [team])
        code = make_enrolment_code(team, "Telefoon")
        db.session.commit()
        client = app.test_client()
        token = client.post("/api/v1/devices/enrol", json={"code": code}).json["token"]
        sync(client, {"Authorization": f"Bearer {token}"}, crowd(campaign, [
            (30, {"language": "nl", "buurt": "Noord", "age": "27-40", "missen": "groen", "day": 0}),
            (15, {"language": "tr", "buurt": "Zuid", "age": "41-65", "missen": "licht", "day": 2,
                  "veilig": "no"}),
            (12, {"language": "nl", "buurt": "Noord", "age": "66-79", "missen": "bankjes", "day": 5}),
            (3, {"language": "ar", "buurt": "Centrum", "age": "41-65", "missen": "spelen", "day": 6,
                 "idee": "Een bankje voor mevrouw Jansen"}),
        ]))
        app.config["DEMO_CAMPAIGN_ID"] = campaign.id
        db.session.remove()  # SQLite: hold no transaction (and so no write lock) while the server runs
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def results_server(results_app):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, results_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def chromium(browser):
    """The session's Chromium from tests/browser/conftest.py (one Playwright per process)."""
    return browser


@pytest.fixture
def new_page(chromium):
    """``new_page(locale)``: a page in a fresh browser context (its own cookies)."""
    contexts = []

    def make(locale: str = "nl-NL"):
        context = chromium.new_context(locale=locale, accept_downloads=True, viewport={"width": 1100, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def signed_in(new_page, results_server):
    """A coordinator's page, signed in through the sign-in form with the keyboard alone."""
    page = new_page()
    page.goto(results_server + "/workspace/sign-in")
    page.locator("#f-email").focus()
    page.keyboard.type("coordinator@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/workspace/")
    return page


def axe_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in Axe().run(page).response["violations"]]
