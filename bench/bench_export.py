"""The streamed CSV export of a million responses against a raw `csv` dump of the same rows, and its memory.

    python bench/bench_export.py [--postgres] [--responses 1000000] [--smoke]

Ours: the whole export as a coordinator downloads it (POST through the WSGI app, the body read chunk by chunk).
Raw: one SQL query over the same responses joined with their answers, ordered the same way, each row written
with `csv.writer` (no pivoting, no formatting): the least work that dumps the same data. Raw runs before and
after ours and its faster run counts, so that a cache warmed by one run does not flatter the other. Throughput is rows a
second; the target is ours at least 0.5 of raw. Memory: the process's resident size is sampled as the body
streams (it must not grow with the rows sent), and tracemalloc's peak is compared for a small and a large
slice of the data (equal peaks: memory does not depend on the export's size).
"""

import argparse
import csv
import io
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_inbox import make_app, signed_in_client  # noqa: E402
from bench.generate import ensure_database, smoke_database  # noqa: E402

PAGE_SIZE = 4096


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 2**20


def our_export(client, campaign_id, filters: dict, sample_rss: bool = False) -> dict:
    """Download the CSV; return rows, bytes, seconds and the resident size seen along the way."""
    started, started_cpu = time.perf_counter(), time.process_time()
    reply = client.post(f"/workspace/campaigns/{campaign_id}/export.csv", data={**filters, "csrf_token": "bench"},
                         buffered=False)
    assert reply.status_code == 200, reply.status_code
    size, lines, samples = 0, 0, []
    for chunk in reply.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
        if sample_rss:
            samples.append(rss_mib())
    reply.close()
    return {"rows": lines - 1, "bytes": size, "seconds": time.perf_counter() - started, "rss": samples,
            "cpu": time.process_time() - started_cpu}


def raw_dump(raw_connection, campaign_id, dialect: str) -> dict:
    """The same responses and answers from one query straight into csv.writer."""
    sql = ("SELECT r.id, r.received_at, r.collected_at, r.campaign_version, r.language, r.channel, r.source_id, "
           "r.buurt, r.age_bracket, r.review_state, a.question_key, a.choice_key, a.number, a.text "
           "FROM responses r LEFT JOIN answers a ON a.response_id = r.id "
           "WHERE r.campaign_id = {p} ORDER BY r.received_at, r.id")
    started, started_cpu = time.perf_counter(), time.process_time()
    if dialect == "sqlite":
        cursor = raw_connection.cursor()
        cursor.execute(sql.format(p="?"), (campaign_id.hex,))
    else:
        cursor = raw_connection.cursor(name="raw_dump")  # a server-side cursor: rows stream
        cursor.itersize = 10_000
        cursor.execute(sql.format(p="%s"), (campaign_id,))
    sink = io.StringIO()
    writer = csv.writer(sink)
    rows, size, previous = 0, 0, None
    for row in cursor:
        writer.writerow(row)
        if row[0] != previous:
            rows, previous = rows + 1, row[0]
        if sink.tell() > 1 << 20:
            size += len(sink.getvalue().encode())
            sink.seek(0)
            sink.truncate()
    size += len(sink.getvalue().encode())
    cursor.close()
    raw_connection.rollback()
    return {"rows": rows, "bytes": size, "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - started_cpu}


def traced_peak(client, campaign_id, filters: dict) -> tuple[int, float]:
    tracemalloc.start()
    result = our_export(client, campaign_id, filters)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result["rows"], peak / 2**20


def slice_filters(fraction_days: int) -> dict:
    """The export filtered to the last `fraction_days` days of the generated period (ending 2026-11-01)."""
    from datetime import date, timedelta

    return {"received_from": (date(2026, 10, 31) - timedelta(days=fraction_days - 1)).isoformat(),
            "received_to": "2026-10-31"}


def run(url: str) -> bool:
    from server.extensions import db

    app = make_app(url)
    with app.app_context():
        client, campaign_id = signed_in_client(app)
        with client.session_transaction() as session:
            session["csrf"] = "bench"
        dialect = db.engine.dialect.name
        db.session.commit()
        raw = db.engine.raw_connection()
        if dialect == "postgresql":
            import psycopg

            raw.close()
            raw = psycopg.connect(url)
        first_raw = raw_dump(raw, campaign_id, dialect)  # raw, ours, raw: neither meets a cold cache alone
        rss_before = rss_mib()
        ours = our_export(client, campaign_id, {"state": "all"}, sample_rss=True)
        bare = min(first_raw, raw_dump(raw, campaign_id, dialect), key=lambda result: result["seconds"])
        raw.close()
        ours_rate, bare_rate = ours["rows"] / ours["seconds"], bare["rows"] / bare["seconds"]
        print(f"database: {dialect}")
        print(f"ours: {ours['rows']} rows, {ours['bytes'] / 2**20:.0f} MiB in {ours['seconds']:.1f} s "
              f"({ours_rate:,.0f} rows/s)")
        print(f"raw:  {bare['rows']} responses ({bare['bytes'] / 2**20:.0f} MiB joined) in {bare['seconds']:.1f} s "
              f"({bare_rate:,.0f} rows/s)")
        ratio = ours_rate / bare_rate
        print(f"throughput ratio ours/raw: {ratio:.2f} (target >= 0.5); this process's CPU seconds: ours "
              f"{ours['cpu']:.1f}, raw {bare['cpu']:.1f} (CPU ratio {bare['cpu'] / ours['cpu']:.2f}; on SQLite "
              f"all the work is in this process, on PostgreSQL the server's share is not counted); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        samples = ours["rss"]
        marks = [samples[int(len(samples) * f) - 1] for f in (0.1, 0.5, 1.0)] if samples else []
        print("resident size while streaming (MiB, before / at 10% / 50% / 100%): "
              + " / ".join(f"{value:.0f}" for value in [rss_before, *marks]))
        small_rows, small_peak = traced_peak(client, campaign_id, {**slice_filters(3), "state": "all"})
        large_rows, large_peak = traced_peak(client, campaign_id, {**slice_filters(30), "state": "all"})
        print(f"tracemalloc peak: {small_peak:.1f} MiB for {small_rows} rows, "
              f"{large_peak:.1f} MiB for {large_rows} rows")
        flat = large_peak < small_peak * 1.25 + 2 and (not marks or marks[-1] - marks[0] < 16)
        db.session.remove()
        db.engine.dispose()
    ok = ratio >= 0.5 and flat
    print("PASS" if ok else "FAIL", f"(ratio {ratio:.2f}, memory {'flat' if flat else 'GROWS'})")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run?")
    args = parser.parse_args()
    if args.smoke:
        run(smoke_database(args.postgres))
        return
    run(ensure_database(args.responses, args.postgres))


if __name__ == "__main__":
    main()
