"""A cached database of N responses to the demo campaign, with the results' running totals counted.

    python bench/results_data.py --responses 1000000 [--postgres]

Made once, then reused: an SQLite file under ``bench/.cache/`` or a PostgreSQL database whose name holds the
row count and a hash of the migrations. Rows are bulk-loaded through the drivers (executemany on SQLite, COPY
on PostgreSQL, secondary indexes built afterwards); the running totals are then counted by the application's
own `refresh_rollups`, as `wijkstem results refresh` would, and that time is printed.

(The review helper's `bench/generate.py` makes a similar database with tags; once both are merged this module
can load its rows instead. Its interface, `ensure_database(responses, postgres)`, is the same.)
"""

import argparse
import hashlib
import os
import random
import sqlite3
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE = ROOT / "bench" / ".cache"
PG_SERVER = os.environ.get("WIJKSTEM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
SEED = 11
START = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
DAYS = 120
LANGUAGES = ["nl"] * 11 + ["tr"] * 4 + ["ar"] * 3 + ["en"] * 2
BUURTEN = ["Noord"] * 5 + ["Zuid"] * 3 + ["Centrum"] * 3 + [None]
AGES = ["0-17"] + ["18-26"] * 2 + ["27-40"] * 4 + ["41-65"] * 5 + ["66-79"] * 2 + ["80+"] + [None]
STATES = ["new"] * 60 + ["reviewed"] * 35 + ["flagged"] * 3 + ["hidden"] * 2
IDEAS = ["Meer bankjes bij de speeltuin", "Een zebrapad bij de school", "Vaker de straat vegen",
         "Meer licht in het park", "Een moestuin voor de buurt", "Daha fazla ağaç", "مكان للقاء الجيران"]
RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "device_id",
                    "collected_at", "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket",
                    "receipt_hash", "content_hash", "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "choice_key", "number", "text")
BATCH = 50_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "server" / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:8]


def database_name(responses: int) -> str:
    return f"wijkstem_bench_results_{responses}_{migrations_hash()}"


def open_app(url: str):
    from server import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(CACHE / "media"), "SECRET_KEY": "bench"})


# --- rows --------------------------------------------------------------------------------------------

def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    value = (int(moment.timestamp() * 1000) << 80) | rng.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    return uuid.UUID(int=(value & ~(0x3 << 62)) | (0x2 << 62))


def answer_rows(rng: random.Random, response_id) -> list[tuple]:
    """About seven answer rows: every question type but voice (a multiple choice gives a row per choice)."""
    rows = [(response_id, "wonen", None, rng.choice((1, 2, 3, 3, 4, 4, 4, 5, 5)), None)]
    if rng.random() < 0.93:
        rows.append((response_id, "missen", rng.choice(("groen", "groen", "spelen", "bankjes", "licht")), None,
                     None))
    rows += [(response_id, "plekken", choice, None, None)
             for choice in rng.sample(("buurthuis", "markt", "park", "bieb"), rng.randint(1, 3))]
    if rng.random() < 0.95:
        rows.append((response_id, "veilig", "yes" if rng.random() < 0.62 else "no", None, None))
    if rng.random() < 0.85:
        rows.append((response_id, "jaren", None, min(100, int(rng.expovariate(1 / 12))), None))
    if rng.random() < 0.25:
        rows.append((response_id, "idee", None, None, rng.choice(IDEAS)))
    return rows


def batches(responses: int, campaign_id, sources: list[int]):
    """``(response rows, answer rows)`` per `BATCH`, in collection order, from a fixed seed."""
    rng = random.Random(SEED)
    for first in range(0, responses, BATCH):
        response_batch, answer_batch = [], []
        for index in range(first, min(responses, first + BATCH)):
            collected = START + timedelta(seconds=index * DAYS * 86400 // responses + rng.randrange(60))
            channel = "door_to_door" if rng.random() < 0.6 else "flyer"
            source = sources[2] if channel == "door_to_door" else sources[rng.randrange(2)]
            response_id = uuid7_at(collected, rng)
            response_batch.append((
                response_id, campaign_id, 1, rng.choice(LANGUAGES), channel, source, None, collected,
                collected + timedelta(minutes=rng.randrange(1, 600)), True, rng.random() < 0.5, rng.choice(BUURTEN),
                rng.choice(AGES), None, f"{rng.getrandbits(256):064x}", rng.choice(STATES)))
            answer_batch += answer_rows(rng, response_id)
        yield response_batch, answer_batch


# --- loading -----------------------------------------------------------------------------------------

def prepare(url: str) -> tuple:
    """Migrate and make the demo campaign through the app; ``(campaign id, source ids)``."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from server.campaigns.models import Source
    from server.demo import ensure_demo
    from server.extensions import db

    app = open_app(url)
    with app.app_context():
        upgrade()
        _team, campaign = ensure_demo()
        db.session.commit()
        sources = list(db.session.scalars(select(Source.id).where(Source.campaign_id == campaign.id)
                                          .order_by(Source.id)))
        result = campaign.id, sources
        db.session.remove()
        db.engine.dispose()
    return result


def sqlite_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(path: Path, responses: int, campaign_id, sources: list[int]) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    insert_response = f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES ({', '.join('?' * 16)})"
    insert_answer = f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
    with connection:
        for response_batch, answer_batch in batches(responses, campaign_id, sources):
            connection.executemany(insert_response, [
                (r[0].hex, r[1].hex, *r[2:7], sqlite_time(r[7]), sqlite_time(r[8]), int(r[9]), int(r[10]), *r[11:])
                for r in response_batch])
            connection.executemany(insert_answer, [(a[0].hex, *a[1:]) for a in answer_batch])
    connection.close()


def load_postgres(url: str, responses: int, campaign_id, sources: list[int]) -> None:
    """COPY without the secondary indexes, which are built again afterwards (much faster in bulk)."""
    import psycopg

    with psycopg.connect(url) as connection:
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('responses', 'answers') "
            "AND indexname NOT LIKE 'pk_%'").fetchall()
        for name, _definition in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        with connection.cursor() as cursor:
            for response_batch, answer_batch in batches(responses, campaign_id, sources):
                with cursor.copy(f"COPY responses ({', '.join(RESPONSE_COLUMNS)}) FROM STDIN") as copy:
                    for row in response_batch:
                        copy.write_row(row)
                with cursor.copy(f"COPY answers ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
                    for row in answer_batch:
                        copy.write_row(row)
        for _name, definition in indexes:
            connection.execute(definition)
        connection.commit()


def count_totals(url: str) -> float:
    """Count the running totals with the application's own code, a transaction per 50,000 responses."""
    from sqlalchemy import text

    from server.campaigns.models import Campaign
    from server.extensions import db
    from server.results.rollup import refresh_rollups

    app = open_app(url)
    started = time.perf_counter()
    with app.app_context():
        campaign_id = db.session.query(Campaign.id).one()[0]
        while refresh_rollups(campaign_id, limit=50_000):
            db.session.commit()
        db.session.commit()
        elapsed = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return elapsed


def ensure_sqlite(responses: int) -> str:
    target = CACHE / f"{database_name(responses)}.db"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        started = time.perf_counter()
        campaign_id, sources = prepare(f"sqlite:///{partial}")
        load_sqlite(partial, responses, campaign_id, sources)
        log(f"loaded {responses:,} responses into SQLite in {time.perf_counter() - started:.0f} s")
        log(f"counted the running totals in {count_totals(f'sqlite:///{partial}'):.0f} s")
        connection = sqlite3.connect(partial)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()
        partial.rename(target)
    return f"sqlite:///{target}"


def ensure_postgres(responses: int) -> str:
    import psycopg

    name = database_name(responses)
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return f"{PG_SERVER}/{name}"
        admin.execute(f'DROP DATABASE IF EXISTS "{name}_partial" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}_partial"')
    partial = f"{PG_SERVER}/{name}_partial"
    started = time.perf_counter()
    campaign_id, sources = prepare(partial)
    load_postgres(partial, responses, campaign_id, sources)
    log(f"loaded {responses:,} responses into PostgreSQL in {time.perf_counter() - started:.0f} s")
    log(f"counted the running totals in {count_totals(partial):.0f} s")
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}_partial" RENAME TO "{name}"')
    return f"{PG_SERVER}/{name}"


def ensure_database(responses: int, postgres: bool) -> str:
    """The URL of the cached database, made first if needed."""
    return ensure_postgres(responses) if postgres else ensure_sqlite(responses)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    arguments = parser.parse_args()
    print(ensure_database(arguments.responses, arguments.postgres))
