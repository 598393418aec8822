"""A per-question breakdown on one million responses: the results code path against bare SQL in the same run.

    python bench/results_breakdown.py [--responses 1000000] [--postgres] [--runs 20] [--smoke]

For each breakdown of the multiple-choice question "plekken" (answered by every resident, one to three
choices) it times:

- ours: `catch_up_totals` (nothing new: one index probe) and `question_breakdown`, which queries the running
  totals and builds the chart's rows and series, as the results page does for that question, then ends the
  transaction as a request would;
- bare SQL: one GROUP BY over responses joined to answers (hidden ones left out), through the driver
  (psycopg / sqlite3) with the rows fetched: the query that computes the breakdown from the data. Target:
  ours within 2x of it;
- the same statements: what ours sent, replayed through the driver: the floor of this design, which shows
  what our Python, SQLAlchemy and connection pool add.

The bare queries (seconds each) run first, three times per breakdown; ours and the same statements then run
interleaved, after three runs to warm up. It also times how quickly the totals catch up after a sync batch of
100 and 1,000 new responses and after 100 responses are hidden (each in a transaction that is rolled back).
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import SMOKE_RESPONSES, ensure_database, open_app, smoke_database

QUESTION = "plekken"
BREAKDOWNS = [None, "language", "buurt", "age_bracket", "source"]
FROM_SCRATCH = {
    None: "", "language": ", r.language", "buurt": ", r.buurt", "age_bracket": ", r.age_bracket",
    "source": ", r.source_id"}


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


class Recorder:
    """The statements (and parameters) sent to the database while it listens."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.statements, self.listening = [], False
        event.listen(engine, "before_cursor_execute", self.remember)

    def remember(self, _connection, _cursor, statement, parameters, _context, _many):
        if self.listening and not statement.startswith("BEGIN"):  # the replay's driver begins by itself
            self.statements.append((statement, parameters))


def replay(raw, statements) -> int:
    """Run the statements through the bare driver, fetching every row; returns the rows."""
    cursor, fetched = raw.cursor(), 0
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        if cursor.description:
            fetched += len(cursor.fetchall())
    cursor.close()
    return fetched


def from_scratch_sql(dialect: str, breakdown) -> str:
    marker = "%s" if dialect == "postgresql" else "?"
    extra = FROM_SCRATCH[breakdown]
    return (f"SELECT a.choice_key{extra}, count(*) FROM responses r JOIN answers a ON a.response_id = r.id "
            f"WHERE r.campaign_id = {marker} AND r.review_state <> 'hidden' AND a.question_key = {marker} "
            f"GROUP BY a.choice_key{extra}")


def time_ours_and_same(campaign, breakdown, recorder, raw, runs: int) -> tuple[list, list, object]:
    """Ours and the same statements through the bare driver, interleaved, after three runs to warm up."""
    from server.extensions import db
    from server.results.report import question_breakdown
    from server.results.views import catch_up_totals

    ours, same, chart = [], [], None
    recorder.statements.clear()
    for run in range(runs + 3):
        started = time.perf_counter()
        recorder.listening = run == 0
        catch_up_totals(campaign.id)
        chart = question_breakdown(campaign, QUESTION, breakdown, "nl")
        db.session.commit()
        recorder.listening = False
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        replay(raw, recorder.statements)
        raw.commit()
        same.append(time.perf_counter() - started)
    return ours[3:], same[3:], chart


def time_from_scratch(raw, dialect: str, campaign_key, breakdown, runs: int) -> list[float]:
    timings = []
    for _run in range(runs):
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(from_scratch_sql(dialect, breakdown), (campaign_key, QUESTION))
        cursor.fetchall()
        cursor.close()
        raw.commit()
        timings.append(time.perf_counter() - started)
    return timings


def time_breakdowns(app, runs: int) -> list[dict]:
    from server.campaigns.models import Campaign
    from server.extensions import db

    results = []
    with app.app_context():
        campaign = db.session.query(Campaign).one()
        dialect = db.engine.dialect.name
        campaign_key = campaign.id if dialect == "postgresql" else campaign.id.hex
        recorder = Recorder(db.engine)
        raw = db.engine.raw_connection()
        scratch = {breakdown: statistics.median(time_from_scratch(raw, dialect, campaign_key, breakdown, 3))
                   for breakdown in BREAKDOWNS}
        for breakdown in BREAKDOWNS:
            ours, same, chart = time_ours_and_same(campaign, breakdown, recorder, raw, runs)
            results.append({"breakdown": breakdown or "none", "ours": statistics.median(ours),
                            "same": statistics.median(same), "scratch": scratch[breakdown],
                            "bars": len(chart.rows), "series": len(chart.series),
                            "statements": len(recorder.statements)})
        raw.close()
    return results


def flyer_bodies(campaign, source_code: str, count: int) -> list[dict]:
    now = datetime.now(UTC).isoformat()
    from server.util import uuid7

    return [{"id": str(uuid7()), "campaign_id": str(campaign.id), "campaign_version": 1, "language": "tr",
             "channel": "flyer", "source": source_code, "collected_at": now,
             "consent": {"answers": True, "audio": False}, "meta": {"buurt": "Zuid", "age_bracket": "27-40"},
             "answers": [{"question": "wonen", "value": 4}, {"question": "missen", "value": "groen"},
                         {"question": "plekken", "value": ["park", "markt"]}, {"question": "veilig", "value": "no"}],
             "voice_notes": [], "receipt": None} for _ in range(count)]


def time_catching_up(app) -> list[tuple[str, float]]:
    """How long the totals take to catch up with a sync batch, and with hidden responses (rolled back)."""
    from sqlalchemy import select, update

    from server.campaigns.models import Campaign, Source
    from server.extensions import db
    from server.responses.models import Response
    from server.responses.operations import ingest_batch
    from server.results.rollup import refresh_rollups

    timings = []
    with app.app_context():
        campaign = db.session.query(Campaign).one()
        source = db.session.scalars(select(Source).where(Source.kind == "flyer")).first()
        for count in (100, 1000):
            results = ingest_batch(flyer_bodies(campaign, source.code, count))
            assert {r.status for r in results} == {"created"}
            started = time.perf_counter()
            assert refresh_rollups(campaign.id) == count
            timings.append((f"{count:,} new responses", time.perf_counter() - started))
            db.session.rollback()
        ids = list(db.session.scalars(select(Response.id).where(Response.review_state == "new").limit(100)))
        db.session.execute(update(Response).where(Response.id.in_(ids)).values(review_state="hidden"))
        started = time.perf_counter()
        assert refresh_rollups(campaign.id) == 100
        timings.append(("100 responses hidden", time.perf_counter() - started))
        db.session.rollback()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run?")
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.runs, arguments.responses = 1, SMOKE_RESPONSES
        report(open_app(smoke_database(arguments.postgres)), arguments)
        return
    report(open_app(ensure_database(arguments.responses, arguments.postgres)), arguments)


def report(app, arguments) -> None:
    backend = "PostgreSQL" if arguments.postgres else "SQLite"
    print(f"{backend}, {arguments.responses:,} responses, question '{QUESTION}', median of {arguments.runs} runs")
    print(f"{'breakdown':<12} {'ours':>11} {'bare SQL':>11} {'ours/bare':>9}   {'same stmts':>11} {'ours/same':>9}")
    worst = 0.0
    for row in time_breakdowns(app, arguments.runs):
        ratio = row["ours"] / row["scratch"]
        worst = max(worst, ratio)
        print(f"{row['breakdown']:<12} {milliseconds(row['ours'])} {milliseconds(row['scratch'])} {ratio:9.3f}   "
              f"{milliseconds(row['same'])} {row['ours'] / row['same']:9.2f}   ({row['bars']} bars x "
              f"{row['series']} series, {row['statements']} statements)")
    print(f"worst ratio ours / bare SQL: {worst:.3f} (target: at most 2)")
    for label, seconds in time_catching_up(app):
        print(f"catching up with {label}: {milliseconds(seconds)}")


if __name__ == "__main__":
    sys.exit(main())
