"""Fixtures that build real apps on real databases: SQLite always, PostgreSQL when
WIJKSTEM_TEST_DATABASE_URL points at a server (each test run gets its own database there)."""

import gc
import os
import shutil
import uuid
from contextlib import contextmanager

import pytest
from flask import Flask, g, request_started
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from server import create_app
from server.config import normalise_database_url
from server.extensions import db
from server.ratelimit_storage import storage_uri
from tests.speedups import (
    COMPILED_SQL,
    TEMPLATE_CODE,
    BuilderCachingRule,
    remember_password_checks,
    share_compiled_sql,
    share_translations,
)

#: Fixtures of the review, export and privacy tests (a coordinator's browser, responses synced for real).
pytest_plugins = ["tests.review_world", "tests.s3_server"]

PG_URL = os.environ.get("WIJKSTEM_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_configure(config):
    """Every test app builds its url rules with `BuilderCachingRule`; the catalogs are compiled once, before
    xdist's workers start, so no two workers write the same `.mo` file.

    Python's garbage collector: what is imported so far stays for the whole run (see
    `pytest_collection_finish`), and its youngest generation is collected after 10,000 new objects rather than
    700: each test makes an app, an engine and sessions, thousands of objects in reference cycles, which the
    default threshold promoted to the oldest generation while the test still held them, to be freed only by a
    full collection of the whole heap (~0.1 s each, one every dozen tests). Garbage made after the freeze is
    freed as before, only later: a ResourceWarning of an unclosed resource in a reference cycle may surface in a
    later test or at the session's end rather than in the test that left it (it still fails the run)."""
    Flask.url_rule_class = BuilderCachingRule
    remember_password_checks()
    share_compiled_sql()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    if not hasattr(config, "workerinput"):
        from server.i18n import compile_stale_catalogs
        from server.paths import TRANSLATIONS_DIR

        compile_stale_catalogs(TRANSLATIONS_DIR)


def pytest_collection_finish(session):
    """The modules, the test modules and their collected tests live until the run ends: Python's garbage
    collector leaves them out of its full collections from now on (`gc.freeze`), which otherwise walk them
    all, again and again, while every test makes and drops an app (a third of collecting's time, and more of
    the tests'). Objects made afterwards are collected as before; freed by their references, frozen ones go
    as usual too."""
    gc.freeze()


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


class PostgresState:
    """The run's PostgreSQL database and whether committed rows may be left in it."""

    def __init__(self, url: str):
        self.url = url
        self.name = make_url(url).database
        self.dirty = True  # nothing is known about the rows the migrations may have left
        self.outer: Connection | None = None  # the connection whose transaction the current test rolls back

    def on_commit(self, connection) -> None:
        """A real COMMIT on this database, from anywhere but the rolled-back connection, leaves rows behind."""
        if connection.engine.url.database == self.name and connection is not self.outer:
            self.dirty = True

    def truncate(self) -> None:
        engine = create_engine(self.url)
        with engine.begin() as conn:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        self.dirty = False


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory):
    """The migrated SQLite file with the demo team, campaign and sources: copied for the tests that use
    `demo` (most of them), whose `ensure_demo` then finds them instead of making them again."""
    from server.demo import ensure_demo

    folder = tmp_path_factory.mktemp("sqlite-demo-template")
    path = folder / "template.db"
    shutil.copy(sqlite_template, path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "MEDIA_DIR": str(folder / "media")})
    with app.app_context():
        ensure_demo(audio=False)  # as the `demo` fixture: a test that wants clips loads them
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory):
    """A fresh PostgreSQL database for this test run (for each xdist worker), migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip("WIJKSTEM_TEST_DATABASE_URL is not set")
    # Commits need not wait for the disk: only the application server is ever killed in tests, never
    # PostgreSQL, so no acknowledged commit can be lost, and the suite runs several times faster.
    with scratch_database("wijkstem_test", "SET synchronous_commit TO off") as url:
        migrate(url, tmp_path_factory.mktemp("pg-media"))
        state = PostgresState(url)
        event.listen(Engine, "commit", state.on_commit)
        yield state
        event.remove(Engine, "commit", state.on_commit)


@contextmanager
def scratch_database(prefix: str, setting: str | None = None):
    """The URL of a new, empty PostgreSQL database on the test server (`setting`: an ``ALTER DATABASE`` clause),
    dropped afterwards."""
    server_url = make_url(normalise_database_url(PG_URL))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        if setting:
            conn.execute(text(f'ALTER DATABASE "{name}" {setting}'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def needs_commits(request) -> bool:
    """Tests marked `commits` see their rows committed for real (other connections, processes or threads
    read them); every other PostgreSQL test runs in one transaction that is rolled back at its end. A test
    whose app uses the database from a thread of its own must be marked too: the sessions of every thread
    would share the test's one connection."""
    return request.node.get_closest_marker("commits") is not None


@pytest.fixture
def database_url(backend, request, tmp_path):
    if backend == "sqlite":
        path = tmp_path / "wijkstem.db"
        template = "sqlite_demo_template" if "demo" in request.fixturenames else "sqlite_template"
        shutil.copy(request.getfixturevalue(template), path)
        return f"sqlite:///{path}"
    state = request.getfixturevalue("pg_database")
    if state.dirty or needs_commits(request):
        state.truncate()
    if needs_commits(request):
        state.dirty = True  # its rows may come from other processes, which no listener here hears
    return state.url


@contextmanager
def rolled_back(state: PostgresState, monkeypatch):
    """The app's sessions joined to one connection's transaction, rolled back afterwards (as Indico's tests
    do): a session's commit only releases a savepoint, so nothing is truncated before the next test."""
    pool = db.engine.pool
    connection = db.engine.connect()
    outer = connection.begin()
    state.outer = connection
    monkeypatch.setattr(FlaskSession, "get_bind", joined_bind(FlaskSession.get_bind))
    db.session.remove()
    factory = db.session.session_factory
    saved = dict(factory.kw)
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db.session.remove()
        factory.kw.clear()
        factory.kw.update(saved)
        outer.rollback()
        if db.engine.pool is not pool:  # the test disposed the engine: the old pool would never close it
            connection.invalidate()
        connection.close()
        state.outer = None


def joined_bind(get_bind):
    """Flask-SQLAlchemy picks the app's engine even when the session was given a connection: prefer that
    connection while it belongs to the app's own engine (another app in the same test keeps its engine)."""

    def bind_of(session, mapper=None, clause=None, bind=None, **kwargs):
        joined = session.bind
        if bind is None and isinstance(joined, Connection) and session._db.engines.get(None) is joined.engine:
            return joined
        return get_bind(session, mapper=mapper, clause=clause, bind=bind, **kwargs)

    return bind_of


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
        # jobs run at once when their transaction commits (in a session of their own), so a test sees their
        # result; tests/server/test_jobs.py runs the thread and RQ runners themselves
        "JOBS_RUNNER": "inline",
    }


@pytest.fixture
def app(app_config, backend, request, monkeypatch):
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    share_translations(app)
    with app.app_context():
        db.engine.update_execution_options(compiled_cache=COMPILED_SQL)
        # Requests share this test's app context, so start each with an empty `g` (Flask-Babel caches the
        # request's locale there), as a request in production does.
        with request_started.connected_to(empty_request_globals, app):
            if backend == "sqlite" or needs_commits(request):
                yield app
            else:
                with rolled_back(request.getfixturevalue("pg_database"), monkeypatch):
                    yield app
        db.session.remove()
        db.engine.dispose()


def empty_request_globals(_sender, **_extra):
    vars(g).clear()


@pytest.fixture
def requests_start_committed(app):
    """Each request starts with the test's rows committed and no transaction of the test's session, as every
    request does in production; in a module marked `commits`, a device's small batch then takes the small
    batch's way (`sync_small_batch`), which a session in a transaction makes fall back to the session."""
    def commit(_sender, **_extra):
        db.session.commit()

    with request_started.connected_to(commit, app):
        yield


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
