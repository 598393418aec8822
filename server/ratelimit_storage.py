"""The rate-limit counters of every worker on one machine, in a small SQLite file (the embedded default).

`memory://` keeps a counter per worker: with `wijkstem serve`'s two workers every limit let twice as many
requests through (15 of 40 wrong sign-ins passed a 10-a-minute limit). This storage implements the `limits`
library's `Storage` interface for its fixed-window strategy (Flask-Limiter's default) with one SQLite row per
counter, so all workers of one machine share each count. It is a file of its own beside the database, not the
database itself: counting never waits for the sync's writers, and PostgreSQL deployments without Redis get it
too. Several machines need Redis (`redis://`), which `limits` supports out of the box.

Each hit is one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` statement: SQLite runs it atomically under its
write lock, so two workers never both read 9 and both write 10. The counters need not survive a power cut
(`synchronous=OFF`): at worst a window starts afresh.
"""

import os
import sqlite3
import threading
import time
from urllib.parse import unquote, urlsplit

from limits.storage import Storage

SCHEME = "wijkstem-sqlite"

SCHEMA = """CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID"""

#: One statement: a new or expired counter starts at `amount` with a new window, a live one grows.
HIT = """INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counters.expires_at <= :now THEN excluded.count ELSE counters.count + excluded.count END,
    expires_at = CASE WHEN counters.expires_at <= :now THEN excluded.expires_at ELSE counters.expires_at END
RETURNING count"""

#: Expired counters are deleted once every this many hits of a worker.
SWEEP_EVERY = 1000


def storage_uri(path) -> str:
    """The `RATELIMIT_STORAGE_URI` of a counters file at `path` (absolute)."""
    return f"{SCHEME}://{os.path.abspath(path)}"


class SQLiteFileStorage(Storage):
    """`wijkstem-sqlite:///absolute/path/ratelimits.db`: counters shared by the processes of one machine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = unquote(urlsplit(uri).path)
        self.local = threading.local()
        self.hits = 0

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (made after gunicorn forked the worker, never shared across a fork)."""
        conn = getattr(self.local, "conn", None)
        if conn is None or self.local.pid != os.getpid():
            if not os.path.exists(self.path):
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))  # never readable by others
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute(SCHEMA)
            self.local.conn, self.local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn = self.connection()
        now = time.time()
        (count,) = conn.execute(HIT, {"key": key, "amount": amount, "now": now, "expiry": expiry}).fetchone()
        self.hits += 1
        if self.hits % SWEEP_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return count

    def get(self, key: str) -> int:
        row = self.connection().execute("SELECT count FROM counters WHERE key = ? AND expires_at > ?",
                                        (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self.connection().execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?",
                                        (key, time.time())).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self.connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self.connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self.connection().execute("DELETE FROM counters WHERE key = ?", (key,))
