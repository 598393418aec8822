"""SQLite writers take turns through a lock file; a transaction that only reads waits for no one."""

import fcntl
import os
import sqlite3
import uuid

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.pool import NullPool

from server.database import READ_ONLY, reading_only, tune_engine
from server.devices.models import Device
from server.extensions import db


@pytest.fixture
def sqlite_url(database_url):
    return database_url


@pytest.fixture
def engine(sqlite_url):
    engine = create_engine(sqlite_url)
    tune_engine(engine)
    yield engine
    engine.dispose()


def turn_is_free(lock_path: str) -> bool:
    """Whether another process could take the writers' turn right now."""
    handle = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(handle)
    return True


def begins(engine) -> list[str]:
    """Every BEGIN that SQLite receives from the engine's connections, in order (SQLite's own trace)."""
    sent = []

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection, _record):
        if engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(
                lambda statement: statement.startswith("BEGIN") and sent.append(statement))

    engine.dispose()  # every connection from now on is traced
    return sent


@pytest.mark.sqlite_only
def test_a_writer_holds_the_turn_until_its_transaction_ends(engine, sqlite_url):
    lock_path = sqlite_url.removeprefix("sqlite:///") + "-writers.lock"
    sent = begins(engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        assert not turn_is_free(lock_path)
        connection.commit()
        assert turn_is_free(lock_path)
        connection.execute(text("SELECT 1"))
        assert not turn_is_free(lock_path)
        connection.rollback()
        assert turn_is_free(lock_path)
        connection.execute(text("SELECT 1"))
    assert turn_is_free(lock_path)  # returned to the pool mid-transaction: rolled back, turn given up
    assert sent == ["BEGIN IMMEDIATE"] * 3


@pytest.mark.sqlite_only
def test_a_reader_waits_for_no_writer(engine, sqlite_url):
    lock_path = sqlite_url.removeprefix("sqlite:///") + "-writers.lock"
    sent = begins(engine)
    with engine.connect() as writer, engine.connect() as reader:
        writer.execute(text("SELECT 1"))  # holds SQLite's write lock and the turn
        reader = reader.execution_options(**{READ_ONLY: True})
        assert reader.execute(text("SELECT count(*) FROM devices")).scalar() == 0
        assert not turn_is_free(lock_path)
        reader.rollback()
        writer.rollback()
    assert sent == ["BEGIN IMMEDIATE", "BEGIN"]


def test_reading_only_flushes_nothing_and_drops_its_changes(app, enrolled, backend):
    """On SQLite in a deferred transaction of its own; on PostgreSQL in the session's transaction."""
    device_id, _headers = enrolled
    db.session.commit()
    sent = begins(db.engine)
    with reading_only():
        found = db.session.scalars(select(Device)).one()
        found.label = "changed in a read"  # never flushed
        db.session.scalars(select(Device)).all()  # no autoflush either
    assert db.session().in_transaction() == (backend == "postgresql")
    db.session.commit()
    assert db.session.get(Device, uuid.UUID(device_id)).label == "Test phone"
    if backend == "sqlite":
        assert sent[:2] == ["BEGIN", "BEGIN IMMEDIATE"]


@pytest.mark.sqlite_only
def test_a_lock_file_that_cannot_be_opened_leaves_sqlite_to_decide(sqlite_url, caplog):
    os.mkdir(sqlite_url.removeprefix("sqlite:///") + "-writers.lock")  # not a file anyone could lock
    engine = create_engine(sqlite_url)
    tune_engine(engine)
    sent = begins(engine)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM devices")).scalar() == 0
    engine.dispose()
    assert sent == ["BEGIN IMMEDIATE"]
    assert "no writers' queue" in caplog.text


def test_reading_only_refuses_to_drop_unflushed_changes(app, team):
    team.name = "changed, not flushed"
    with pytest.raises(RuntimeError), reading_only():
        pass


@pytest.mark.sqlite_only
def test_the_next_transaction_may_be_marked_as_reading(app, database_url):
    from server.database import begin_reading

    db.session.commit()
    sent = begins(db.engine)
    assert begin_reading()
    db.session.scalars(select(Device)).all()
    assert turn_is_free(database_url.removeprefix("sqlite:///") + "-writers.lock")
    assert not begin_reading()  # one is open now
    db.session.commit()
    assert sent == ["BEGIN"]


def pings(engine) -> list[int]:
    """One entry for each ping the dialect sends."""
    sent, ping = [], engine.dialect.do_ping

    def counted(dbapi_connection):
        sent.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted
    return sent


def test_postgresql_tests_only_connections_that_sat_idle_and_replaces_a_stale_one(database_url, monkeypatch):
    import server.database

    if not database_url.startswith("postgresql"):
        pytest.skip("the pool is only tested on PostgreSQL")
    engine = create_engine(database_url)
    tune_engine(engine)
    sent = pings(engine)
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine.connect() as connection:  # handed back a moment ago: no ping
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() == backend
        assert sent == []
        other = create_engine(database_url, poolclass=NullPool)
        with other.connect() as connection:  # the server drops the pooled connection (as a restart would) ...
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            connection.commit()
        other.dispose()
        monkeypatch.setattr(server.database, "IDLE_BEFORE_PING_SECONDS", 0)  # ... while it sits idle
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != backend
        assert sent == [1]
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
def test_sqlite_checkpoints_in_a_thread_of_its_own_not_in_a_commit(engine, monkeypatch):
    import time

    import server.database

    monkeypatch.setattr(server.database, "COMMITS_PER_CHECKPOINT", 4)
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        checkpointer = connection.connection.info["checkpointer"]
        connection.exec_driver_sql("CREATE TABLE checkpointed (n INTEGER)")
        connection.commit()
        for n in range(3):  # the fourth commit wakes the thread
            connection.exec_driver_sql("INSERT INTO checkpointed VALUES (?)", (n,))
            connection.commit()
    assert pages == server.database.FALLBACK_CHECKPOINT_PAGES  # SQLite's own only as a safety net
    deadline = time.monotonic() + 10
    while checkpointer.runs < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.runs == 1 and checkpointer.thread.name == "sqlite-checkpoint"
    # the database file itself, read without its write-ahead log, holds every row
    plain = sqlite3.connect(f"file:{checkpointer.path}?immutable=1", uri=True)
    try:
        assert plain.execute("SELECT count(*) FROM checkpointed").fetchone() == (3,)
    finally:
        plain.close()


@pytest.mark.sqlite_only
def test_an_engine_made_elsewhere_gets_none_of_wijkstems_connection_settings(app, database_url):
    """Wijkstem tunes its own engine; another engine in the same process (a library's, a script's) is left alone."""
    from sqlalchemy.exc import OperationalError

    local_date = "SELECT wijkstem_local_date('2026-10-01 08:00:00', 'Europe/Amsterdam')"
    ours = db.session.connection()
    assert ours.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert ours.exec_driver_sql(local_date).scalar() == "2026-10-01"
    db.session.rollback()
    other = create_engine(database_url)
    try:
        with other.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() != 10_000
            with pytest.raises(OperationalError, match="no such function"):
                connection.exec_driver_sql(local_date)
    finally:
        other.dispose()
