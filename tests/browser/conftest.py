"""A real Wijkstem server in a thread and Debian's Chromium driven by Playwright.

Browser tests are skipped when /usr/bin/chromium is missing, unless WIJKSTEM_REQUIRE_BROWSER=1."""

import contextlib
import logging
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--autoplay-policy=no-user-gesture-required"]


def pytest_collection_modifyitems(items):
    if Path(CHROMIUM).exists() or os.environ.get("WIJKSTEM_REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


class LiveServer:
    """The app served by werkzeug on a free port, in a daemon thread."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(app_config):
    """The app on a fresh database with the demo campaign; its own context for the test's checks."""
    from server.demo import ensure_demo

    app = create_app({**app_config, "TESTING": False})
    with app.app_context():
        ensure_demo()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser):
    """A fresh context per test: its own IndexedDB and service worker."""
    context = browser.new_context(permissions=["microphone"], locale="nl-NL", accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def persistent(playwright_instance, tmp_path):
    """Launch (and relaunch) a persistent context on one profile folder: closing and reopening the app."""
    contexts = []

    def launch(**kwargs):
        context = playwright_instance.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, permissions=["microphone"],
            locale="nl-NL", accept_downloads=True, **kwargs)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        with contextlib.suppress(Exception):  # already closed by the test
            context.close()


def record_and_save(recorder, milliseconds: int) -> None:
    """Record through Chromium's fake microphone in `recorder` (a studio item or a question's prompt), for
    `milliseconds`; the recording is ready to be listened back before it is saved."""
    recorder.get_by_role("button", name=re.compile("^Opnemen")).click()
    recorder.page.wait_for_timeout(milliseconds)
    recorder.get_by_role("button", name=re.compile("^Stop")).click()
    recorder.locator("[data-playback]").wait_for(state="visible")
    assert "opgenomen" in recorder.locator("[data-status]").inner_text()
    recorder.get_by_role("button", name=re.compile("^Opname opslaan")).click()


@pytest.fixture
def flyer_code(live_app) -> str:
    """The public code of the demo campaign's first flyer."""
    from server.campaigns.models import Source

    try:
        return db.session.query(Source).filter_by(kind="flyer").order_by(Source.id).first().code
    finally:
        db.session.rollback()


@pytest.fixture
def browser_context(browser):
    """A fresh context in a given locale: `browser_context("ar")`."""
    contexts = []

    def make(locale: str, **kwargs):
        context = browser.new_context(permissions=["microphone"], locale=locale, accept_downloads=True,
                                      **kwargs)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
