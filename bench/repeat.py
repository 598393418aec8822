"""Run one benchmark several times and print every run's figures and their medians.

    python bench/repeat.py ingest --runs 5 [--postgres] [other options of the benchmark]
    python bench/repeat.py --smoke      # replay --smoke twice: do the figures still parse?

Each run's full output is kept in bench/results/ (ignored by git).
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The figures each benchmark prints, by the label they are reported under.
FIGURES = {
    "ours responses/s": r"(?:sync code path|server):\s+(?:[\d.]+ s\s+)?(\d+) responses/s",
    "raw responses/s": r"raw (?:sqlite3 executemany|COPY):\s+[\d.]+ s\s+(\d+) responses/s",
    "raw 1 writer": r"raw, 1 writer:\s+(\d+)",
    "raw 2 writers": r"raw, 2 writers:\s+(\d+)",
    "workers CPU ms": r"CPU per batch: workers ([\d.]+) ms",
    "PostgreSQL CPU ms": r"PostgreSQL ([\d.]+) ms,",
    "p50 ms": r"p50 ([\d.]+) ms",
    "p99 ms": r"p99 ([\d.]+) ms \(",
    "fresh ms": r"fresh batch:\s+median\s+([\d.]+) ms",
    "replay ms": r"replayed batch:\s+median\s+([\d.]+) ms",
    "ratio": r"ratio ([\d.]+)|replay / fresh ([\d.]+)",
}


def figures(output: str) -> dict:
    found = {}
    for label, pattern in FIGURES.items():
        match = re.search(pattern, output)
        if match:
            found[label] = float(next(group for group in match.groups() if group is not None))
    return found


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmark", choices=["ingest", "end_to_end", "replay"], nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true",
                        help="the benchmark (replay if none is named) in its smoke mode, twice, outputs not kept")
    args, passed_on = parser.parse_known_args()
    if args.smoke:
        args.benchmark, args.runs = args.benchmark or "replay", 2
        passed_on.append("--smoke")
    elif args.benchmark is None:
        parser.error("name the benchmark to repeat")
    results = HERE / "results"
    if args.smoke:
        results = Path(tempfile.mkdtemp(prefix="wijkstem-repeat-smoke-"))
    results.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    runs = []
    for number in range(1, args.runs + 1):
        load = load_average()
        done = subprocess.run([sys.executable, str(HERE / f"{args.benchmark}.py"), *passed_on],
                              capture_output=True, text=True, check=False)
        output = done.stdout + done.stderr
        (results / f"{args.benchmark}-{stamp}-{number}.txt").write_text(output)
        found = figures(done.stdout)
        runs.append(found)
        shown = "  ".join(f"{label} {value:g}" for label, value in found.items())
        print(f"run {number} (exit {done.returncode}, load before {load}): {shown}", flush=True)
        if args.smoke and (done.returncode or not found):
            print(output)
            return 1
    labels = [label for label in FIGURES if all(label in run for run in runs)]
    print("median: " + "  ".join(f"{label} {statistics.median(run[label] for run in runs):g}"
                                 for label in labels))
    if args.smoke:
        shutil.rmtree(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
