"""The raw limit of one response per request: a bare WSGI app behind the same gunicorn as `wijkstem serve`.

Each request carries the rows the server would store for its response (computed by the harness in advance),
and the app inserts them through the driver (`sqlite3` with the server's pragmas, or psycopg 3) in one
transaction, then answers as the sync endpoint does. No validation, no token, no rate limit, no framework:
what HTTP, gunicorn, the driver and the database cost for one response. `bench/end_to_end.py --one` serves it
(`gunicorn bare_wsgi:app`) with `BARE_DATABASE_URL` set.

With `BARE_CHECKS=1` (PostgreSQL), `app` sends around the same inserts the statements our sync's checks send,
in the same round trips: the token's device (with BEGIN), then in a pipeline the campaign, its versions and the
flyer (by its id: the rows hold no code); the device's status, the stored and the erased ids; the inserts with
the early voice notes' lookup; COMMIT. Their answers are read and dropped: what the statements of the checks
cost through the driver, with no code around them (`bench/end_to_end.py --one --checks-floor`).

`flask_app` does the same as `app` inside the smallest Flask app (one view, `request.get_data`, `Response`): what any
Flask implementation of the sync costs at least, before a token, a check or a validation
(`bench/end_to_end.py --one --flask-floor`).
"""

import hashlib
import os
import sqlite3
from datetime import UTC, datetime

import orjson

URL = os.environ.get("BARE_DATABASE_URL", "")
POSTGRES = URL.startswith("postgresql")
#: `--checks-floor`: the statements of our checks around the inserts (PostgreSQL).
CHECKS = os.environ.get("BARE_CHECKS") == "1"
RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "device_id",
                    "collected_at", "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket",
                    "receipt_hash", "content_hash", "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "choice_key", "number", "text")
MARK = "%s" if POSTGRES else "?"


def insert_sql(table: str, columns: tuple) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(MARK for _ in columns)})"


RESPONSES_SQL, ANSWERS_SQL = insert_sql("responses", RESPONSE_COLUMNS), insert_sql("answers", ANSWER_COLUMNS)
#: This worker's connection (one request thread per worker, as `wijkstem serve` runs).
CONNECTION = []


def connection():
    if not CONNECTION:
        if POSTGRES:
            import psycopg  # reason: only the PostgreSQL run needs the driver

            CONNECTION.append(psycopg.connect(URL))
        else:
            conn = sqlite3.connect(URL.removeprefix("sqlite:///"), isolation_level=None)
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=FULL"):
                conn.execute(f"PRAGMA {pragma}")
            CONNECTION.append(conn)
    return CONNECTION[0]


def store(responses: list, answers: list) -> None:
    conn = connection()
    if POSTGRES:
        with conn.cursor() as cursor:
            cursor.executemany(RESPONSES_SQL, responses)
            cursor.executemany(ANSWERS_SQL, answers)
        conn.commit()
    else:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(RESPONSES_SQL, responses)
        conn.executemany(ANSWERS_SQL, answers)
        conn.execute("COMMIT")


def store_with_checks(token: str, responses: list, answers: list) -> None:
    """`store`, with the statements of our sync's checks around it, on PostgreSQL (see the module's docstring)."""
    conn = connection()
    digest = hashlib.sha256(token.encode()).hexdigest()
    device = conn.execute("SELECT id, team_id, revoked_at, campaign_id FROM devices WHERE token_hash = %s",
                          (digest,)).fetchall()
    if not device:
        conn.rollback()
        raise LookupError("unknown token")  # the harness always sends an enrolled device's
    with conn.pipeline():
        first = responses[0]
        read_together(conn, [("SELECT id, team_id, state FROM campaigns WHERE id = %s", (first[1],)),
                             ("SELECT id, campaign_id, number, etag FROM campaign_versions WHERE campaign_id = %s",
                              (first[1],)),
                             ("SELECT id, code, campaign_id, revoked_at, kind FROM sources WHERE id = %s",
                              (first[5],))])
        now = datetime.now(UTC)
        read_together(conn, [("UPDATE devices SET last_seen_at = %s, last_sync_at = %s WHERE id = %s "
                              "AND revoked_at IS NULL RETURNING 1", (now, now, device[0][0])),
                             ("SELECT id, content_hash FROM responses WHERE id = %s", (first[0],)),
                             ("SELECT id_hash FROM erased_responses WHERE id_hash = %s",
                              (hashlib.sha256(str(first[0]).encode()).hexdigest(),))])
        with conn.cursor() as cursor:
            cursor.executemany(RESPONSES_SQL, responses)
            cursor.executemany(ANSWERS_SQL, answers)
        read_together(conn, [("SELECT id, response_id, device_id, source_id FROM voice_notes WHERE response_id = %s",
                              (first[0],))])
        conn.commit()


def read_together(conn, statements: list) -> None:
    """Send every statement, then read each one's rows (one round trip in a pipeline)."""
    for cursor in [conn.execute(sql, parameters) for sql, parameters in statements]:
        cursor.fetchall()


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":  # the harness asks whether it is up
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    body = orjson.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    if CHECKS:
        try:
            store_with_checks(environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer "), body["responses"],
                              body["answers"])
        except LookupError:
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
    else:
        store(body["responses"], body["answers"])
    reply = orjson.dumps({"results": [{"id": row[0], "status": "created"} for row in body["responses"]]})
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))])
    return [reply]


def flask_floor():
    """`app`'s work as the one view of a bare Flask app."""
    from flask import Flask, Response, request  # reason: only `--flask-floor` serves it

    floor = Flask(__name__)

    @floor.post("/")
    def sync():
        body = orjson.loads(request.get_data())
        store(body["responses"], body["answers"])
        return Response(orjson.dumps({"results": [{"id": row[0], "status": "created"} for row in body["responses"]]}),
                        content_type="application/json")

    @floor.get("/ready")
    def ready():
        return "ok"

    return floor


flask_app = flask_floor() if os.environ.get("BARE_FLASK") else None
