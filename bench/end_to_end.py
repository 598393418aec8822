"""End to end: the production server (gunicorn, 2 workers) taking batches of 100 from 8 concurrent devices.

The server is `wijkstem serve --workers 2` on a free local port, against a fresh database. Eight client
threads, each an enrolled device with its own token and its own responses, send batches of 100 over one
HTTP connection each (reopened whenever the server closes it: `wijkstem serve` keeps no connection alive), as
fast as the server answers, and time every request. The run is bounded:
a fixed number of batches per client (after one warm-up batch each) and a deadline.

The raw limit, measured in the same run just before the server starts: the same response and answer rows,
in the same batches of 100 with one commit each, written straight through the driver (`sqlite3`
`executemany`, or psycopg 3 `COPY` on PostgreSQL) into copies of the same database, once by one writer and
once by two writer processes side by side (as many as the server has workers); the faster is the limit.

One response per request (`--one`): each client sends `--requests` requests of one response each, as a flyer
visitor's phone does, to `wijkstem serve`; the raw limit, measured in the same run on a copy of the database, is
the same requests against a bare WSGI app behind the same gunicorn (`bare_wsgi.py`: the same single-row
inserts through the driver, one transaction per request). Reported: responses a second, CPU per request and
the ratio (target >= 0.5). On PostgreSQL the database is ANALYZEd after its setup: this machine's server runs
with autovacuum off, so its planner statistics would otherwise be stale.

    python bench/end_to_end.py [--postgres] [--batches 50] [--clients 8] [--workers 2] [--smoke]
    python bench/end_to_end.py --one [--postgres] [--requests 300] [--clients 8] [--workers 2] [--rounds 1]
"""

import argparse
import gc
import http.client
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from workload import (
    BATCH,
    REPO,
    percentile,
    prepare,
    prepared_batches,
    private_database,
    raw_writer,
    realistic_responses,
    scratch_folder,
    table_digest,
)

TARGET_RATIO = 0.3
TARGET_P99_MS = 150
DEADLINE_SECONDS = 300
#: One response per request: our rate against the bare app's.
TARGET_ONE_RATIO = 0.5


class Client(threading.Thread):
    """One device sending its batches over its connection (reopened when the server closes it), timing each."""

    def __init__(self, port: int, token: str, bodies: list[bytes], barrier: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.bodies, self.barrier = port, bodies, barrier
        self.path = "/api/v1/sync"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.latencies, self.connections, self.failures = [], 0, []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.send(connection, self.bodies[0])  # warm-up, not timed
        self.latencies.clear()
        self.barrier.wait()  # all clients start the timed part together
        deadline = time.monotonic() + DEADLINE_SECONDS
        for body in self.bodies[1:]:
            if time.monotonic() > deadline:
                self.failures.append("deadline reached")
                break
            self.send(connection, body)
        connection.close()

    def send(self, connection: http.client.HTTPConnection, body: bytes) -> None:
        if connection.sock is None:
            self.connections += 1
        start = time.perf_counter()
        connection.request("POST", self.path, body=body, headers=self.headers)
        reply = connection.getresponse()
        payload = reply.read()
        self.latencies.append(time.perf_counter() - start)
        if reply.status != 200:
            self.failures.append(f"HTTP {reply.status}: {payload[:200]!r}")
            return
        statuses = {item["status"] for item in orjson.loads(payload)["results"]}
        if statuses != {"created"}:
            self.failures.append(f"statuses {sorted(statuses)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, workers: int, folder: Path) -> subprocess.Popen:
    """`wijkstem serve` (the console script's own entry point) in its own process group."""
    env = {**os.environ, "DATABASE_URL": url, "WIJKSTEM_SECRET_KEY": "bench-secret",
           "WIJKSTEM_MEDIA_DIR": str(folder / "media")}
    log = open(folder / "server.log", "wb")  # noqa: SIM115  (closed when the server stops)
    return subprocess.Popen(
        [sys.executable, "-c", "from server.cli import main; main()", "serve",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def start_bare_server(url: str, port: int, workers: int, folder: Path, flask: bool = False,
                      checks: bool = False) -> subprocess.Popen:
    """`bare_wsgi:app` (`flask`: its work in a bare Flask app, `bare_wsgi:flask_app`; `checks`: with the
    statements of our checks around its inserts) behind gunicorn with `wijkstem serve`'s settings
    (`server.commands.run_gunicorn`)."""
    from server.commands import gunicorn_settings

    settings = gunicorn_settings(f"127.0.0.1:{port}", workers, 1)
    env = {**os.environ, "BARE_DATABASE_URL": url, **({"BARE_FLASK": "1"} if flask else {}),
           **({"BARE_CHECKS": "1"} if checks else {})}
    log = open(folder / "bare.log", "wb")  # noqa: SIM115  (closed when the server stops)
    options = [f"--{key.replace('_', '-')}={value}" for key, value in settings.items()
               if key in {"bind", "workers", "worker_class", "threads", "worker_connections", "worker_tmp_dir",
                          "timeout", "graceful_timeout"}]
    options += [f"--keep-alive={settings['keepalive']}", f"--access-logformat={settings['access_log_format']}",
                "--no-control-socket"]
    if settings.get("accesslog"):
        options += [f"--access-logfile={settings['accesslog']}"]
    target = "bare_wsgi:flask_app" if flask else "bare_wsgi:app"
    return subprocess.Popen([sys.executable, "-m", "gunicorn", *options, target],
                            cwd=Path(__file__).resolve().parent, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_until_ready(server: subprocess.Popen, port: int, timeout: float = 60, path: str = "/api/openapi.json") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                connection.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start in time")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's master (a graceful stop); SIGKILL to its process group if it hangs."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def raw_rate(postgres: bool, url: str, work: list[list[tuple]], writers: int) -> float:
    """Responses per second that `writers` processes reach writing `work` (one list of batches each)."""
    context = multiprocessing.get_context("fork")
    ready, go = context.Barrier(writers + 1), context.Event()
    processes = [context.Process(target=raw_worker, args=(postgres, url, share, ready, go)) for share in work]
    for process in processes:
        process.start()
    ready.wait()
    start = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
    seconds = time.perf_counter() - start
    if any(process.exitcode for process in processes):
        raise SystemExit("a raw writer failed")
    return sum(len(batch[0]) for share in work for batch in share) / seconds


def raw_worker(postgres: bool, url: str, batches: list[tuple], ready, go) -> None:
    writer = raw_writer(postgres, url)
    ready.wait()
    go.wait()
    for responses, answers in batches:
        writer.send(responses, answers)
    writer.close()


def split(items: list, parts: int) -> list[list]:
    return [items[i::parts] for i in range(parts)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL (COPY as the raw limit)")
    parser.add_argument("--batches", type=int, default=50, help="timed batches per client")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log", type=Path, help="keep a copy of the server's log here")
    parser.add_argument("--one", action="store_true", help="one response per request, against a bare WSGI app")
    parser.add_argument("--requests", type=int, default=300, help="timed one-response requests per client")
    parser.add_argument("--rounds", type=int, default=1, help="--one: rounds, bare and ours in alternating order")
    parser.add_argument("--flask-floor", action="store_true", help="--one: also the bare app's work inside a bare "
                        "Flask app (what any Flask implementation costs at least)")
    parser.add_argument("--checks-floor", action="store_true", help="--one on PostgreSQL: also the bare app with "
                        "the statements of our checks around its inserts, and no code around them")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds: does it still run? "
                        "(both modes)")
    args = parser.parse_args()
    if args.smoke:
        args.batches, args.clients, args.requests, args.rounds = 2, 2, 5, 1
        args.flask_floor = args.checks_floor = True
    if args.one:
        return main_one(args)
    code = main_batches(args)
    return code or (main_one(args) if args.smoke else 0)


def main_batches(args) -> int:
    with scratch_folder() as folder, private_database(args.postgres, folder, "e2e") as url:
        setup = prepare(url, folder, devices=args.clients)
        work = client_work(setup, args)
        raw = measure_raw(args, folder, url, work)
        clients, seconds, cpu = serve_and_send(args, folder, url, setup, work)
        stored = table_digest(url)[0]
    expected = (args.batches + 1) * BATCH * args.clients
    return report(args, clients, seconds, cpu, raw, stored, expected)


def client_work(setup, args) -> list[list[tuple]]:
    """Per client: its batches as (request body, response rows, answer rows), the first one for warm-up."""
    per_client = (args.batches + 1) * BATCH
    return [prepared_batches(setup, realistic_responses(setup, per_client, seed=client), args.postgres,
                             device_id=setup.devices[client][0])
            for client in range(args.clients)]


def measure_raw(args, folder: Path, url: str, work: list) -> dict:
    """Raw rows per second with one writer and with as many writers as workers, on copies of the database."""
    timed = [[(responses, answers) for _, responses, answers in batches[1:]] for batches in work]
    flat = [batch for batches in timed for batch in batches]
    rates = {}
    for writers in sorted({1, args.workers}):
        with private_database(args.postgres, folder, f"raw{writers}", template=url) as raw_url:
            rates[writers] = raw_rate(args.postgres, raw_url, split(flat, writers), writers)
    return rates


def serve_and_send(args, folder: Path, url: str, setup, work: list):
    port = free_port()
    server = start_server(url, port, args.workers, folder)
    reply = send_to(server, port, args, setup, [[body for body, _, _ in batches] for batches in work])
    if args.log:
        args.log.write_bytes((folder / "server.log").read_bytes())
    return reply


def send_to(server: subprocess.Popen, port: int, args, setup, bodies: list[list[bytes]], path: str = "/api/v1/sync",
            ready_path: str = "/api/openapi.json"):
    """Each client sends its bodies (the first to warm up) to the started `server`: the clients, the timed
    seconds and the CPU used meanwhile."""
    try:
        wait_until_ready(server, port, path=ready_path)
        barrier = threading.Barrier(args.clients + 1, timeout=120)
        clients = [Client(port, token, client_bodies, barrier)
                   for (_, token), client_bodies in zip(setup.devices, bodies, strict=True)]
        for client in clients:
            client.path = path
        for client in clients:
            client.start()
        gc.collect()
        gc.freeze()  # the clients' prepared batches need no garbage collection
        cpu_before = cpu_seconds(server.pid)
        barrier.wait()
        start = time.perf_counter()
        for client in clients:
            client.join(DEADLINE_SECONDS + 60)
        seconds = time.perf_counter() - start
        cpu = {name: used - cpu_before[name] for name, used in cpu_seconds(server.pid).items()}
    finally:
        stop_server(server)
    return clients, seconds, cpu


def cpu_seconds(master: int) -> dict:
    """User and system CPU time used so far (Linux) by gunicorn's workers (the master's children), by the
    database server's processes (PostgreSQL's, if it runs on this machine), by this process's clients, and by the
    whole machine (whatever else runs on it too)."""
    ticks = {"workers": 0, "database": 0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue  # the process ended meanwhile
        fields = fields.split()
        if int(fields[1]) == master:
            ticks["workers"] += int(fields[11]) + int(fields[12])
        elif name.endswith("(postgres"):
            ticks["database"] += int(fields[11]) + int(fields[12])
    ticks["machine"] = machine_busy_ticks()
    used = {name: value / os.sysconf("SC_CLK_TCK") for name, value in ticks.items()}
    times = os.times()
    return {**used, "clients": times.user + times.system}


def machine_busy_ticks() -> int:
    """The whole machine's CPU time so far, every core and process, the kernel's network work included (Linux
    `/proc/stat`: user, nice, system, irq, softirq and steal; not idle or iowait)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return user + nice + system + irq + softirq + steal


def report(args, clients, seconds, cpu, raw: dict, stored: int, expected: int) -> int:
    backend = "postgresql" if args.postgres else "sqlite"
    latencies = [latency for client in clients for latency in client.latencies]
    failures = [failure for client in clients for failure in client.failures]
    requests = len(latencies)
    rate = requests * BATCH / seconds
    best_raw = max(raw.values())
    ratio = rate / best_raw
    p50, p95, p99 = (percentile(latencies, f) * 1000 for f in (0.5, 0.95, 0.99))
    connections = sum(client.connections for client in clients)
    print(f"end to end on {backend}: {args.workers} gunicorn workers, {args.clients} clients, "
          f"{requests} timed batches of {BATCH} over {connections} connections")
    print(f"  server:   {rate:9.0f} responses/s  ({requests / seconds:.1f} batches/s, {seconds:.2f} s)")
    per_batch = {name: used / requests * 1000 for name, used in cpu.items()}
    print(f"  CPU per batch: workers {per_batch['workers']:.1f} ms, "
          + (f"PostgreSQL {per_batch['database']:.1f} ms, " if backend == "postgresql" else "")
          + f"clients {per_batch['clients']:.1f} ms; {per_batch['machine']:.1f} ms in all (the whole machine), "
          f"on {os.cpu_count()} cores")
    print(f"  latency:  p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms  "
          f"max {max(latencies) * 1000:.1f} ms")
    for writers, value in sorted(raw.items()):
        print(f"  raw, {writers} writer{'s' if writers > 1 else ''}: {value:9.0f} responses/s")
    print(f"  stored {stored} of {expected} responses; {len(failures)} failed requests")
    ratio_met, latency_met = ratio >= TARGET_RATIO, p99 <= TARGET_P99_MS
    print(f"  ratio {ratio:.2f} (target >= {TARGET_RATIO}): {'met' if ratio_met else 'MISSED'}; "
          f"p99 {p99:.1f} ms (target <= {TARGET_P99_MS} ms): {'met' if latency_met else 'MISSED'}")
    for failure in failures[:5]:
        print(f"  failure: {failure}")
    if failures or stored != expected:
        return 2
    return 0 if (ratio_met and latency_met) or args.smoke else 1


# --- one response per request ------------------------------------------------------------------------------

def analyze(postgres: bool, url: str) -> None:
    """Planner statistics for the fresh tables: this machine's PostgreSQL runs with autovacuum off."""
    if postgres:
        import psycopg  # reason: the PostgreSQL run only

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")


def main_one(args) -> int:
    """One response per request, `--rounds` times: the bare app and `wijkstem serve`, each on its own copy of the
    same database, in alternating order (bare first in the odd rounds), so that a noisy machine weighs on both."""
    with scratch_folder() as folder, private_database(args.postgres, folder, "one") as url:
        setup = prepare(url, folder, devices=args.clients)
        work = [prepared_batches(setup, realistic_responses(setup, args.requests + 1, seed=client), args.postgres,
                                 device_id=setup.devices[client][0], size=1)
                for client in range(args.clients)]
        bare_bodies = [[orjson.dumps({"responses": responses, "answers": answers})
                        for _, responses, answers in batches] for batches in work]
        our_bodies = [[body for body, _, _ in batches] for batches in work]
        code = 0
        for number in range(args.rounds):
            measured = {}
            names = ("bare", "ours") + (("flask",) if args.flask_floor else ()) + (
                ("checks",) if args.checks_floor and args.postgres else ())
            for name in names if number % 2 == 0 else names[::-1]:
                with private_database(args.postgres, folder, f"{name}{number}", template=url) as copy_url:
                    analyze(args.postgres, copy_url)
                    port = free_port()
                    if name in ("bare", "flask", "checks"):
                        server = start_bare_server(copy_url, port, args.workers, folder, flask=name == "flask",
                                                   checks=name == "checks")
                        reply = send_to(server, port, args, setup, bare_bodies, path="/", ready_path="/ready")
                    else:
                        reply = send_to(start_server(copy_url, port, args.workers, folder), port, args, setup,
                                        our_bodies)
                    measured[name] = reply, table_digest(copy_url)[0]
            expected = (args.requests + 1) * args.clients
            code = max(code, report_one(args, number, measured, expected))
    return code


#: How `report_one` names each server of a round.
ONE_LABELS = {"bare": "bare WSGI app (raw limit)", "ours": "wijkstem serve", "flask": "bare app in Flask (floor)",
              "checks": "bare app + checks' SQL"}


def report_one(args, number: int, measured: dict, expected: int) -> int:
    """One round of `--one`: per server (`measured`: name -> ((clients, seconds, CPU), rows stored)), its rate,
    CPU per request and latency; then whether everything was stored and our ratio to the bare app's rate."""
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"one response per request on {backend}, round {number + 1} of {args.rounds} "
          f"({'bare' if number % 2 == 0 else 'ours'} first): {args.workers} gunicorn workers, {args.clients} clients, "
          f"{args.requests} timed requests each; load average {os.getloadavg()[0]:.1f}")
    rates, workers_cpu = {}, {}
    for name, ((clients, seconds, cpu), _) in measured.items():
        latencies = [latency for client in clients for latency in client.latencies]
        rates[name] = len(latencies) / seconds
        per_request = {key: used / len(latencies) * 1000 for key, used in cpu.items()}
        workers_cpu[name] = per_request["workers"]
        p50, p99 = (percentile(latencies, f) * 1000 for f in (0.5, 0.99))
        database = f", PostgreSQL {per_request['database']:.2f} ms" if args.postgres else ""
        print(f"  {ONE_LABELS[name]:26} {rates[name]:7.0f} responses/s; CPU per request: workers "
              f"{per_request['workers']:.2f} ms{database}, clients {per_request['clients']:.2f} ms, "
              f"machine {per_request['machine']:.2f} ms; p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    failures = [failure for (clients, _, _), _ in measured.values() for client in clients
                for failure in client.failures]
    stored = {name: rows for name, (_, rows) in measured.items()}
    ratio = rates["ours"] / rates["bare"]
    met = ratio >= TARGET_ONE_RATIO
    print(f"  stored {stored['ours']} (bare: {stored['bare']}) of {expected} responses; "
          f"{len(failures)} failed requests")
    multiple = f"{workers_cpu['ours'] / workers_cpu['bare']:.1f}" if workers_cpu["bare"] else "n/a"  # smoke: 0 ticks
    print(f"  ratio {ratio:.2f} (target >= {TARGET_ONE_RATIO}): {'met' if met else 'MISSED'}; workers' CPU "
          f"{multiple} x the bare app's")
    for failure in failures[:5]:
        print(f"  failure: {failure}")
    if failures or any(rows != expected for rows in stored.values()):
        return 2
    return 0 if met or args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
