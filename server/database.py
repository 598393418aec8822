"""How the engine talks to each database: SQLite's pragmas and one writer at a time, PostgreSQL's plans."""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

#: How long a SQLite transaction waits for the write lock before SQLite reports "database is locked".
BUSY_TIMEOUT_SECONDS = 10
#: The longest pause between two looks at the writers' lock file.
LONGEST_PAUSE_SECONDS = 0.001
#: Execution option of a transaction that only reads (see `reading_only`).
READ_ONLY = "wijkstem_read_only"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL, a busy timeout and foreign keys for every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def tune_engine(engine: Engine) -> None:
    """Per database: SQLite queues its writers, PostgreSQL plans for the tables as they are."""
    if engine.dialect.name == "sqlite":
        use_immediate_transactions(engine)
    elif engine.dialect.name == "postgresql":
        plan_for_current_sizes(engine)


def use_immediate_transactions(engine: Engine) -> None:
    """Start every SQLite transaction with BEGIN IMMEDIATE, writers taking turns in a queue.

    BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers never deadlock halfway. But SQLite's
    own busy handler sleeps 1, 2, 5 ... up to 100 ms between its tries, and under steady load the other
    worker took the lock again and again meanwhile: with eight busy phones, one request waited over a second.
    So each connection first takes an exclusive `flock` on a file beside the database (every worker process
    and thread of this server uses it), looking again every millisecond at most, and lets go as soon as its
    transaction ends. Should that wait ever pass the busy timeout, SQLite's own lock decides as before.
    """
    database = engine.url.database
    lock_path = f"{database}-writers.lock" if database and database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None
        if lock_path:
            close_lock_file(record.info)
            record.info["writers_lock"] = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # deferred: reads a snapshot beside the writer, waits for no one
            return
        info = connection.connection.info
        if "writers_lock" in info:
            info["writers_lock_held"] = take_turn(info["writers_lock"])
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            end_turn(info)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end_of_transaction(connection):
        end_turn(connection.connection.info)

    @event.listens_for(engine, "reset")
    def _reset(_dbapi_connection, record, _reset_state):
        end_turn(record.info)

    @event.listens_for(engine, "checkin")
    def _returned_to_pool(_dbapi_connection, record):
        end_turn(record.info)

    @event.listens_for(engine, "close")
    def _closed(_dbapi_connection, record):
        close_lock_file(record.info)


def take_turn(lock_file: int) -> bool:
    """Wait for this connection's turn to write; `False` if the wait passed the busy timeout."""
    deadline, pause = None, 0.0001
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            now = time.monotonic()
            deadline = deadline or now + BUSY_TIMEOUT_SECONDS
            if now > deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


def end_turn(info: dict) -> None:
    if info.pop("writers_lock_held", False):
        fcntl.flock(info["writers_lock"], fcntl.LOCK_UN)


def close_lock_file(info: dict) -> None:
    end_turn(info)
    lock_file = info.pop("writers_lock", None)
    if lock_file is not None:
        os.close(lock_file)


@contextmanager
def reading_only() -> Iterator[None]:
    """Run the block as reads only: nothing in it is flushed, and what it changes in the session is dropped.

    On SQLite it runs in a transaction of its own that starts deferred, outside the writers' queue, and
    reads beside the writer (WAL); so the sync checks a batch without holding up other devices. Elsewhere
    (PostgreSQL has no single writer) it runs in the session's transaction, saving the round trips.
    """
    from .extensions import db

    own_transaction = db.engine.dialect.name == "sqlite" and not db.session().in_transaction()
    if own_transaction:
        db.session.connection(execution_options={READ_ONLY: True})
    try:
        with db.session.no_autoflush:
            yield
    finally:
        if own_transaction:
            db.session.rollback()
        else:
            db.session.expire_all()


def plan_for_current_sizes(engine: Engine) -> None:
    """Let PostgreSQL plan every query for the tables as they are now.

    psycopg prepares a statement once it has seen it five times, and PostgreSQL may then keep a generic plan
    made while the tables were nearly empty: the sync's duplicate check stayed a full scan of `responses`.
    """

    @event.listens_for(engine, "do_connect")
    def _no_prepared_statements(_dialect, _record, _args, params):
        params["prepare_threshold"] = None
