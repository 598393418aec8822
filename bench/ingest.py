"""Ingest: 10,000 responses through the sync code path versus the raw driver writing the same rows.

Our path, per batch of 100: the sync view function itself, called in a request context holding the JSON
body and the device token: marshmallow validation of the batch and of every response, token lookup, per-item
checks, duplicate detection, inserts, device status, one commit, and the JSON reply. The raw limit, per
batch of the same 100: the precomputed response and answer rows written by `sqlite3` `executemany` (or
psycopg 3 `COPY` on PostgreSQL) into a copy of the same database, one commit per batch. The two alternate
batch by batch, so both see the same machine load.

    python bench/ingest.py [--postgres] [--count 10000] [--smoke]
"""

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import (
    SyncView,
    prepare,
    prepared_batches,
    private_database,
    raw_writer,
    realistic_responses,
    scratch_folder,
    statuses,
    table_digest,
)

TARGETS = {"sqlite": 0.4, "postgresql": 0.25}


def run(work: list[tuple], ours: SyncView, raw) -> tuple[float, float]:
    """Alternate raw and our batches; the first batch warms both up and is not counted."""
    gc.collect()
    gc.freeze()  # the prepared batches are the harness's, not the server's: the collector may skip them
    ours_seconds = raw_seconds = 0.0
    for number, (body, responses, answers) in enumerate(work):
        start = time.perf_counter()
        raw.send(responses, answers)
        middle = time.perf_counter()
        reply = ours.send(body)
        end = time.perf_counter()
        if set(statuses(reply)) != {"created"}:
            raise SystemExit(f"batch {number}: unexpected statuses {sorted(set(statuses(reply)))}")
        if number:
            raw_seconds += middle - start
            ours_seconds += end - middle
    return ours_seconds, raw_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL (COPY as the raw limit)")
    parser.add_argument("--count", type=int, default=10_000,
                        help="responses to time (after one warm-up batch)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run?")
    args = parser.parse_args()
    if args.smoke:
        args.count = 200
    backend = "postgresql" if args.postgres else "sqlite"
    with scratch_folder() as folder, private_database(args.postgres, folder, "ours") as url:
        setup = prepare(url, folder)
        with private_database(args.postgres, folder, "raw", template=url) as raw_url:
            bodies = realistic_responses(setup, args.count + 100)
            work = prepared_batches(setup, bodies, args.postgres)
            raw = raw_writer(args.postgres, raw_url)
            try:
                ours_seconds, raw_seconds = run(work, SyncView(setup), raw)
            finally:
                raw.close()
            ours_digest, raw_digest = table_digest(url), table_digest(raw_url)
    verdict = report(backend, args.count, ours_seconds, raw_seconds, ours_digest, raw_digest)
    return 0 if args.smoke and verdict == 1 else verdict  # a missed target means nothing at a smoke's size


def report(backend, count, ours_seconds, raw_seconds, ours_digest, raw_digest) -> int:
    ratio = raw_seconds / ours_seconds
    target = TARGETS[backend]
    raw_name = "COPY" if backend == "postgresql" else "sqlite3 executemany"
    print(f"ingest on {backend}: {count} responses in batches of 100, {ours_digest[1]} answer rows in all "
          f"(both databases hold the same rows: {ours_digest == raw_digest})")
    print(f"  sync code path:   {ours_seconds:7.3f} s  {count / ours_seconds:9.0f} responses/s")
    print(f"  raw {raw_name + ':':<20}{raw_seconds:7.3f} s  {count / raw_seconds:9.0f} responses/s")
    verdict = "met" if ratio >= target else "MISSED"
    print(f"  ratio {ratio:.2f} (target >= {target}): {verdict}")
    if ours_digest != raw_digest:
        print("  the two databases differ: the comparison is void")
        return 2
    return 0 if ratio >= target else 1


if __name__ == "__main__":
    sys.exit(main())
