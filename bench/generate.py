"""Make (once) a database of N responses to the demo campaign, its running totals counted; print its URL.

    python bench/generate.py --responses 1000000            # SQLite file under bench/.cache/
    python bench/generate.py --responses 1000000 --postgres # a database on WIJKSTEM_BENCH_DATABASE_URL's server
    python bench/generate.py --smoke                        # 2,000 responses, made afresh in a scratch folder

The one generator of the benchmarks' data (the review and the results benchmarks used to have one each). The
data is made with a fixed seed, migrated with the project's own migrations and bulk-loaded with the drivers
directly (executemany on SQLite; COPY without the secondary indexes on PostgreSQL, which are built again
afterwards); the results' running totals are then counted by the application's own `refresh_rollups`, as
`wijkstem results refresh` would, and the times are printed. A finished database is cached under a name that
holds the row count, the generator's version and a hash of the migrations, so reruns print the URL at once
(`WIJKSTEM_BENCH_CACHE` moves the SQLite cache elsewhere). Other benchmarks import
`ensure_database(responses, postgres)`.
"""

import argparse
import contextlib
import fcntl
import hashlib
import multiprocessing
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
import zlib
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = Path(os.environ.get("WIJKSTEM_BENCH_CACHE") or ROOT / "bench" / ".cache")
#: Bump when the generated data changes shape.
GENERATOR_VERSION = 3
SEED = 20261128
#: Responses arrive over these 120 days.
PERIOD_END = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD = timedelta(days=120)
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
#: Responses whose running totals are counted in one transaction.
COUNT_PER_TRANSACTION = 50_000
#: The smoke run: enough transactions for the app's SQLite checkpointer thread to start (it did once keep the
#: finished file locked), in a few seconds.
SMOKE_RESPONSES, SMOKE_COUNT_PER_TRANSACTION = 2_000, 100

LANGUAGES = (("nl", 50), ("tr", 20), ("ar", 20), ("en", 10))
BUURTEN = (("Noord", 40), ("Zuid", 30), ("Centrum", 20), (None, 10))
AGES = (("0-17", 5), ("18-26", 15), ("27-40", 30), ("41-65", 30), ("66-79", 12), ("80+", 3), (None, 5))
STATES = (("new", 70), ("reviewed", 20), ("flagged", 7), ("hidden", 3))
MISSEN = ("groen", "spelen", "bankjes", "licht")
PLEKKEN = ("buurthuis", "markt", "park", "bieb")
IDEEN = ("Meer bankjes bij de speeltuin", "Betere verlichting in de steeg", "Een moestuin voor de buurt",
         "Minder hard rijden in de straat", "Vaker de vuilnis ophalen", "Een plek voor jongeren")
TAGS = ("groen", "verkeer", "veiligheid", "jongeren", "afval")
RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "device_id",
                    "collected_at", "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket",
                    "receipt_hash", "content_hash", "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "choice_key", "number", "text")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def weighted(rng: random.Random, pairs: tuple):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "server" / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def cache_key(responses: int) -> str:
    return f"wijkstem_bench_{responses}_v{GENERATOR_VERSION}_{migrations_hash()}"


# --- the rows ----------------------------------------------------------------------------------------

def response_ids(rng: random.Random, when: datetime) -> uuid.UUID:
    """A UUIDv7 for the moment `when`, as a device would make it."""
    millis = int(when.timestamp() * 1000)
    value = (millis << 80) | rng.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def answers_for(rng: random.Random, response_id) -> list[tuple]:
    """About five answers, as the sync endpoint stores them (a multiple choice gives one row per choice)."""
    rows = [(response_id, "wonen", None, rng.randint(1, 5), None)]
    if rng.random() < 0.8:
        rows.append((response_id, "missen", rng.choice(MISSEN), None, None))
    if rng.random() < 0.6:
        rows += [(response_id, "plekken", key, None, None) for key in rng.sample(PLEKKEN, rng.randint(1, 3))]
    if rng.random() < 0.85:
        rows.append((response_id, "veilig", rng.choice(("yes", "no")), None, None))
    if rng.random() < 0.7:
        rows.append((response_id, "jaren", None, rng.randint(0, 60), None))
    if rng.random() < 0.3:
        rows.append((response_id, "idee", None, None, rng.choice(IDEEN)))
    return rows


def generate_rows(responses: int, campaign_id, sources: dict, tag_ids: list, batch: int = 20_000):
    """Yield ``(response rows, answer rows, tag rows)`` in batches, oldest response first."""
    rng = random.Random(SEED)
    start = PERIOD_END - PERIOD
    step = PERIOD / responses
    flyers = sources["flyer"]
    door = sources["door_to_door"]
    made = 0
    while made < responses:
        count = min(batch, responses - made)
        response_rows, answer_rows, tag_rows = [], [], []
        for number in range(made, made + count):
            received = start + step * number
            response_id = response_ids(rng, received)
            channel = "flyer" if rng.random() < 0.4 else "door_to_door"
            response_rows.append((
                response_id, campaign_id, 1, weighted(rng, LANGUAGES), channel,
                rng.choice(flyers) if channel == "flyer" else door, None,
                received - timedelta(seconds=rng.randint(0, 3 * 86400)), received, True, rng.random() < 0.3,
                weighted(rng, BUURTEN), weighted(rng, AGES),
                f"{rng.getrandbits(256):064x}" if rng.random() < 0.05 else None,
                f"{rng.getrandbits(256):064x}", weighted(rng, STATES)))
            answer_rows += answers_for(rng, response_id)
            if rng.random() < 0.03:
                tag_rows.append((response_id, rng.choice(tag_ids), received))
        made += count
        yield response_rows, answer_rows, tag_rows


# --- setting up the schema and the demo campaign through the app ---------------------------------------

def open_app(url: str):
    from server import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(CACHE / "media"), "SECRET_KEY": "bench"})


def prepare(url: str) -> tuple:
    """Migrate, make the demo team, campaign, sources and tags; return (campaign id, sources, tag ids)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from server.campaigns.models import Source
    from server.demo import ensure_demo
    from server.extensions import db
    from server.review.models import Tag

    app = open_app(url)
    with app.app_context():
        upgrade()
        _team, campaign = ensure_demo()
        tags = [Tag(campaign_id=campaign.id, name=name) for name in TAGS]
        db.session.add_all(tags)
        db.session.commit()
        sources = {"flyer": [], "door_to_door": None}
        for source in db.session.scalars(select(Source).where(Source.campaign_id == campaign.id)):
            if source.kind == "flyer":
                sources["flyer"].append(source.id)
            else:
                sources["door_to_door"] = source.id
        result = campaign.id, sources, [tag.id for tag in tags]
        db.session.remove()
        db.engine.dispose()
    return result


# --- the running totals ------------------------------------------------------------------------------

def count_totals(url: str, per_transaction: int) -> float:
    """Count the running totals with the application's own code, `per_transaction` responses a transaction;
    the seconds it took."""
    from server.campaigns.models import Campaign
    from server.extensions import db
    from server.results.rollup import refresh_rollups

    app = open_app(url)
    with app.app_context():
        started = time.perf_counter()
        campaign_id = db.session.query(Campaign.id).one()[0]
        while refresh_rollups(campaign_id, limit=per_transaction):
            db.session.commit()
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return elapsed


def count_totals_apart(url: str, per_transaction: int) -> float:
    """`count_totals` in a process of its own, which takes every connection with it when it ends: on SQLite
    the app's checkpointer thread keeps one open for a minute after the last commit, and the journal mode
    could not be changed afterwards ("database is locked")."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(count_totals, url, per_transaction).result()


# --- SQLite ------------------------------------------------------------------------------------------

def sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy stores for a UTC timestamp on SQLite."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sqlite_response(row: tuple) -> tuple:
    return (row[0].hex, row[1].hex, *row[2:7], sqlite_time(row[7]), sqlite_time(row[8]), int(row[9]),
            int(row[10]), *row[11:])


def load_sqlite(path: Path, responses: int, campaign_id, sources: dict, tag_ids: list) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    insert_response = (f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) "
                       f"VALUES ({', '.join('?' * len(RESPONSE_COLUMNS))})")
    insert_answer = f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
    with connection:
        for response_rows, answer_rows, tag_rows in generate_rows(responses, campaign_id, sources, tag_ids):
            connection.executemany(insert_response, [sqlite_response(r) for r in response_rows])
            connection.executemany(insert_answer, [(r[0].hex, *r[1:]) for r in answer_rows])
            connection.executemany("INSERT INTO response_tags (response_id, tag_id, received_at) VALUES (?, ?, ?)",
                                   [(r[0].hex, r[1], sqlite_time(r[2])) for r in tag_rows])
    connection.close()


@contextlib.contextmanager
def making(lock_path: Path):
    """One process at a time makes a given database (two benchmarks may start together)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_sqlite(responses: int, per_transaction: int = COUNT_PER_TRANSACTION, folder: Path | None = None) -> str:
    target = (folder or CACHE) / f"{cache_key(responses)}.db"
    with making(target.with_suffix(".lock")):
        if not target.exists():
            partial = target.with_suffix(".partial")
            for leftover in target.parent.glob(partial.name + "*"):
                leftover.unlink()
            started = time.perf_counter()
            campaign_id, sources, tag_ids = prepare(f"sqlite:///{partial}")
            load_sqlite(partial, responses, campaign_id, sources, tag_ids)
            log(f"loaded {responses:,} responses into SQLite in {time.perf_counter() - started:.0f} s")
            log(f"counted the running totals in {count_totals_apart(f'sqlite:///{partial}', per_transaction):.0f} s")
            connection = sqlite3.connect(partial)
            connection.execute("ANALYZE")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.close()
            partial.rename(target)
    return f"sqlite:///{target}"


# --- PostgreSQL --------------------------------------------------------------------------------------

def pg_server_url() -> str:
    import os

    return os.environ.get("WIJKSTEM_BENCH_DATABASE_URL", PG_SERVER)


def pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(pg_server_url()).set(database=name).render_as_string(hide_password=False)


def pg_state(name: str) -> str | None:
    """``complete``, ``partial`` or ``None`` (no such database)."""
    import psycopg

    with psycopg.connect(pg_server_url(), autocommit=True) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (name,)).fetchone()
    if row is None:
        return None
    return "complete" if row[0] == "complete" else "partial"


def copy_rows(cursor, table: str, columns: tuple, rows: list) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


LOADED_TABLES = ("responses", "answers", "response_tags")


def load_postgres(name: str, responses: int, campaign_id, sources: dict, tag_ids: list) -> None:
    """COPY without the secondary indexes, which are built again afterwards (much faster in bulk)."""
    import psycopg

    with psycopg.connect(pg_url(name)) as conn, conn.cursor() as cursor:
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                               "AND indexname NOT LIKE 'pk_%%'", (list(LOADED_TABLES),)).fetchall()
        for index_name, _definition in indexes:
            conn.execute(f'DROP INDEX "{index_name}"')
        for response_rows, answer_rows, tag_rows in generate_rows(responses, campaign_id, sources, tag_ids):
            copy_rows(cursor, "responses", RESPONSE_COLUMNS, response_rows)
            copy_rows(cursor, "answers", ANSWER_COLUMNS, answer_rows)
            copy_rows(cursor, "response_tags", ("response_id", "tag_id", "received_at"), tag_rows)
        for _index_name, definition in indexes:
            conn.execute(definition)
        conn.commit()


def ensure_postgres(responses: int, per_transaction: int = COUNT_PER_TRANSACTION, name: str | None = None) -> str:
    import psycopg

    name = name or cache_key(responses)
    with psycopg.connect(pg_server_url(), autocommit=True) as lock:
        # one process at a time makes a given database (two benchmarks may start together)
        lock.execute("SELECT pg_advisory_lock(%s)", (zlib.crc32(name.encode()),))
        if pg_state(name) != "complete":
            make_postgres(name, responses, per_transaction)
    return pg_url(name)


def make_postgres(name: str, responses: int, per_transaction: int) -> None:
    """Load the rows, count the running totals, then mark the database complete."""
    import psycopg

    with psycopg.connect(pg_server_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    campaign_id, sources, tag_ids = prepare(pg_url(name))
    load_postgres(name, responses, campaign_id, sources, tag_ids)
    log(f"loaded {responses:,} responses into PostgreSQL in {time.perf_counter() - started:.0f} s")
    log(f"counted the running totals in {count_totals_apart(pg_url(name), per_transaction):.0f} s")
    with psycopg.connect(pg_url(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS 'complete'")


def ensure_database(responses: int = 1_000_000, postgres: bool = False) -> str:
    """The URL of a database holding `responses` generated responses (made now if not cached)."""
    return ensure_postgres(responses) if postgres else ensure_sqlite(responses)


def smoke_database(postgres: bool = False) -> str:
    """The small database of the benchmarks' smoke runs, cached like the big ones."""
    if postgres:
        return ensure_postgres(SMOKE_RESPONSES, SMOKE_COUNT_PER_TRANSACTION)
    return ensure_sqlite(SMOKE_RESPONSES, SMOKE_COUNT_PER_TRANSACTION)


@contextlib.contextmanager
def fresh_smoke_database(postgres: bool):
    """The smoke database made afresh, in a scratch folder or a scratch PostgreSQL database, removed
    afterwards: its URL."""
    import psycopg

    if postgres:
        name = f"wijkstem_bench_smoke_{uuid.uuid4().hex[:12]}"
        try:
            yield ensure_postgres(SMOKE_RESPONSES, SMOKE_COUNT_PER_TRANSACTION, name)
        finally:
            with psycopg.connect(pg_server_url(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    with tempfile.TemporaryDirectory(prefix="wijkstem-bench-smoke-") as folder:
        yield ensure_sqlite(SMOKE_RESPONSES, SMOKE_COUNT_PER_TRANSACTION, Path(folder))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL instead of SQLite")
    parser.add_argument("--smoke", action="store_true", help="a small database made afresh, then removed")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.smoke:
        with fresh_smoke_database(args.postgres) as url:
            print(f"made {url} in {time.perf_counter() - started:.1f} s (smoke: removed again)")
        return
    url = ensure_database(args.responses, args.postgres)
    print(f"ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(url)


if __name__ == "__main__":
    main()
