"""The retention sweep on a timer, in a thread of each server process, so that no request ever pays for it.

`wijkstem serve` starts one `RetentionSchedule` per gunicorn worker once the worker has loaded the app
(`start_retention_schedule`, from gunicorn's ``post_worker_init``), and stops it when the worker exits. Each
runs the sweep `RETENTION_FIRST_RUN_SECONDS` after the start (or sooner, at a shorter interval), then every
`RETENTION_INTERVAL_SECONDS`; 0 turns it off (run `wijkstem retention` from cron instead). Several workers may
sweep at nearly the same moment: a sweep is one transaction that the next one waits for (SQLite's writers'
queue; a PostgreSQL advisory lock, see `apply_retention`), and then finds nothing left to do.
"""

import logging
import threading

from flask import Flask

from ..extensions import db
from .operations import RetentionRun, apply_retention

log = logging.getLogger(__name__)
#: Where a running schedule is kept on its app.
EXTENSION_KEY = "wijkstem.retention_schedule"


class RetentionSchedule:
    """Runs `apply_retention` (and commits) in a daemon thread: first after `first_delay` seconds, then every
    `interval` seconds, until `stop`."""

    def __init__(self, app: Flask, interval: float, first_delay: float):
        self.app, self.interval, self.first_delay = app, interval, first_delay
        #: Sweeps run so far, successful or not.
        self.runs = 0
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="wijkstem-retention", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 30) -> bool:
        """Stop after the sweep under way, if any; `False` if the thread is still busy after `timeout` seconds."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True

    def run(self) -> None:
        delay = self.first_delay
        while not self.stopping.wait(delay):
            self.sweep()
            delay = self.interval

    def sweep(self) -> RetentionRun | None:
        """One sweep in an app context of its own; a failure is logged and the next sweep tries again."""
        with self.app.app_context():
            try:
                run = apply_retention()
                db.session.commit()
                return run
            except Exception:
                db.session.rollback()
                log.exception("voice-note retention failed; the next sweep tries again")
                return None
            finally:
                db.session.remove()
                self.runs += 1


def start_retention_schedule(app: Flask) -> RetentionSchedule | None:
    """Start this process's schedule (once), unless `RETENTION_INTERVAL_SECONDS` is 0."""
    interval = app.config["RETENTION_INTERVAL_SECONDS"]
    if not interval or EXTENSION_KEY in app.extensions:
        return app.extensions.get(EXTENSION_KEY)
    schedule = RetentionSchedule(app, interval, min(interval, app.config["RETENTION_FIRST_RUN_SECONDS"]))
    app.extensions[EXTENSION_KEY] = schedule
    schedule.start()
    return schedule


def stop_retention_schedule(app: Flask) -> None:
    schedule = app.extensions.pop(EXTENSION_KEY, None)
    if schedule is not None and not schedule.stop():
        log.warning("the retention sweep was still running when the process stopped; it is rolled back")
