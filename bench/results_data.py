"""A cached database of one million responses to the demo campaign, for the results benchmarks.

Made once with bulk inserts (COPY on PostgreSQL, executemany on SQLite) and kept: an SQLite file under
``bench/.cache/`` and a PostgreSQL database named ``wijkstem_bench_results_<n>``. Delete them to start over.
"""

import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402

CACHE = REPO / "bench" / ".cache"
PG_SERVER = os.environ.get("WIJKSTEM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
SEED = 11
START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DAYS = 120

LANGUAGES = (["nl"] * 11, ["tr"] * 4, ["ar"] * 3, ["en"] * 2)
LANGUAGE_POOL = [code for group in LANGUAGES for code in group]
BUURTEN = ["Noord"] * 5 + ["Zuid"] * 3 + ["Centrum"] * 3 + [None]
AGES = ["0-17"] + ["18-26"] * 2 + ["27-40"] * 4 + ["41-65"] * 5 + ["66-79"] * 2 + ["80+"] + [None]
STATES = ["new"] * 60 + ["reviewed"] * 35 + ["flagged"] * 3 + ["hidden"] * 2
IDEAS = ["Meer bankjes bij de speeltuin", "Een zebrapad bij de school", "Vaker de straat vegen",
         "Meer licht in het park", "Een moestuin voor de buurt", "Daha fazla ağaç", "مكان للقاء الجيران"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url(backend: str, count: int) -> str:
    if backend == "sqlite":
        return f"sqlite:///{CACHE / f'results-{count}.sqlite'}"
    return f"{PG_SERVER}/wijkstem_bench_results_{count}"


def open_app(url: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(CACHE / "media"),
                       "SECRET_KEY": "bench-secret"})


def ensure_database(backend: str, count: int = 1_000_000) -> str:
    """The URL of a migrated database holding `count` responses to the demo campaign (made on first use)."""
    url = database_url(backend, count)
    if backend == "postgresql":
        create_pg_database(url)
    app = open_app(url)
    with app.app_context():
        if stored_count() == count:
            db.engine.dispose()
            return url
        log(f"generating {count:,} responses on {backend} (cached for next time) ...")
        started = time.perf_counter()
        from flask_migrate import upgrade

        upgrade()
        generate(count)
        log(f"generated in {time.perf_counter() - started:.0f} s")
        db.engine.dispose()
    return url


def create_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def stored_count() -> int | None:
    try:
        return db.session.execute(text("SELECT count(*) FROM responses")).scalar()
    except Exception:
        db.session.rollback()
        return None


def generate(count: int) -> None:
    from server.campaigns.models import Source
    from server.demo import ensure_demo

    _team, campaign = ensure_demo()
    db.session.commit()
    db.session.execute(text("DELETE FROM answers"))
    db.session.execute(text("DELETE FROM responses"))
    db.session.commit()
    sources = [s.id for s in db.session.query(Source).filter_by(campaign_id=campaign.id).order_by(Source.id)]
    rng = random.Random(SEED)
    batch = 50_000
    for first in range(0, count, batch):
        responses, answers = [], []
        for index in range(first, min(count, first + batch)):
            response, its_answers = make_response(rng, index, count, campaign.id, sources)
            responses.append(response)
            answers += its_answers
        write(responses, answers)
        log(f"  {first + len(responses):,} responses")
    analyse()


def make_response(rng: random.Random, index: int, count: int, campaign_id, sources) -> tuple:
    collected = START + timedelta(seconds=index * DAYS * 86400 // count + rng.randrange(60))
    received = collected + timedelta(minutes=rng.randrange(1, 600))
    channel = "door_to_door" if rng.random() < 0.6 else "flyer"
    source = sources[2] if channel == "door_to_door" else sources[rng.randrange(2)]
    response_id = uuid7_at(collected, rng)
    row = (response_id, campaign_id, 1, rng.choice(LANGUAGE_POOL), channel, source, None, collected, received,
           True, rng.random() < 0.5, rng.choice(BUURTEN), rng.choice(AGES), None, f"{rng.getrandbits(256):064x}",
           rng.choice(STATES))
    return row, answer_rows(rng, response_id)


def answer_rows(rng: random.Random, response_id) -> list[tuple]:
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


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    millis = int(moment.timestamp() * 1000)
    value = (millis << 80) | rng.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "device_id",
                    "collected_at", "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket",
                    "receipt_hash", "content_hash", "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "choice_key", "number", "text")


def write(responses: list, answers: list) -> None:
    from server.responses.models import Answer, Response

    insert_rows(Response.__table__, RESPONSE_COLUMNS, responses)
    insert_rows(Answer.__table__, ANSWER_COLUMNS, answers)
    db.session.commit()


def insert_rows(table, columns: tuple, rows: list) -> None:
    """COPY on PostgreSQL, one executemany on SQLite; values pass through the columns' bind processors."""
    connection = db.session.connection()
    dialect = connection.dialect
    processors = [(i, p) for i, c in enumerate(columns)
                  if (p := table.c[c].type.dialect_impl(dialect).bind_processor(dialect))]
    if processors:
        bound = []
        for row in rows:
            values = list(row)
            for position, processor in processors:
                values[position] = processor(values[position])
            bound.append(values)
        rows = bound
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)


def analyse() -> None:
    db.session.execute(text("ANALYZE"))
    db.session.commit()


if __name__ == "__main__":
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    print(ensure_database(sys.argv[1] if len(sys.argv) > 1 else "postgresql", size))
