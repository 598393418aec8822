"""`wijkstem worker`: runs the jobs queued on Redis (RQ), and the periodic jobs' clock.

RQ's `SimpleWorker` runs each job in the worker process itself (no fork per job), in this process's app: its
database connections are never shared with a forked child. Retries wait in RQ's scheduler, which the worker
runs (`with_scheduler=True`).
"""

import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import get_current_job

from ..extensions import db
from .periodic import start_periodic_jobs, stop_periodic_jobs
from .queue import REGISTRY, perform, retry_intervals, runner_name

log = logging.getLogger(__name__)
#: The app of the `wijkstem worker` process, in which its jobs run.
WORKER_APP: list[Flask] = []


def run_rq_job(name: str, arguments: dict) -> None:
    """RQ's entry point: one attempt of a job in the worker's app; RQ retries a failure while retries are left."""
    app = WORKER_APP[0] if WORKER_APP else current_app._get_current_object()
    if name not in REGISTRY:
        raise LookupError(f"no job {name!r}")
    current = get_current_job()
    left = current.retries_left if current is not None else None  # RQ counts down from Retry's max
    attempt = 1 if left is None else len(retry_intervals(app)) - left + 1
    with app.app_context():
        perform(name, arguments, attempt, last=not left)


def worker_class():
    """RQ's `SimpleWorker`, whose shutdown does not wait a minute for the thread that listens for commands."""
    from rq import SimpleWorker  # reason: only a server with REDIS_URL set needs rq

    class Worker(SimpleWorker):
        def unsubscribe(self):
            """Stop the listening thread, then unsubscribe: Redis's reply wakes the thread, which then ends.

            RQ unsubscribes first and then stops the thread; with redis-py 8.2 that stop waits for the thread,
            and a thread that read the reply before it was told to stop sleeps out its minute (`sleep_time`)."""
            thread = self.pubsub_thread
            if thread is None:
                return
            try:
                thread.stop(timeout=0)  # redis-py 8.2 and later: trip the flag, wait for nothing
            except TypeError:
                thread.stop()  # earlier: only trips the flag
            self.pubsub.unsubscribe()
            thread.join(timeout=5)
            self.pubsub.close()

    return Worker


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty (tests, cron)")
@click.option("--no-clock", is_flag=True, help="do not queue the periodic jobs (run one worker with the clock)")
@with_appcontext
def worker_command(burst, no_clock):
    """Run the background jobs queued on Redis (REDIS_URL): playback copies, transcription, retention, results."""
    from redis import Redis  # reason: only a server with REDIS_URL set needs the redis package
    from rq import Queue

    app = current_app._get_current_object()
    if runner_name(app) != "rq":
        raise click.ClickException("set REDIS_URL (WIJKSTEM_REDIS_URL): without it `wijkstem serve` runs the jobs")
    WORKER_APP[:] = [app]
    db.session.remove()
    connection = Redis.from_url(app.config["REDIS_URL"])
    clock = None if burst or no_clock else start_periodic_jobs(app)
    try:
        worker = worker_class()([Queue(app.config["JOBS_QUEUE"], connection=connection)], connection=connection)
        worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
    finally:
        if clock is not None:
            stop_periodic_jobs(app)
