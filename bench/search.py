"""Searching what residents said at a million texts: the inbox's first page of results against the bare
full-text query, in the same run.

    python bench/search.py [--postgres] [--texts 1000000] [--repeat 30] [--smoke]

The database holds `--texts` texts: three quarters typed answers (one per response), one quarter voice-note
transcripts (on every third response), in Dutch-like words of a Zipf-shaped vocabulary; the common word
("straat") is in a quarter of the texts, the rare one ("kermisattractie") in twelve. The rows are bulk-loaded
with the driver (executemany on SQLite, COPY on PostgreSQL) through the migrations' own triggers, which fill
the full-text index as the sync does. The database is cached under a name that holds the size, the generator's
version and a hash of the migrations.

For each word it times, `--repeat` times, alternating:
  page  the first page of search results as the inbox makes it: `keyset_page` with `q` (the 50 newest
        visible responses that match) and `snippets` (the words in context, marked);
  bare  the bare full-text query: every matching text's response id, straight from the engine
        (SQLite: the FTS5 table's MATCH joined to its content rows; PostgreSQL: the GIN index's @@),
        on the driver, no filters, no order, no page.
It prints median, p95 and best of each and the ratio of the medians, and the inbox's first page without a
search (the fixed cost of any page: its row queries and the ORM); the verdict: page ≤ 2 × bare for both words,
and (SQLite) the rare word's page within 10 ms (best run: the machine is shared; the load average is printed).
A rare word's bare query answers in a tenth of a millisecond, less than any page's fixed cost: its ratio is
printed as measured, and is not met (docs/performance.md).
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid
import zlib
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import (  # noqa: E402
    CACHE,
    PERIOD,
    PERIOD_END,
    log,
    making,
    migrations_hash,
    open_app,
    pg_server_url,
    pg_state,
    pg_url,
    prepare,
    response_ids,
    sqlite_time,
)

GENERATOR_VERSION = 1
SEED = 20261204
COMMON, RARE = "straat", "kermisattractie"
RARE_COUNT = 12
PAGE = 50
RATIO_LIMIT, RARE_LIMIT_MS = 2.0, 10.0
SMOKE_TEXTS = 4_000
BATCH = 20_000
SYLLABLES = [c + v for c in "bdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "aa", "ee", "oo", "ij", "ou")]
RESPONSE_COLUMNS = ("id", "campaign_id", "campaign_version", "language", "channel", "source_id", "collected_at",
                    "received_at", "consent_answers", "consent_audio", "buurt", "age_bracket", "content_hash",
                    "review_state")
ANSWER_COLUMNS = ("response_id", "question_key", "text")
NOTE_COLUMNS = ("id", "response_id", "question_key", "size", "content_type", "sha256", "received_bytes", "state",
                "storage_name", "created_at", "completed_at", "audio_deleted_at", "transcript", "transcript_source")


def vocabulary(rng: random.Random, size: int = 6_000) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words - {COMMON, RARE})


def generate(texts: int, campaign_id, door: int):
    """Yield ``(response rows, answer rows, voice-note rows)`` in batches, oldest first (Python values)."""
    rng = random.Random(SEED)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    cumulative = [sum(weights[:i + 1]) for i in range(len(weights))] if len(words) < 100 else None
    if cumulative is None:
        cumulative, total = [], 0.0
        for weight in weights:
            total += weight
            cumulative.append(total)
    responses = texts * 3 // 4
    rare_at = {round(number * responses / RARE_COUNT) + responses // (2 * RARE_COUNT) for number in range(RARE_COUNT)}
    start, step = PERIOD_END - PERIOD, PERIOD / max(responses, 1)
    for first in range(0, responses, BATCH):
        response_rows, answer_rows, note_rows = [], [], []
        for number in range(first, min(first + BATCH, responses)):
            received = start + step * number
            response_id = response_ids(rng, received)
            language = rng.choice(("nl", "nl", "tr", "ar", "en"))
            state = "hidden" if rng.random() < 0.03 else "new"
            response_rows.append((response_id, campaign_id, 1, language, "door_to_door", door,
                                  received - timedelta(hours=1), received, True, number % 3 == 0, "Noord", None,
                                  f"{rng.getrandbits(256):064x}", state))
            said = rng.choices(words, cum_weights=cumulative, k=rng.randint(6, 18))
            if rng.random() < 0.25:
                said.insert(rng.randrange(len(said)), COMMON)
            if number in rare_at:
                said.append(RARE)
            answer_rows.append((response_id, "idee", " ".join(said).capitalize()))
            if number % 3 == 0:
                spoken = rng.choices(words, cum_weights=cumulative, k=rng.randint(10, 30))
                if rng.random() < 0.25:
                    spoken.insert(rng.randrange(len(spoken)), COMMON)
                note_rows.append((uuid.UUID(int=rng.getrandbits(128), version=4), response_id, "vertel", 20_000,
                                  "audio/webm", "0" * 64, 20_000, "complete", f"bench/{number}.webm", received,
                                  received, received, " ".join(spoken).capitalize(), "manual"))
        yield response_rows, answer_rows, note_rows


def cache_name(texts: int) -> str:
    return f"wijkstem_search_{texts}_v{GENERATOR_VERSION}_{migrations_hash()}"


def door_source(url: str) -> int:
    return prepare(url)[1]["door_to_door"]


def campaign_of(url: str):
    from server.campaigns.models import Campaign
    from server.extensions import db

    return db.session.query(Campaign.id).one()[0]


# --- SQLite ------------------------------------------------------------------------------------------

def sqlite_values(row: tuple, times: tuple[int, ...]) -> tuple:
    return tuple(value.hex if isinstance(value, uuid.UUID) else sqlite_time(value) if index in times
                 else int(value) if isinstance(value, bool) else value for index, value in enumerate(row))


def ensure_sqlite(texts: int, folder: Path | None = None) -> str:
    target = (folder or CACHE) / f"{cache_name(texts)}.db"
    with making(target.with_suffix(".lock")):
        if not target.exists():
            partial = target.with_suffix(".partial")
            for leftover in target.parent.glob(partial.name + "*"):
                leftover.unlink()
            started = time.perf_counter()
            campaign_id, sources, _tags = prepare(f"sqlite:///{partial}")
            connection = sqlite3.connect(partial)
            connection.execute("PRAGMA synchronous=OFF")
            statements = [f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                          for table, columns in (("responses", RESPONSE_COLUMNS), ("answers", ANSWER_COLUMNS),
                                                 ("voice_notes", NOTE_COLUMNS))]
            with connection:
                for rows in generate(texts, campaign_id, sources["door_to_door"]):
                    for statement, batch, times in zip(statements, rows, ((6, 7), (), (9, 10, 11)), strict=True):
                        connection.executemany(statement, [sqlite_values(row, times) for row in batch])
            # no ANALYZE, no FTS5 'optimize': the server runs neither, so the planner and the index are as a
            # real server's after a million inserts
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.close()
            log(f"loaded {texts:,} texts into SQLite in {time.perf_counter() - started:.0f} s")
            partial.rename(target)
    return f"sqlite:///{target}"


# --- PostgreSQL --------------------------------------------------------------------------------------

def ensure_postgres(texts: int, name: str | None = None) -> str:
    import psycopg

    name = name or cache_name(texts)
    with psycopg.connect(pg_server_url(), autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (zlib.crc32(name.encode()),))
        if pg_state(name) != "complete":
            with psycopg.connect(pg_server_url(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            started = time.perf_counter()
            campaign_id, sources, _tags = prepare(pg_url(name))
            with psycopg.connect(pg_url(name)) as conn, conn.cursor() as cursor:
                for rows in generate(texts, campaign_id, sources["door_to_door"]):
                    for table, columns, batch in zip(("responses", "answers", "voice_notes"),
                                                     (RESPONSE_COLUMNS, ANSWER_COLUMNS, NOTE_COLUMNS), rows,
                                                     strict=True):
                        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in batch:
                                copy.write_row(row)
                conn.commit()
            with psycopg.connect(pg_url(name), autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
                conn.execute(f"COMMENT ON DATABASE \"{name}\" IS 'complete'")
            log(f"loaded {texts:,} texts into PostgreSQL in {time.perf_counter() - started:.0f} s")
    return pg_url(name)


# --- timing ------------------------------------------------------------------------------------------

def bare_statement(dialect: str) -> str:
    if dialect == "postgresql":
        return ("SELECT response_id FROM search_documents WHERE vector @@ (" + " || ".join(
            f"to_tsquery('{config}', %(q)s)" for config in configs()) + ")")
    return ("SELECT d.response_id FROM search_fts JOIN search_documents AS d ON d.id = search_fts.rowid "
            "WHERE search_fts MATCH ?")


def configs() -> list[str]:
    from server.search.operations import search_configs

    return search_configs()


def timed_pair(page, bare, repeat: int) -> tuple[list[float], list[float], int, int]:
    pages, bares, shown, matched = [], [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        shown = page()
        pages.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        matched = bare()
        bares.append((time.perf_counter() - started) * 1000)
    return pages, bares, shown, matched


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(len(values) * 0.95) - 1)]


def run(url: str, repeat: int, smoke: bool) -> bool:
    from server.extensions import db
    from server.review.operations import keyset_page
    from server.search.operations import fts5_query, parse_query, snippets, tsquery_text

    app = open_app(url)
    ok = True
    with app.app_context():
        campaign_id = campaign_of(url)
        connection = db.session.connection()
        dialect = connection.dialect.name
        driver = connection.connection.driver_connection
        statement = bare_statement(dialect)
        texts = db.session.execute(db.text("SELECT count(*) FROM search_documents")).scalar()
        print(f"{dialect}: {texts:,} texts; load average {os.getloadavg()[0]:.2f}; {repeat} runs each, alternating")
        print(f"{'word':<16} {'matches':>8} {'page median':>12} {'p95':>7} {'best':>7} {'bare median':>12} "
              f"{'p95':>7} {'best':>7} {'ratio':>6}")
        plain = []
        for _ in range(repeat):
            started = time.perf_counter()
            keyset_page(campaign_id, {"state": "visible"}, PAGE)
            db.session.rollback()
            plain.append((time.perf_counter() - started) * 1000)
        print(f"{'(no search)':<16} {'':>8} {statistics.median(plain):>9.2f} ms {p95(plain):>7.2f} {min(plain):>7.2f}"
              "   the inbox's first page without a search: the fixed cost of a page")
        for word in (COMMON, RARE):
            terms = parse_query(word)

            def page(word=word):
                rows, _newer, _older = keyset_page(campaign_id, {"q": word, "state": "visible"}, PAGE)
                found = snippets([row.id for row in rows], word)
                db.session.rollback()
                return len(found)

            if dialect == "postgresql":
                def bare(terms=terms):
                    return len(driver.execute(statement, {"q": tsquery_text(terms)}).fetchall())
            else:
                def bare(terms=terms):
                    return len(driver.execute(statement, (fts5_query(terms),)).fetchall())

            page(), bare()  # warm the caches
            pages, bares, shown, matched = timed_pair(page, bare, repeat)
            ratio = statistics.median(pages) / statistics.median(bares)
            print(f"{word:<16} {matched:>8,} {statistics.median(pages):>9.2f} ms {p95(pages):>7.2f} "
                  f"{min(pages):>7.2f} {statistics.median(bares):>9.2f} ms {p95(bares):>7.2f} {min(bares):>7.2f} "
                  f"{ratio:>6.2f}")
            if shown == 0:
                print(f"  {word}: no results shown", file=sys.stderr)
                ok = False
            if not smoke and ratio > RATIO_LIMIT:
                print(f"  {word}: the page takes {ratio:.2f} × the bare query (limit {RATIO_LIMIT})")
                ok = False
            if not smoke and word == RARE and dialect == "sqlite" and min(pages) > RARE_LIMIT_MS:
                print(f"  {word}: best page {min(pages):.2f} ms (limit {RARE_LIMIT_MS} ms)")
                ok = False
        db.session.remove()
        db.engine.dispose()
    print("verdict:", "ok" if ok else "over the limit")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL instead of SQLite")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_TEXTS:,} texts, 3 runs, no verdict on time")
    args = parser.parse_args()
    texts, repeat = (SMOKE_TEXTS, 3) if args.smoke else (args.texts, args.repeat)
    url = ensure_postgres(texts) if args.postgres else ensure_sqlite(texts)
    sys.exit(0 if run(url, repeat, args.smoke) else 1)


if __name__ == "__main__":
    main()
