"""What every benchmark shares: private databases, the demo campaign, realistic responses and their raw rows.

Imported by the scripts in this folder after they put the repository root on `sys.path`.
"""

import contextlib
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import psycopg

from server import create_app
from server.extensions import db
from server.responses.rules import content_hash
from server.responses.schemas import response_schema
from server.util import sha256_hex, utcnow

REPO = Path(__file__).resolve().parent.parent
#: The shared PostgreSQL server; each run makes (and drops) its own databases on it.
PG_SERVER = os.environ.get("WIJKSTEM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
BATCH = 100

RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "device_id",
                    "collected_at", "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket",
                    "receipt_hash", "content_hash", "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "choice_key", "number", "text")

IDEAS = ["Meer bankjes bij de speeltuin", "Een zebrapad bij de school", "Vaker de straat vegen",
         "Meer licht in het park", "Een moestuin voor de buurt", "Minder hard rijden in de straat",
         "Daha fazla ağaç", "More places for teenagers", "مكان للقاء الجيران", "Een buurtfeest in de zomer"]
LANGUAGES = ["nl"] * 5 + ["tr"] * 2 + ["en", "ar", "ar"]
BUURTEN = ["Noord", "Zuid", "Centrum", None]
AGES = ["18-26", "27-40", "41-65", "66-79", "80+", None]
CODE = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass
class Setup:
    """A migrated database with the demo campaign and enrolled devices."""

    url: str
    app: object
    campaign_id: uuid.UUID
    devices: list  # (device id, bearer token) per enrolled device
    source_ids: dict  # public code -> database id
    door_code: str  # the door-to-door team's source code

    @property
    def device_id(self) -> uuid.UUID:
        return self.devices[0][0]

    @property
    def token(self) -> str:
        return self.devices[0][1]


def median(values: list) -> float:
    return statistics.median(values)


def percentile(values: list, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="wijkstem-bench-") as folder:
        yield Path(folder)


@contextlib.contextmanager
def private_database(postgres: bool, folder: Path, name: str, template: str | None = None) -> Iterator[str]:
    """The URL of a database of our own: an SQLite file in `folder`, or a database on the PG server.

    It starts empty, or as a copy of the database at `template` (same rows, same ids).
    """
    if not postgres:
        path = folder / f"{name}.db"
        if template:
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    database = f"wijkstem_bench_{name}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"{copy}')
    try:
        yield f"{PG_SERVER}/{database}"
    finally:
        with psycopg.connect(PG_SERVER + "/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def prepare(url: str, folder: Path, devices: int = 1) -> Setup:
    """Migrate `url`, create the demo campaign and enrol devices, through the application's own code."""
    from flask_migrate import upgrade

    from server.campaigns.models import Source
    from server.demo import ensure_demo
    from server.devices.operations import enrol_device, make_enrolment_code

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MEDIA_DIR": str(folder / "media"),
                      "SECRET_KEY": "bench-secret"})
    with app.app_context():
        upgrade()
        team, campaign = ensure_demo()
        enrolled = [enrol_device(make_enrolment_code(team, f"Bench phone {n}")) for n in range(devices)]
        sources = db.session.query(Source).filter_by(campaign_id=campaign.id).all()
        door_code = next(s.code for s in sources if s.kind == "door_to_door")
        setup = Setup(url, app, campaign.id, [(device.id, token) for device, token in enrolled],
                      {s.code: s.id for s in sources}, door_code)
        db.session.commit()
        db.engine.dispose()
    return setup


def realistic_responses(setup: Setup, count: int, seed: int = 7) -> list[dict]:
    """`count` door-to-door responses to the demo campaign as a phone sends them, in collection order."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    amsterdam = timezone(timedelta(hours=1))
    bodies = []
    for index in range(count):
        collected = start + timedelta(seconds=index * 97 + rng.randrange(60))
        audio = rng.random() < 0.6
        bodies.append({
            "id": str(uuid7_at(collected, rng)),
            "campaign_id": str(setup.campaign_id),
            "campaign_version": 1,
            "language": rng.choice(LANGUAGES),
            "channel": "door_to_door",
            "source": setup.door_code if rng.random() < 0.5 else None,
            "collected_at": collected.astimezone(amsterdam).isoformat(timespec="milliseconds"),
            "consent": {"answers": True, "audio": audio},
            "meta": {"buurt": rng.choice(BUURTEN), "age_bracket": rng.choice(AGES)},
            "answers": realistic_answers(rng),
            "voice_notes": [{"id": str(uuid7_at(collected, rng)), "question": "vertel"}]
            if audio and rng.random() < 0.4 else [],
            "receipt": "".join(rng.choice(CODE) for _ in range(8)) if rng.random() < 0.4 else None,
        })
    return bodies


def realistic_answers(rng: random.Random) -> list[dict]:
    """About six answers: every question type but voice, the multiple choice always among them."""
    answers = [{"question": "wonen", "value": rng.randint(1, 5)}]
    if rng.random() < 0.95:
        answers.append({"question": "missen", "value": rng.choice(["groen", "spelen", "bankjes", "licht"])})
    answers.append({"question": "plekken", "value": rng.sample(["buurthuis", "markt", "park", "bieb"],
                                                               rng.randint(1, 3))})
    if rng.random() < 0.95:
        answers.append({"question": "veilig", "value": rng.choice(["yes", "no"])})
    if rng.random() < 0.85:
        answers.append({"question": "jaren", "value": rng.randint(0, 60)})
    if rng.random() < 0.7:
        answers.append({"question": "idee", "value": rng.choice(IDEAS)})
    rng.shuffle(answers)
    return answers


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for a moment in the past, as the phone made it when the response was collected."""
    millis = int(moment.timestamp() * 1000)
    value = (millis << 80) | rng.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=value)


def batches(items: list, size: int = BATCH) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def raw_rows(setup: Setup, bodies: list[dict], received_at: datetime,
             device_id: uuid.UUID | None = None) -> tuple[list[tuple], list[tuple]]:
    """The response and answer rows the server stores for `bodies`, computed in advance (hashes included)."""
    device_id = device_id or setup.device_id
    questions = {"plekken": "many", "missen": "choice", "veilig": "choice", "wonen": "number",
                 "jaren": "number", "idee": "text"}
    responses, answers = [], []
    for body in bodies:
        data = response_schema.load(body)
        receipt = sha256_hex(data["receipt"].upper()) if data["receipt"] else None
        responses.append((data["id"], data["campaign_id"], data["campaign_version"], data["language"],
                          data["channel"], setup.source_ids.get(data["source"]), device_id,
                          data["collected_at"].astimezone(UTC), received_at, True, data["consent"]["audio"],
                          data["meta"]["buurt"], data["meta"]["age_bracket"], receipt, content_hash(data),
                          "new"))
        for answer in data["answers"]:
            kind, value = questions[answer["question"]], answer["value"]
            if kind == "many":
                answers += [(data["id"], answer["question"], choice, None, None) for choice in value]
            elif kind == "choice":
                answers.append((data["id"], answer["question"], value, None, None))
            elif kind == "number":
                answers.append((data["id"], answer["question"], None, value, None))
            else:
                answers.append((data["id"], answer["question"], None, None, value.strip()))
    return responses, answers


def sqlite_values(rows: list[tuple]) -> list[tuple]:
    """Rows in the form SQLAlchemy stores them in SQLite: UUIDs as 32 hex digits, naive UTC timestamps."""
    def convert(value):
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return value

    return [tuple(convert(v) for v in row) for row in rows]


def table_digest(url: str) -> tuple[int, int, str]:
    """(responses, answers, digest of all ids, hashes and answers): do two databases hold the same rows?"""
    from sqlalchemy import create_engine, text

    from server.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    with engine.connect() as conn:
        responses = conn.execute(text("SELECT id, content_hash FROM responses ORDER BY id")).all()
        answers = conn.execute(text(
            "SELECT response_id, question_key, choice_key, number, text FROM answers "
            "ORDER BY response_id, question_key, choice_key")).all()
    engine.dispose()
    digest = sha256_hex(repr([(str(uuid.UUID(str(r[0]))), r[1]) for r in responses])
                        + repr([(str(uuid.UUID(str(a[0]))), *a[1:]) for a in answers]))
    return len(responses), len(answers), digest


class SyncView:
    """The sync view itself, called in a request context: everything but the HTTP server."""

    def __init__(self, setup):
        from server.responses.views import sync

        self.view, self.app = sync, setup.app
        self.headers = {"Authorization": f"Bearer {setup.token}", "Content-Type": "application/json"}

    def send(self, body: bytes) -> bytes:
        """The reply's body, as the server would send it."""
        with self.app.test_request_context("/api/v1/sync", method="POST", headers=self.headers, data=body):
            return self.view().get_data()


def statuses(reply: bytes) -> list[str]:
    """Each item's status in a sync reply (read by the harness, outside the timed part)."""
    return [r["status"] for r in orjson.loads(reply)["results"]]


class RawSqlite:
    """`executemany` of precomputed rows, one transaction per batch, with the server's pragmas."""

    def __init__(self, url: str):
        self.conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=FULL"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.responses_sql = insert_sql("responses", RESPONSE_COLUMNS)
        self.answers_sql = insert_sql("answers", ANSWER_COLUMNS)

    def send(self, responses: list[tuple], answers: list[tuple]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(self.responses_sql, responses)
        self.conn.executemany(self.answers_sql, answers)
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


class RawCopy:
    """psycopg 3 `COPY ... FROM STDIN` of precomputed rows, one transaction per batch."""

    def __init__(self, url: str):
        self.conn = psycopg.connect(url)

    def send(self, responses: list[tuple], answers: list[tuple]) -> None:
        with self.conn.cursor() as cursor:
            copy_rows(cursor, "responses", RESPONSE_COLUMNS, responses)
            copy_rows(cursor, "answers", ANSWER_COLUMNS, answers)
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def insert_sql(table: str, columns: tuple) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def copy_rows(cursor, table: str, columns: tuple, rows: list[tuple]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def prepared_batches(setup, bodies: list[dict], postgres: bool, device_id=None, size: int = BATCH) -> list[tuple]:
    """Per batch of `size`: (request body for our path, response rows, answer rows for the raw path)."""
    received = utcnow()
    work = []
    for batch in batches(bodies, size):
        responses, answers = raw_rows(setup, batch, received, device_id)
        if not postgres:
            responses, answers = sqlite_values(responses), sqlite_values(answers)
        work.append((orjson.dumps({"responses": batch}), responses, answers))
    return work


def raw_writer(postgres: bool, url: str):
    """The raw limit's writer for this backend: COPY on PostgreSQL, executemany on SQLite."""
    return RawCopy(url) if postgres else RawSqlite(url)
