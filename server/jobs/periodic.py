"""The periodic jobs' clock: a daemon thread that queues retention and the results' refresh at their intervals,
and queues again the jobs whose process died (`recover_stale`), so that no request ever pays for them.

Without Redis, `wijkstem serve` runs one clock per gunicorn worker (`start_periodic_jobs`, from gunicorn's
``post_worker_init``) and the jobs run in that worker's job thread; with Redis, `wijkstem worker` runs the
clock. Several clocks may tick at nearly the same moment: a job already pending is not queued twice (its row in
`jobs`), and a retention sweep is one transaction that the next one waits for, then finds nothing left to do.
"""

import logging
import threading
import time

from flask import Flask

from ..extensions import db
from .queue import enqueue, recover_stale

log = logging.getLogger(__name__)
#: Where a running clock is kept on its app.
EXTENSION_KEY = "wijkstem.periodic_jobs"


def periodic_intervals(app: Flask) -> dict[str, float]:
    """Each periodic job and its interval in seconds (0 or less: off)."""
    return {"retention": app.config["RETENTION_INTERVAL_SECONDS"],
            "results_refresh": app.config["RESULTS_REFRESH_SECONDS"]}


class PeriodicJobs:
    """Queues each periodic job every `intervals[name]` seconds, the first time after `first_delay`; every
    `tick` seconds it also queues again the stale jobs."""

    def __init__(self, app: Flask, intervals: dict[str, float], first_delay: float, tick: float):
        self.app, self.first_delay, self.tick = app, first_delay, tick
        self.intervals = {name: seconds for name, seconds in intervals.items() if seconds and seconds > 0}
        #: Ticks so far, successful or not.
        self.runs = 0
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.next_due: dict[str, float] = {}

    def start(self) -> None:
        start = time.monotonic() + self.first_delay
        self.next_due = dict.fromkeys(self.intervals, start)
        self.thread = threading.Thread(target=self.run, name="wijkstem-clock", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 30) -> bool:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True

    def run(self) -> None:
        delay = min(self.first_delay, self.tick)
        while not self.stopping.wait(delay):
            self.queue_due(time.monotonic())
            delay = max(0.0, min([self.tick, *(due - time.monotonic() for due in self.next_due.values())]))

    def queue_due(self, now: float) -> list[str]:
        """Queue the jobs that are due (and the stale ones) in an app context of its own; a failure is logged."""
        due = [name for name, when in self.next_due.items() if when <= now]
        with self.app.app_context():
            try:
                recover_stale()
                for name in due:
                    enqueue(name)
                    self.next_due[name] = now + self.intervals[name]
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("the periodic jobs could not be queued; the next tick tries again")
            finally:
                db.session.remove()
                self.runs += 1
        return due


def start_periodic_jobs(app: Flask) -> PeriodicJobs | None:
    """Start this process's clock (once), unless every periodic job is turned off."""
    if EXTENSION_KEY in app.extensions:
        return app.extensions[EXTENSION_KEY]
    intervals = periodic_intervals(app)
    if not any(seconds and seconds > 0 for seconds in intervals.values()):
        return None
    first = min([app.config["RETENTION_FIRST_RUN_SECONDS"], *(s for s in intervals.values() if s and s > 0)])
    clock = PeriodicJobs(app, intervals, first, app.config["JOBS_CLOCK_SECONDS"])
    app.extensions[EXTENSION_KEY] = clock
    clock.start()
    return clock


def stop_periodic_jobs(app: Flask) -> None:
    clock = app.extensions.pop(EXTENSION_KEY, None)
    if clock is not None and not clock.stop():
        log.warning("the periodic jobs' clock was still busy when the process stopped")
