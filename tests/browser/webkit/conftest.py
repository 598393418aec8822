"""WebKit, the engine of Safari on an iPhone, through WebKitGTK's WebDriver on an X server of its own.

Debian's `webkit2gtk-driver` (WebKitWebDriver, with MiniBrowser from libwebkit2gtk) and `xvfb` are needed; the
tests are skipped with the reason when they are missing, unless WIJKSTEM_REQUIRE_BROWSER=1 (CI), where they fail.
The server can be switched off and on again on the same port: WebDriver has no "offline" switch."""

import contextlib
import glob
import importlib.util
import logging
import os
import shutil
import subprocess
import threading
import warnings

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

WEBKIT_DRIVER = shutil.which("WebKitWebDriver") or "/usr/bin/WebKitWebDriver"
MINIBROWSERS = "/usr/lib/*/webkit2gtk-4.*/MiniBrowser"
INSTALL = "apt-get install webkit2gtk-driver xvfb; pip install selenium"
#: MiniBrowser's switches: automation, a mock microphone (WebKit's own tone), media that plays without a tap.
ARGS = ["--automation", "--enable-media-stream=true", "--enable-mock-capture-devices=true",
        "--media-playback-requires-user-gesture=false"]


def missing() -> str | None:
    """What is missing to run WebKit here, or ``None``."""
    if not os.path.exists(WEBKIT_DRIVER):
        return f"WebKitWebDriver is not installed ({INSTALL})"
    if not glob.glob(MINIBROWSERS):
        return f"MiniBrowser (libwebkit2gtk) is not installed ({INSTALL})"
    if shutil.which("Xvfb") is None:
        return f"Xvfb is not installed ({INSTALL})"
    if importlib.util.find_spec("selenium") is None:
        return f"selenium is not installed ({INSTALL})"
    return None


def pytest_collection_modifyitems(items):
    reason = missing()
    if reason is None or os.environ.get("WIJKSTEM_REQUIRE_BROWSER") == "1":
        return
    for item in items:
        if "webkit" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def display():
    """An Xvfb server for WebKitGTK's windows; its display name (``:N``, picked by Xvfb itself)."""
    reason = missing()
    if reason:
        pytest.fail(f"WIJKSTEM_REQUIRE_BROWSER=1 but {reason}")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    xvfb.terminate()
    xvfb.wait(10)


@pytest.fixture
def webkit(display):
    """A fresh WebKit session (its own storage, service workers and IndexedDB) driven through Selenium."""
    from selenium import webdriver  # reason: selenium is a test extra, needed only when WebKit runs
    from selenium.webdriver.webkitgtk.options import Options  # reason: as above
    from selenium.webdriver.webkitgtk.service import Service  # reason: as above

    options = Options()
    options.binary_location = sorted(glob.glob(MINIBROWSERS))[-1]
    for arg in ARGS:
        options.add_argument(arg)
    service = Service(executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": display})
    with warnings.catch_warnings():  # Selenium's own WebKitGTK driver still uses its deprecated argument
        warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning)
        driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_script_timeout(30)
    yield driver
    with contextlib.suppress(Exception):  # already gone when the test failed inside WebKit
        driver.quit()


class ClosingHandler(WSGIRequestHandler):
    """One request per connection: when the server stops, no kept-alive connection goes on serving."""

    protocol_version = "HTTP/1.0"


class SwitchableServer:
    """The app on one fixed port that can go offline (`stop`) and come back (`start`)."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.app, self.port, self.server, self.thread = app, 0, None, None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True, request_handler=ClosingHandler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
        self.server = None

    @property
    def online(self) -> bool:
        return self.server is not None


@pytest.fixture
def switchable_server(live_app):
    server = SwitchableServer(live_app)
    server.start()
    yield server
    if server.online:
        server.stop()
