"""Fixtures that build real apps on real databases: SQLite always, PostgreSQL when
WIJKSTEM_TEST_DATABASE_URL points at a server (each test run gets its own database there)."""

import os
import shutil
import uuid

import pytest
from flask import g, request_started
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server import create_app
from server.config import normalise_database_url
from server.extensions import db
from server.ratelimit_storage import storage_uri

#: Fixtures of the review, export and privacy tests (a coordinator's browser, responses synced for real).
pytest_plugins = ["tests.review_world"]

PG_URL = os.environ.get("WIJKSTEM_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_generate_tests(metafunc):
    """Database tests run on every backend; browser tests (which test the phone and the pages, not the
    database) and tests marked `sqlite_only` run on SQLite only, which keeps CI well under its 30 minutes."""
    if "backend" in metafunc.fixturenames:
        sqlite_only = any(metafunc.definition.get_closest_marker(name) for name in ("browser", "sqlite_only"))
        metafunc.parametrize("backend", BACKENDS[:1] if sqlite_only else BACKENDS, scope="session")


def migrate(url: str, media_dir) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(media_dir)})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """One migrated SQLite file; each test copies it."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    migrate(f"sqlite:///{path}", folder / "media")
    return path


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory):
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip("WIJKSTEM_TEST_DATABASE_URL is not set")
    server_url = make_url(normalise_database_url(PG_URL))
    name = f"wijkstem_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # Commits need not wait for the disk: only the application server is ever killed in tests, never
        # PostgreSQL, so no acknowledged commit can be lost, and the suite runs several times faster.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit TO off'))
    url = server_url.set(database=name).render_as_string(hide_password=False)
    migrate(url, tmp_path_factory.mktemp("pg-media"))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "wijkstem.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app_config(database_url, tmp_path):
    """Settings for the test app; tests may change them before `app` is built."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ANONYMOUS": "10000/minute",
        "RATELIMIT_ENROL": "1000/minute",
        "RATELIMIT_STORAGE_URI": storage_uri(tmp_path / "ratelimits.db"),  # the default storage, one per test
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        # Requests share this test's app context, so start each with an empty `g` (Flask-Babel caches the
        # request's locale there), as a request in production does.
        with request_started.connected_to(empty_request_globals, app):
            yield app
        db.session.remove()
        db.engine.dispose()


def empty_request_globals(_sender, **_extra):
    vars(g).clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo team, its published four-language campaign and its sources (without its clips: `demo_audio`)."""
    from server.demo import ensure_demo

    team, campaign = ensure_demo(audio=False)
    db.session.commit()
    return team, campaign


@pytest.fixture
def team(demo):
    return demo[0]


@pytest.fixture
def campaign(demo):
    return demo[1]


@pytest.fixture
def flyer(campaign):
    from server.campaigns.models import Source

    return db.session.query(Source).filter_by(campaign_id=campaign.id, kind="flyer").first()


@pytest.fixture
def enrolled(client, team):
    """An enrolled device: (device id, Authorization headers)."""
    from server.devices.operations import make_enrolment_code

    code = make_enrolment_code(team, "Test phone")
    db.session.commit()
    reply = client.post("/api/v1/devices/enrol", json={"code": code})
    assert reply.status_code == 201
    return reply.json["device_id"], {"Authorization": f"Bearer {reply.json['token']}"}


@pytest.fixture
def auth(enrolled):
    return enrolled[1]


# --- workspace: users, sessions and forms ------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def password_hash():
    """One real scrypt hash of `PASSWORD`, made once: scrypt is slow on purpose."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="scrypt")


@pytest.fixture
def make_user(app, password_hash):
    """Build real accounts: ``make_user("coordinator", [team])``; every password is `PASSWORD`."""
    from itertools import count

    from server.accounts.models import User
    from server.accounts.operations import create_user, set_memberships

    numbers = count(1)

    def make(role="coordinator", teams=(), email=None, password=PASSWORD):
        email = email or f"{role}-{next(numbers)}@example.org"
        if password == PASSWORD:
            user = User(email=email, role=role, password_hash=password_hash)
            db.session.add(user)
        else:
            user = create_user(email, password, role)
        set_memberships(user, list(teams))
        db.session.commit()
        return user

    return make


class WebClient:
    """Flask's test client used like a browser: it signs in and sends the CSRF token with every form."""

    def __init__(self, client):
        self.client = client

    def sign_in_as(self, user) -> "WebClient":
        """Start a real session for `user` without the sign-in form (which is rate-limited)."""
        from server.accounts.operations import start_session

        token = start_session(user, "pytest")
        db.session.commit()
        with self.client.session_transaction() as session:
            session["sid"] = token
        return self

    def csrf_token(self) -> str:
        import secrets

        with self.client.session_transaction() as session:
            return session.setdefault("csrf", secrets.token_urlsafe(32))

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def web(client):
    return WebClient(client)


@pytest.fixture
def web_as(app, make_user):
    """A new signed-in browser for a user: ``web_as(user)``."""
    return lambda user: WebClient(app.test_client()).sign_in_as(user)
