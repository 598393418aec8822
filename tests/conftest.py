"""Fixtures that build real apps on real databases: SQLite always, PostgreSQL when
WIJKSTEM_TEST_DATABASE_URL points at a server (each test run gets its own database there)."""

import gc
import os
import shutil
import uuid
import weakref
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask, g, request_started
from flask_sqlalchemy.session import Session as FlaskSession
from jinja2 import BytecodeCache
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from server import create_app
from server.config import normalise_database_url
from server.extensions import db
from server.ratelimit_storage import storage_uri

#: Fixtures of the review, export and privacy tests (a coordinator's browser, responses synced for real).
pytest_plugins = ["tests.review_world", "tests.s3_server"]

PG_URL = os.environ.get("WIJKSTEM_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class TemplateCodeCache(BytecodeCache):
    """Compiled templates kept in memory for every test app of the process (each test builds an app of its own,
    whose Jinja environment would compile every template it renders again). Jinja checks each template's source
    against the code it keeps, so a changed template is compiled afresh. Every test app's environment is made
    alike by `create_app`."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()

    def clear(self):
        self.code.clear()


#: One cache of compiled templates for the whole test process (`app`).
TEMPLATE_CODE = TemplateCodeCache()

#: Flask-Babel's loaded catalogs for every test app of the process with the same translation folders and the
#: same compiled catalogs in them: ``{(folders, their .mo files and times): {(locale, domain): translations}}``.
TRANSLATIONS: dict = {}


class SharedCompiledCache:
    """SQLAlchemy's cache of compiled statements, for every test app's engine in the process: each test's app
    makes an engine of its own, whose cache starts empty, so every test compiled again each statement it ran
    (the ORM's loads, inserts and updates: a tenth of the tests' time).

    SQLAlchemy keys a compiled statement by the dialect object that compiled it and the statement's structure
    (`ClauseElement._compile_w_cache`). Here the dialect object is replaced by what a compiled statement can
    depend on: its class and its settings (`dialect_settings`), so the engines of two test apps share a
    statement only when their dialects are alike (same database kind, server version, driver, options);
    a statement never holds a test's values (SQLAlchemy keeps them out of the cache).

    The ORM keeps the INSERT, UPDATE and DELETE statements of a flush in a cache of each mapper's
    (`Mapper._compiled_cache`, a hundred statements, keyed by dialect object too): `share_compiled_sql` gives
    every mapper this one instead."""

    def __init__(self, size: int = 20_000):
        from sqlalchemy.util import LRUCache

        self.compiled = LRUCache(size)
        self.settings = weakref.WeakKeyDictionary()

    def get(self, key, default=None):
        return self.compiled.get(self.shared_key(key), default)

    def __setitem__(self, key, compiled):
        self.compiled[self.shared_key(key)] = compiled

    def shared_key(self, key):
        dialect, *rest = key
        settings = self.settings.get(dialect)
        if settings is None:
            settings = dialect_settings(dialect)
            if dialect.server_version_info is not None:  # connected once: its settings are known and stay
                self.settings[dialect] = settings
        return (settings, *rest)

    def clear(self):
        self.compiled.clear()


def dialect_settings(dialect) -> tuple:
    """A dialect's class and settings: its plain values (flags, names, versions, numbers) as they are, its
    functions by their code (the writers' queue wraps every engine's commit in a function of its own), any
    other object (the driver's module, the identifier quoter...) by its type."""
    def setting(value):
        if value is None or isinstance(value, bool | int | float | str | tuple | frozenset):
            return value
        if callable(value) and hasattr(value, "__code__"):
            return (value.__module__, value.__qualname__)
        if isinstance(value, ModuleType):
            return value.__name__
        return type(value).__qualname__

    return (type(dialect).__module__, type(dialect).__qualname__,
            *sorted((name, setting(value)) for name, value in vars(dialect).items()))


#: The compiled statements of every test app's engine (`app`) and of every mapper's flushes in the process.
COMPILED_SQL = SharedCompiledCache()


def share_compiled_sql() -> None:
    """Every mapper's flushes use `COMPILED_SQL` (each test app's engine is given it by `app`)."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    for mapper in db.Model.registry.mappers:
        mapper._compiled_cache = COMPILED_SQL  # SQLAlchemy's own is made on first use (a memoized attribute)


def share_translations(app: Flask) -> None:
    """Give `app` the catalogs loaded by the test apps before it (`TRANSLATIONS`) rather than reading and
    parsing every `.mo` file again: `server.i18n_babel.AppDomain` keeps them in ``app.extensions``. A test app
    with other folders, or after a catalog was compiled again, gets catalogs of its own."""
    from flask_babel import get_babel

    folders = tuple(get_babel(app).translation_directories)
    catalogs = tuple((str(path), path.stat().st_mtime_ns)
                     for folder in folders for path in sorted(Path(folder).glob("*/LC_MESSAGES/*.mo")))
    app.extensions["babel_translations"] = TRANSLATIONS.setdefault((folders, catalogs), {})


class BuilderCachingRule(Rule):
    """Werkzeug's url rule, parsed and given its `url_for` builders once per process rather than once per test
    app (~150 rules per app; parsing them and compiling two builders each, with `ast` and `compile`, was most
    of `create_app`'s time).

    The parse (werkzeug's `Rule.compile`) depends only on the rule's text, its host or subdomain, whether
    slashes are merged and the map's converter classes: it yields the matcher's parts (plain data, only read),
    the trace the builders are made from, and the converters, which are made afresh for each rule from the
    recorded names and arguments, as werkzeug makes them (a converter holds its map).

    A builder's code depends only on the rule's text, its parsed parts (`_trace`), its defaults and whether
    unknown arguments are appended (werkzeug's `Rule._compile_builder`); the rule itself comes in as an
    argument when the builder is called. Rules with defaults are compiled as werkzeug does."""

    builders: dict = {}
    parsed: dict = {}

    def compile(self):
        url_map = self.map
        domain_rule = (self.host if url_map.host_matching else self.subdomain) or ""
        key = (self.rule, domain_rule, url_map.host_matching, self.merge_slashes,
               tuple(sorted(url_map.converters.items())))
        if key not in self.parsed:
            self._converter_calls = []
            super().compile()
            self.parsed[key] = (list(self._parts), list(self._trace), self._converter_calls)
            del self._converter_calls
            return
        parts, trace, converter_calls = self.parsed[key]
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {}
        for variable, converter, args, kwargs in converter_calls:
            self._converters[variable] = super().get_converter(variable, converter, args, kwargs)
            self.arguments.add(variable)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    def get_converter(self, variable_name, converter_name, args, kwargs):
        if hasattr(self, "_converter_calls"):  # werkzeug's parse, recorded for the next app (`compile`)
            self._converter_calls.append((variable_name, converter_name, args, kwargs))
        return super().get_converter(variable_name, converter_name, args, kwargs)

    def _compile_builder(self, append_unknown=True):
        if self.defaults:
            return super()._compile_builder(append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if key not in self.builders:
            self.builders[key] = super()._compile_builder(append_unknown)
        return self.builders[key]


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


def remember_password_checks() -> None:
    """Each password check (scrypt, ~0.1 s of CPU on purpose) is made once per process for each pair of stored
    hash and typed password: the tests sign in with the same password against the same hash (`password_hash`)
    again and again. A check's answer depends on nothing but the pair, so every answer is the real one; a new
    hash (a new account, a changed password) has a new salt and is checked afresh."""
    from functools import lru_cache

    from server.accounts import operations

    operations.check_password_hash = lru_cache(maxsize=None)(operations.check_password_hash)


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
