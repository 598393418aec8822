"""Replay: a batch the server accepted arrives again, as after a lost acknowledgement.

Per batch of 100 realistic responses: the sync view (called in a request context, as in ingest.py) stores
it fresh, then receives the very same request body again. The replay must answer every item `duplicate`,
add no row to any table, and take at most 1.5 times as long as the fresh batch did. Fresh and replayed
batches alternate, so both see the same machine load and the same table sizes.

    python bench/replay.py [--postgres] [--batches 50] [--smoke]
"""

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from sqlalchemy import func, select
from workload import (
    BATCH,
    SyncView,
    batches,
    median,
    prepare,
    private_database,
    realistic_responses,
    scratch_folder,
    statuses,
)

from server.extensions import db

TARGET = 1.5


def row_counts(setup) -> tuple:
    """Rows in every table that a sync may write to."""
    with setup.app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(table))
                       for table in db.metadata.sorted_tables)
        db.session.remove()
    return counts


def run(setup, bodies: list[bytes]) -> tuple[list[float], list[float], list[str]]:
    """Fresh then replayed, batch by batch: (fresh seconds, replay seconds, problems found)."""
    view = SyncView(setup)
    gc.collect()
    gc.freeze()  # the prepared batches are the harness's, not the server's: the collector may skip them
    fresh, replay, problems = [], [], []
    for number, body in enumerate(bodies):
        start = time.perf_counter()
        first = statuses(view.send(body))
        middle = time.perf_counter()
        before = row_counts(setup)
        again_start = time.perf_counter()
        second = view.send(body)
        end = time.perf_counter()
        second = statuses(second)
        if set(first) != {"created"} or set(second) != {"duplicate"}:
            problems.append(f"batch {number}: {sorted(set(first))} then {sorted(set(second))}")
        if row_counts(setup) != before:
            problems.append(f"batch {number}: the replay added rows")
        if number:  # the first pair warms up
            fresh.append(middle - start)
            replay.append(end - again_start)
    return fresh, replay, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL")
    parser.add_argument("--batches", type=int, default=50, help="timed batches (after one warm-up batch)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run?")
    args = parser.parse_args()
    if args.smoke:
        args.batches = 2
    backend = "postgresql" if args.postgres else "sqlite"
    with scratch_folder() as folder, private_database(args.postgres, folder, "replay") as url:
        setup = prepare(url, folder)
        bodies = [orjson.dumps({"responses": batch})
                  for batch in batches(realistic_responses(setup, (args.batches + 1) * BATCH))]
        fresh, replay, problems = run(setup, bodies)
    ratio = median(replay) / median(fresh)
    print(f"replay on {backend}: {len(fresh)} batches of {BATCH}, each stored fresh and then sent again")
    print(f"  fresh batch:    median {median(fresh) * 1000:6.2f} ms  (total {sum(fresh):.3f} s)")
    print(f"  replayed batch: median {median(replay) * 1000:6.2f} ms  (total {sum(replay):.3f} s)")
    print(f"  new rows from replays: {'none' if not problems else 'SOME'}; every replayed item a duplicate: "
          f"{'yes' if not problems else 'NO'}")
    print(f"  replay / fresh {ratio:.2f} (target <= {TARGET}): {'met' if ratio <= TARGET else 'MISSED'}")
    for problem in problems[:5]:
        print(f"  problem: {problem}")
    if problems:
        return 2
    return 0 if ratio <= TARGET or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
