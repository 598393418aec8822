"""How the engine talks to each database: SQLite's pragmas and one writer at a time, PostgreSQL's plans."""

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from psycopg.pq import PipelineStatus, TransactionStatus
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError

from .bulk import driver_errors
from .extensions import db

log = logging.getLogger(__name__)

#: How long a SQLite transaction waits for the write lock before SQLite reports "database is locked".
BUSY_TIMEOUT_SECONDS = 10
#: The longest pause between two looks at the writers' lock file.
LONGEST_PAUSE_SECONDS = 0.001
#: Execution option of a transaction that only reads (see `reading_only`).
READ_ONLY = "wijkstem_read_only"
#: SQLite's `synchronous` setting: FULL makes every acknowledged commit survive a power cut (`sqlite_pragmas`).
SQLITE_SYNCHRONOUS = "FULL"
#: Commits per worker process after which its background thread checkpoints SQLite's write-ahead log.
COMMITS_PER_CHECKPOINT = 16
#: A checkpointer thread with nothing to do for this long ends.
CHECKPOINTER_IDLE_SECONDS = 60
#: SQLite's own checkpoint at commit, left as a safety net should the background one ever fall behind (pages).
FALLBACK_CHECKPOINT_PAGES = 20_000
#: Plans every execution of a prepared statement for its parameters (`plan_for_current_sizes`).
FRESH_PLANS = "SET plan_cache_mode = force_custom_plan"
#: PostgreSQL's SQLSTATE for a setting it does not know.
UNKNOWN_SETTING = "42704"
#: A PostgreSQL connection that sat in the pool longer than this is tested before it is handed out.
IDLE_BEFORE_PING_SECONDS = 10


def tune_engine(engine: Engine, prepared_statements: bool = True) -> None:
    """Per database: SQLite's pragmas, and its writers queue; PostgreSQL's prepared statements planned for the
    tables as they are (`plan_for_current_sizes`), and its pooled connections tested when they sat idle.

    Only `engine` (the app's, from the app factory) is tuned: other engines in the process keep their own ways.
    """
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
        use_immediate_transactions(engine)
    elif engine.dialect.name == "postgresql":
        plan_for_current_sizes(engine, prepared_statements)
        ping_idle_connections(engine)


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL, a busy timeout, foreign keys and durable commits for every SQLite connection.

    `synchronous=FULL`: in WAL mode SQLite then syncs the write-ahead log at every commit, so a commit that
    returned survives a power cut or an operating-system crash. With `NORMAL` the last commits could be lost,
    and the sync acknowledges a response right after its commit: the phone then deletes its copy. Every
    connection of ours may write (BEGIN IMMEDIATE), so every one commits durably; the cost is in
    `docs/performance.md` (issue 11).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cursor.close()


def use_immediate_transactions(engine: Engine) -> None:
    """Start every SQLite transaction with BEGIN IMMEDIATE, writers taking turns in a queue.

    BEGIN IMMEDIATE takes SQLite's write lock up front, so two writers never deadlock halfway. But SQLite's
    own busy handler sleeps 1, 2, 5 ... up to 100 ms between its tries, and under steady load the other
    worker took the lock again and again meanwhile: with eight busy phones, one request waited over a second.
    So each connection first takes an exclusive `flock` on a file beside the database (every worker process
    and thread of this server uses it), looking again every millisecond at most, and lets go once its COMMIT
    or ROLLBACK is done. Should that wait ever pass the busy timeout, or the file not open, SQLite's own lock
    decides as before. Transactions marked `READ_ONLY` start deferred and wait for no one.
    """
    lock_path = writers_lock_path(engine.url.database)
    checkpointer = lock_path and Checkpointer(engine.url.database)
    event.listen(engine, "connect", lambda dbapi_connection, record: open_connection(
        dbapi_connection, record, lock_path, checkpointer))
    event.listen(engine, "begin", begin_transaction)
    release_turn_after_transactions(engine.dialect)
    event.listen(engine, "reset", lambda _dbapi_connection, record, _state: record and end_turn(record.info))
    event.listen(engine, "checkin", lambda _dbapi_connection, record: end_turn(record.info))
    event.listen(engine, "close", lambda _dbapi_connection, record: close_lock_file(record.info))


def writers_lock_path(database: str | None) -> str | None:
    """The writers' lock file of a database file; none for a database in memory."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-writers.lock"


def open_connection(dbapi_connection, record, lock_path: str | None, checkpointer=None) -> None:
    """Let our BEGINs manage transactions, open the writers' lock file for this connection, and leave
    checkpoints to the `checkpointer`'s thread."""
    dbapi_connection.isolation_level = None
    close_lock_file(record.info)
    if checkpointer is not None:
        dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_CHECKPOINT_PAGES}")
        record.info["checkpointer"] = checkpointer
    if lock_path is None:
        return
    try:  # read access is enough for flock; anyone who can open the database can queue
        record.info["writers_lock"] = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as err:
        log.warning("no writers' queue for %s (%s): SQLite's busy handler decides alone", lock_path, err)


def begin_transaction(connection) -> None:
    """BEGIN (deferred) for a transaction marked `READ_ONLY`; else wait for our turn, then BEGIN IMMEDIATE."""
    if connection.get_execution_options().get(READ_ONLY):
        begin_on_driver(connection, "BEGIN")  # reads a snapshot beside the writer, waits for no one
        return
    info = connection.connection.info
    if "writers_lock" in info:
        info["writers_lock_held"] = take_turn(info["writers_lock"])
    try:
        begin_on_driver(connection, "BEGIN IMMEDIATE")
    except BaseException:
        end_turn(info)
        raise


def begin_on_driver(connection, statement: str) -> None:
    """`statement` straight on the driver, whose errors (a database still locked) leave as SQLAlchemy's."""
    with driver_errors(connection, statement) as driver:
        driver.execute(statement)


def release_turn_after_transactions(dialect) -> None:
    """Give up the turn once the driver's COMMIT or ROLLBACK has run (the engine's events come before it)."""
    for name in ("do_commit", "do_rollback"):
        finish = getattr(dialect, name)

        def finish_then_end_turn(dbapi_connection, finish=finish, committing=name == "do_commit"):
            info = connection_info(dbapi_connection)
            try:
                finish(dbapi_connection)
            finally:
                wrote = end_turn(info)
            if committing and wrote and "checkpointer" in info:
                info["checkpointer"].committed()

        setattr(dialect, name, finish_then_end_turn)


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


def connection_info(dbapi_connection) -> dict:
    """The pool's `info` of a connection; empty for a bare or ad-hoc one (which never takes a turn)."""
    try:
        return dbapi_connection.info
    except (AttributeError, NotImplementedError):
        return {}


def end_turn(info: dict) -> bool:
    """Give up this connection's turn, if it holds one (then `True`)."""
    if info.pop("writers_lock_held", False):
        fcntl.flock(info["writers_lock"], fcntl.LOCK_UN)
        return True
    return False


class Checkpointer:
    """Copies SQLite's write-ahead log back into the database file in a thread of its own, so that no request
    waits for it.

    SQLite checkpoints in the commit that fills the log past 1,000 pages: every few dozen sync batches one
    request did the copying and the file's fsync while it held the write lock, and the phones queued behind it
    waited too. Here every `COMMITS_PER_CHECKPOINT` commits of this process wake a thread that runs a passive
    checkpoint (it waits for no reader or writer); SQLite's own, at `FALLBACK_CHECKPOINT_PAGES`, stays as a
    safety net. A checkpoint only copies committed pages; a crash at any moment leaves the database whole.
    """

    def __init__(self, path: str):
        #: Checkpoints run so far (successful ones).
        self.path, self.commits, self.runs = path, 0, 0
        self.wanted, self.lock = threading.Event(), threading.Lock()
        self.thread, self.pid = None, None

    def committed(self) -> None:
        self.commits += 1
        if self.commits % COMMITS_PER_CHECKPOINT == 0:
            self.wake()

    def wake(self) -> None:
        with self.lock:
            if self.pid != os.getpid() or not self.thread.is_alive():  # first use, or a forked worker
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self.run, name="sqlite-checkpoint", daemon=True)
                self.thread.start()
        self.wanted.set()

    def run(self) -> None:
        """Checkpoint whenever woken; end after a quiet `CHECKPOINTER_IDLE_SECONDS` (`wake` starts another)."""
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            while self.wanted.wait(CHECKPOINTER_IDLE_SECONDS):
                self.wanted.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as err:
                    log.warning("background checkpoint of %s failed (%s); SQLite's own at commit remains",
                                self.path, err)
                else:
                    self.runs += 1
        finally:
            connection.close()


def close_lock_file(info: dict) -> None:
    end_turn(info)
    lock_file = info.pop("writers_lock", None)
    if lock_file is not None:
        os.close(lock_file)


def begin_reading() -> bool:
    """Let the session's next transaction only read: on SQLite it starts deferred, outside the writers' queue,
    and reads beside the writer (WAL). `False` (and nothing changes) when a transaction is open already, or
    on another database."""
    if db.engine.dialect.name != "sqlite" or db.session().in_transaction():
        return False
    db.session.connection(execution_options={READ_ONLY: True})
    return True


@contextmanager
def reading_only() -> Iterator[None]:
    """Run the block as reads only: nothing in it is flushed, and what it changes in the session is dropped.

    On SQLite the block gets a deferred transaction of its own (`begin_reading`), so the sync checks a batch
    without holding up other devices; elsewhere (PostgreSQL has no single writer) it runs in the session's
    transaction, saving the round trips.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("reading_only() would drop the session's unflushed changes")
    own_transaction = begin_reading()
    try:
        with db.session.no_autoflush:
            yield
    finally:
        if own_transaction:
            db.session.rollback()
        else:
            db.session.expire_all()


def plan_for_current_sizes(engine: Engine, prepared: bool = True) -> None:
    """Let PostgreSQL plan every query for the parameters it gets and the tables as they are now.

    psycopg prepares a statement after five executions, so PostgreSQL parses it once per connection (the
    database's CPU per one-response sync fell by a fifth, `docs/performance.md`). A prepared statement may be
    given a generic plan, made once for any parameters, and one made while the tables were nearly empty kept the
    sync's duplicate check a full scan of `responses`: each connection sets `plan_cache_mode` to
    ``force_custom_plan`` (a plain SET, which neither overrides ``PGOPTIONS`` nor depends on a pooler passing
    startup options), so every execution is planned afresh; a server without that setting (before PostgreSQL
    12) gets no prepared statements. `prepared=False` (`DATABASE_PREPARED_STATEMENTS`, behind a pooler that
    cannot keep prepared statements) prepares nothing.
    """
    if not prepared:
        @event.listens_for(engine, "do_connect")
        def _no_prepared_statements(_dialect, _record, _args, params):
            params["prepare_threshold"] = None

        return

    @event.listens_for(engine, "connect")
    def _fresh_plans(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a fresh connection: nothing to commit, one round trip
        try:
            dbapi_connection.execute(FRESH_PLANS, prepare=False)
        except engine.dialect.loaded_dbapi.Error as err:
            if err.sqlstate != UNKNOWN_SETTING:
                raise
            dbapi_connection.prepare_threshold = None
            log.warning("PostgreSQL has no plan_cache_mode (before 12): statements are not prepared")
        finally:
            dbapi_connection.autocommit = autocommit

    keep_prepared_statements(engine)


def keep_prepared_statements(engine: Engine) -> None:
    """End a transaction that did not fail with a plain ROLLBACK, which keeps the connection's prepared statements.

    psycopg's own rollback also deallocates them all (and counts five executions again before it prepares a
    statement anew), and every request that only reads ends with a rollback, as does the pool's reset of a
    connection given back mid-transaction. After an error, or in a pipeline, psycopg's own rollback stays: it
    cannot tell which statements the server really prepared.
    """
    dialect = engine.dialect
    roll_back = dialect.do_rollback

    def do_rollback(dbapi_connection):
        driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)  # a pool's proxy, or the driver's
        if driver.info.transaction_status == TransactionStatus.INTRANS \
                and driver.info.pipeline_status == PipelineStatus.OFF:
            driver.execute("ROLLBACK", prepare=False)
        else:
            roll_back(dbapi_connection)

    dialect.do_rollback = do_rollback


def ping_idle_connections(engine: Engine) -> None:
    """Test a pooled connection before handing it out only if it sat idle for `IDLE_BEFORE_PING_SECONDS`.

    A connection goes stale when the server restarts or something on the way drops an idle connection; one
    handed back a moment ago is as good as the server. SQLAlchemy's `pool_pre_ping` tests every checkout,
    one more round trip for every request (a sync spent a tenth of its time there under load). A stale
    connection is dropped and the pool hands out another (SQLAlchemy retries a checkout that raises
    `DisconnectionError`).
    """

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_BEFORE_PING_SECONDS:
            return  # just connected, or just handed back
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            if engine.dialect.is_disconnect(err, dbapi_connection, None):
                raise DisconnectionError(f"a pooled connection went stale: {err}") from err
            raise DBAPIError.instance("ping", None, err, engine.dialect.loaded_dbapi.Error) from err


def insert_or_skip(table, rows: list[dict], keys: list[str]):
    """``INSERT ... ON CONFLICT (keys) DO NOTHING`` on either database (both write it alike)."""
    return dialect_insert(table).values(rows).on_conflict_do_nothing(index_elements=keys)


def insert_or_add(table, row: dict, keys: list[str], column: str):
    """``INSERT ... ON CONFLICT (keys) DO UPDATE SET column = column + new``, returning the new total."""
    statement = dialect_insert(table).values(row)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={column: table.c[column] + statement.excluded[column]}
    ).returning(table.c[column])


def dialect_insert(table):
    """The INSERT of the session's database, which knows ON CONFLICT."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)
