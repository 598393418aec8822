"""Behind a reverse proxy: each client its own rate-limit bucket, forged headers ignored, and cookies and HSTS that
follow the configured public URL rather than what the proxy forwards."""

import pytest

from tests.conftest import WebClient

PROXY = "127.0.0.1"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_SIGN_IN": "2/minute", "TRUSTED_PROXIES": "127.0.0.1, ::1, 10.0.0.0/8"}


@pytest.fixture
def make_app(app_config):
    """Another app with some settings changed (its connections closed at the end)."""
    from server import create_app
    from server.extensions import db

    made = []
    yield lambda **changes: made.append(create_app({**app_config, **changes})) or made[-1]
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def wrong_sign_in(app, peer: str, forwarded_for: str | None = None) -> int:
    """One wrong sign-in from a fresh browser whose connection comes from `peer`."""
    web = WebClient(app.test_client())
    web.client.environ_base["REMOTE_ADDR"] = peer
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return web.post("/workspace/sign-in", {"email": "nobody@example.org", "password": "wrong password!"},
                    headers=headers).status_code


def test_two_clients_behind_the_proxy_have_their_own_limits(app):
    assert [wrong_sign_in(app, PROXY, "203.0.113.5") for _ in range(3)] == [401, 401, 429]
    assert wrong_sign_in(app, PROXY, "203.0.113.6") == 401  # another resident behind the same proxy
    assert wrong_sign_in(app, "::1", "203.0.113.6") == 401  # the proxy on IPv6, same client


def test_a_forged_header_from_an_untrusted_address_is_ignored(app):
    statuses = [wrong_sign_in(app, "198.51.100.7", f"203.0.113.{n}") for n in range(3)]
    assert statuses == [401, 401, 429]  # one bucket: the peer's own address


def test_a_client_cannot_choose_its_address_by_prepending_to_the_header(app):
    """The proxy appends the address it saw; what a client put before it is not believed."""
    statuses = [wrong_sign_in(app, PROXY, f"192.0.2.{n}, 203.0.113.9") for n in range(3)]
    assert statuses == [401, 401, 429]


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client(app):
    assert [wrong_sign_in(app, PROXY, "203.0.113.20, 10.1.2.3") for _ in range(3)] == [401, 401, 429]
    assert wrong_sign_in(app, PROXY, "203.0.113.21, 10.1.2.3") == 401


def test_without_trusted_proxies_the_header_is_ignored(make_app):
    app = make_app(TRUSTED_PROXIES="")
    assert [wrong_sign_in(app, PROXY, f"203.0.113.{n}") for n in range(3)] == [401, 401, 429]


def test_the_forwarded_scheme_is_believed_only_from_a_trusted_proxy(app):
    from flask import request

    seen = {}

    @app.get("/test-scheme")
    def scheme():
        seen["scheme"], seen["addr"] = request.scheme, request.remote_addr
        return ""

    app.test_client().get("/test-scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"},
                          environ_base={"REMOTE_ADDR": PROXY})
    assert seen == {"scheme": "https", "addr": "203.0.113.5"}
    app.test_client().get("/test-scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"},
                          environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert seen == {"scheme": "http", "addr": "198.51.100.7"}


# --- Secure cookies and HSTS follow PUBLIC_URL -------------------------------------------------------

def session_cookie(reply) -> str:
    return next(c for c in reply.headers.getlist("Set-Cookie") if c.startswith("wijkstem_session="))


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "wijkstem.example.nl"])
def test_https_public_url_makes_cookies_secure_and_sends_hsts_whatever_host_the_proxy_forwards(make_app, host):
    """nginx's `proxy_pass http://127.0.0.1:8000` without `proxy_set_header Host` forwards a local Host."""
    app = make_app(PUBLIC_URL="https://wijkstem.example.nl")
    reply = app.test_client().get("/workspace/sign-in", base_url=f"http://{host}")
    assert "; Secure" in session_cookie(reply)
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_public_url_on_a_local_network_gets_cookies_that_the_browser_keeps(make_app):
    app = make_app(PUBLIC_URL="http://192.168.1.20:8000")
    reply = app.test_client().get("/workspace/sign-in", base_url="http://192.168.1.20:8000")
    assert "Secure" not in session_cookie(reply)
    assert "Strict-Transport-Security" not in reply.headers


def test_without_public_url_cookies_are_secure_except_on_localhost(client):
    assert "Secure" not in session_cookie(client.get("/workspace/sign-in"))
    reply = client.get("/workspace/sign-in", base_url="http://wijkstem.example.nl")
    assert "; Secure" in session_cookie(reply)
    assert "Strict-Transport-Security" not in reply.headers
