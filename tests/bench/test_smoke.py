"""Every benchmark in `bench/` still runs: each in its smoke mode (tiny sizes, a few seconds), as a process of
its own, on SQLite and, when the suite has a PostgreSQL server, on PostgreSQL too. Full runs stay manual
(docs/performance.md); a new benchmark without `--smoke` fails here. On PostgreSQL the small smoke database is
cached on the server like the benchmarks' big ones (named after its size and the migrations' hash)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench"
#: Benchmarks that drive Debian's Chromium.
BROWSER = {"pwa_budget.py", "results_page.py"}
#: Benchmarks with no database choice (SQLite in a thread, or they pass options on).
SQLITE_ONLY = {"pwa_budget.py", "repeat.py"}


def benchmarks() -> list[str]:
    """Every script in `bench/` that runs as a program (helpers such as `workload.py` are only imported)."""
    return sorted(path.name for path in BENCH.glob("*.py")
                  if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"))


def cases() -> list:
    found = [pytest.param(name, [], id=name) for name in benchmarks()]
    if PG_URL:
        found += [pytest.param(name, ["--postgres"], id=f"{name}-postgresql")
                  for name in benchmarks() if name not in SQLITE_ONLY]
    return found


@pytest.fixture(scope="session")
def bench_cache(tmp_path_factory):
    """One cache of generated databases for the smoke runs (each benchmark's smoke database is made once)."""
    return tmp_path_factory.mktemp("bench-cache")


def test_every_benchmark_is_found():
    assert {"generate.py", "ingest.py", "results_breakdown.py", "bench_inbox.py"} <= set(benchmarks())
    assert "workload.py" not in benchmarks()


@pytest.mark.parametrize(("name", "options"), cases())
def test_benchmark_runs_in_its_smoke_mode(name, options, bench_cache, tmp_path):
    if name in BROWSER and not Path("/usr/bin/chromium").exists() and os.environ.get("WIJKSTEM_REQUIRE_BROWSER") != "1":
        pytest.skip("/usr/bin/chromium is not installed")
    env = {**os.environ, "WIJKSTEM_BENCH_CACHE": str(bench_cache), "PYTHONPATH": str(BENCH.parent)}
    if PG_URL:  # the benchmarks' own databases on the suite's server
        server = PG_URL.rsplit("/", 1)[0]
        env |= {"WIJKSTEM_BENCH_PG": server, "WIJKSTEM_BENCH_DATABASE_URL": f"{server}/postgres"}
    done = subprocess.run([sys.executable, str(BENCH / name), "--smoke", *options], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{name} --smoke {' '.join(options)} exited {done.returncode}:\n" \
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
