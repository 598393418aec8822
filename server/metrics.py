"""What an operator watches: Prometheus metrics (`prometheus_client`).

The counters and histograms are counted where things happen (requests here, sync items in
`responses/views.py`, upload bytes in `voice/views.py`, jobs in `jobs/queue.py`). Under gunicorn every worker
counts in its own process: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder (cleared at each start) and
`/metrics` adds up every worker's files (prometheus_client's multiprocess mode); without it a scrape sees the
worker that answered it. What is shared anyway is read at scrape time: jobs pending and failed (the `jobs`
table), the queue's depth (RQ on Redis, or this process's job thread).
"""

import os
import time

from flask import Flask, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .extensions import db

REQUESTS = Counter("wijkstem_requests_total", "Requests answered, per endpoint, method and status.",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("wijkstem_request_duration_seconds", "Time to answer a request, per endpoint.", ["endpoint"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
SYNC_ITEMS = Counter("wijkstem_sync_items_total", "Responses received by the sync endpoint, per outcome.",
                     ["status"])
UPLOAD_BYTES = Counter("wijkstem_voice_upload_bytes_total", "Bytes of voice-note chunks received.")
JOB_RUNS = Counter("wijkstem_job_runs_total", "Job attempts, per job and outcome (done, retry, failed).",
                   ["job", "outcome"])
JOB_FAILURES = Counter("wijkstem_job_failures_total", "Jobs that failed for good (every attempt), per job.", ["job"])
POOL_CHECKED_OUT = Gauge("wijkstem_db_pool_checked_out", "Database connections in use, after the last request.",
                         multiprocess_mode="livesum")
POOL_SIZE = Gauge("wijkstem_db_pool_size", "Connections the database pool keeps open.", multiprocess_mode="livesum")


def endpoint_label() -> str:
    """The view's name (``responses.sync``), never the path: paths may hold a flyer's or a report's code."""
    return request.endpoint or "unmatched"


def start_timer() -> None:
    g.wijkstem_started = time.perf_counter()


def count_request(response):
    started = g.get("wijkstem_started")
    endpoint = endpoint_label()
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def count_pool(engine) -> None:
    pool = engine.pool
    if hasattr(pool, "checkedout"):
        POOL_CHECKED_OUT.set(pool.checkedout())
        POOL_SIZE.set(pool.size() if hasattr(pool, "size") else 0)


def shared_metrics() -> CollectorRegistry:
    """What every process shares, read at scrape time: jobs pending and failed, the queue's depth."""
    from .jobs.queue import app_runner  # reason: the jobs' runners import this module's counters
    from .jobs.views import job_counts  # reason: as above

    registry = CollectorRegistry(auto_describe=True)

    class Shared:
        def collect(self):
            jobs = GaugeMetricFamily("wijkstem_jobs", "Jobs in the jobs table, per job and status.",
                                     labels=["job", "status"])
            for (name, status), count in job_counts().items():
                jobs.add_metric([name, status], count)
            yield jobs
            try:
                depth = app_runner(current_app._get_current_object()).depth()
            except Exception:  # Redis away: /readyz says so; the other metrics still come
                depth = -1
            yield GaugeMetricFamily("wijkstem_job_queue_depth", "Jobs queued and not yet finished (-1: the "
                                    "queue cannot be reached).", value=depth)

    registry.register(Shared())
    return registry


def exposition() -> bytes:
    """Every metric in Prometheus' text format: all workers' (multiprocess mode) or this process's, then the
    shared ones."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # reason: only valid with PROMETHEUS_MULTIPROC_DIR set

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY as registry  # reason: the process's default registry
    return generate_latest(registry) + generate_latest(shared_metrics())


def instrument(app: Flask) -> None:
    """Time and count every request, and the pool's use after it."""
    app.before_request(start_timer)

    @app.after_request
    def count(response):
        count_request(response)
        count_pool(db.engine)
        return response
