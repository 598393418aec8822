"""`enqueue(job_name, **kwargs)` and the three runners behind it.

- ``rq``: with `REDIS_URL` set, jobs go to RQ's queue `JOBS_QUEUE` on that Redis; `wijkstem worker` runs them,
  retrying with `Retry(max=len(JOBS_RETRY_INTERVALS), interval=JOBS_RETRY_INTERVALS)`.
- ``thread`` (the embedded default): a queue and one daemon thread per server process, each job in an app
  context of its own, retried after the same intervals. SQLite's writers' queue (`server.database`) keeps its
  writes in line with the requests'.
- ``inline``: at once, in the committing thread, on a session of its own (tests: `JOBS_RUNNER = "inline"`).

A job that can say why it failed raises `JobFailed` with a code and an English message (a msgid): the row
keeps both, and the workspace shows the message translated. A `permanent` one (the input is wrong: a
recording that is no sound) fails for good at once, without the retries another attempt could not mend.

A job is queued when the transaction that asked for it commits (never for a rolled-back one), so it always
finds what that transaction wrote. Its row in `jobs` says it is pending; success deletes the row, the last
failed attempt marks it ``failed`` with its error. A pending row older than `JOBS_STALE_SECONDS` (its process
died, Redis was down) is queued again by the next `enqueue` of the same work or by `recover_stale`.
"""

import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, event, false, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..metrics import JOB_FAILURES, JOB_RUNS
from ..util import utcnow
from .models import Job

log = logging.getLogger(__name__)
#: Where an app keeps its runner.
EXTENSION_KEY = "wijkstem.jobs"
SESSION_KEY = "wijkstem.jobs"
ERROR_LENGTH = 500


@dataclass(frozen=True)
class JobKind:
    """A registered job: its function (called with the job's keyword arguments in an app context; it may
    flush, the runner commits), what kind of object it works on and which argument names that object."""

    name: str
    function: Callable[..., None]
    object_type: str = ""
    key: str | None = None

    def object_id(self, arguments: dict) -> str:
        return str(arguments.get(self.key, "")) if self.key else ""


class JobFailed(Exception):
    """A failure the job can name: a stable `code` and an English `message` (a msgid, marked with ``N_``);
    `permanent` when another attempt would fail the same way (no retries then)."""

    def __init__(self, code: str, message: str, permanent: bool = False):
        super().__init__(message)
        self.code, self.message, self.permanent = code, message, permanent


#: Every job by name; filled by `@job` in the domains (`server.jobs.tasks` imports them all).
REGISTRY: dict[str, JobKind] = {}


def job(name: str, *, object_type: str = "", key: str | None = None):
    """Register the decorated function as the job `name`."""

    def register(function):
        REGISTRY[name] = JobKind(name, function, object_type, key)
        return function

    return register


# --- asking for work ---------------------------------------------------------------------------------------

def plain(value):
    return str(value) if isinstance(value, uuid.UUID) else value


def enqueue(job_name: str, *, again: bool = False, **kwargs) -> bool:
    """Ask for `job_name` to run with `kwargs` once the current transaction commits; a ``campaign_id`` argument
    files it under that campaign. ``False`` when the same work is already pending, or failed for good (unless
    `again`: a person asked for it once more)."""
    kind = REGISTRY[job_name]
    arguments = {key: plain(value) for key, value in kwargs.items()}
    campaign_id = kwargs.get("campaign_id")
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    values = {"name": kind.name, "object_type": kind.object_type, "object_id": kind.object_id(arguments),
              "campaign_id": uuid.UUID(str(campaign_id)) if campaign_id else None, "arguments": arguments,
              "status": "pending", "attempts": 0, "enqueued_at": now}
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Job).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["name", "object_type", "object_id"],
        set_={"enqueued_at": now, "arguments": statement.excluded.arguments, "status": "pending", "attempts": 0,
              "error": None, "code": None, "failed_at": None},
        where=((Job.status == "pending") & (Job.enqueued_at < stale)) | (Job.status == "failed" if again else false()),
    ).returning(Job.id)
    if db.session.execute(statement).scalar() is None:
        return False
    dispatch_after_commit(kind.name, arguments)
    return True


def retry(row: Job) -> None:
    """Queue a failed job again (the workspace's retry button), with all its attempts."""
    row.status, row.attempts, row.error, row.code = "pending", 0, None, None
    row.failed_at, row.enqueued_at = None, utcnow()
    db.session.flush()
    dispatch_after_commit(row.name, row.arguments)


def recover_stale() -> int:
    """Queue again the pending jobs nobody has worked on for `JOBS_STALE_SECONDS` (their process died before
    it ran them, or Redis was away); returns how many."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])
    rows = db.session.execute(update(Job).where(Job.status == "pending", Job.enqueued_at < stale)
                              .values(enqueued_at=now).returning(Job.name, Job.arguments)).all()
    for name, arguments in rows:
        if name in REGISTRY:
            dispatch_after_commit(name, arguments)
    return len(rows)


def forget(object_type: str, object_ids) -> None:
    """Drop the jobs of objects that are gone (a deleted voice note's playback copy will never be needed)."""
    ids = [str(object_id) for object_id in object_ids]
    if ids:
        db.session.execute(delete(Job).where(Job.object_type == object_type, Job.object_id.in_(ids)))


def pending_or_failed(object_type: str, object_ids) -> dict[tuple[str, str], Job]:
    """The jobs of these objects, by (job name, object id)."""
    ids = [str(object_id) for object_id in object_ids]
    if not ids:
        return {}
    rows = db.session.scalars(select(Job).where(Job.object_type == object_type, Job.object_id.in_(ids)))
    return {(row.name, row.object_id): row for row in rows}


def dispatch_after_commit(name: str, arguments: dict) -> None:
    db.session.info.setdefault(SESSION_KEY, []).append((name, arguments))


def _dispatch(session) -> None:
    """After a commit: hand the jobs it asked for to the app's runner."""
    queued = session.info.pop(SESSION_KEY, None)
    if not queued:
        return
    runner = app_runner(current_app._get_current_object())
    for name, arguments in queued:
        try:
            runner.submit(name, arguments)
        except Exception:  # Redis away: the row stays pending and `recover_stale` queues it again
            log.exception("job %s could not be queued; it is queued again later", name)


def _forget_dispatch(session) -> None:
    session.info.pop(SESSION_KEY, None)


def listen_for_commits(session) -> None:
    """Let `session` (the app's `db.session`) queue its jobs after it commits; once per session factory."""
    for identifier, listener in (("after_commit", _dispatch), ("after_rollback", _forget_dispatch)):
        if not event.contains(session, identifier, listener):
            event.listen(session, identifier, listener)


# --- doing the work ----------------------------------------------------------------------------------------

def perform(name: str, arguments: dict, attempt: int, last: bool) -> None:
    """Run one attempt of a job in the current app context and record its outcome; re-raises a failure (the
    runner retries it unless `last`), except a permanent `JobFailed`, which is the last attempt at once."""
    kind = REGISTRY[name]
    object_id = kind.object_id(arguments)
    mine = (Job.name == name) & (Job.object_type == kind.object_type) & (Job.object_id == object_id)
    try:
        kind.function(**arguments)
        db.session.execute(delete(Job).where(mine, Job.status == "pending"))
        db.session.commit()
        JOB_RUNS.labels(job=name, outcome="done").inc()
    except Exception as err:
        db.session.rollback()
        named = isinstance(err, JobFailed)
        last = last or (named and err.permanent)
        error = (err.message if named else f"{type(err).__name__}: {err}")[:ERROR_LENGTH]
        values = {"attempts": attempt, "error": error, "code": err.code if named else None}
        if last:
            values.update(status="failed", failed_at=utcnow())
        db.session.execute(update(Job).where(mine, or_(Job.status == "pending", Job.status == "failed"))
                           .values(**values))
        db.session.commit()
        JOB_RUNS.labels(job=name, outcome="failed" if last else "retry").inc()
        if last:
            JOB_FAILURES.labels(job=name).inc()
        log.warning("job %s %s failed (attempt %d%s): %s", name, object_id, attempt,
                    ", the last" if last else "", error)
        if not (named and err.permanent):
            raise
    finally:
        db.session.remove()


def retry_intervals(app: Flask) -> list[int]:
    return [int(seconds) for seconds in app.config["JOBS_RETRY_INTERVALS"]]


class InlineRunner:
    """Runs each job at once, in the committing thread, on a session of its own; retries without waiting."""

    def __init__(self, app: Flask):
        self.app = app

    def submit(self, name: str, arguments: dict) -> None:
        attempts = len(retry_intervals(self.app)) + 1
        for attempt in range(1, attempts + 1):
            with self.app.app_context():
                try:
                    perform(name, arguments, attempt, attempt == attempts)
                    return
                except Exception:  # noqa: S112  (recorded by `perform`; the next attempt follows)
                    continue

    def depth(self) -> int:
        return 0

    def drain(self, timeout: float = 30) -> bool:
        return True

    def stop(self, timeout: float = 30) -> bool:
        return True


class ThreadRunner:
    """One daemon thread working through a queue of jobs, each due at a time (retries wait their interval)."""

    def __init__(self, app: Flask):
        self.app = app
        self.condition = threading.Condition()
        self.due: list[tuple[float, int, str, dict, int]] = []  # (when, order, name, arguments, attempt)
        self.order = itertools.count()
        self.busy = False
        self.stopping = False
        self.thread: threading.Thread | None = None

    def submit(self, name: str, arguments: dict, attempt: int = 1, delay: float = 0) -> None:
        with self.condition:
            heapq.heappush(self.due, (time.monotonic() + delay, next(self.order), name, arguments, attempt))
            if self.thread is None or not self.thread.is_alive():
                self.stopping = False
                self.thread = threading.Thread(target=self.run, name="wijkstem-jobs", daemon=True)
                self.thread.start()
            self.condition.notify_all()

    def depth(self) -> int:
        with self.condition:
            return len(self.due) + self.busy

    def next_job(self):
        with self.condition:
            while not self.stopping:
                wait = self.due[0][0] - time.monotonic() if self.due else None
                if wait is not None and wait <= 0:
                    self.busy = True
                    return heapq.heappop(self.due)
                self.condition.wait(wait)
            return None

    def run(self) -> None:
        intervals = retry_intervals(self.app)
        while (item := self.next_job()) is not None:
            _when, _order, name, arguments, attempt = item
            last = attempt > len(intervals)
            try:
                with self.app.app_context():
                    perform(name, arguments, attempt, last)
            except Exception:
                if not last:
                    self.submit(name, arguments, attempt + 1, intervals[attempt - 1])
            finally:
                with self.condition:
                    self.busy = False
                    self.condition.notify_all()

    def drain(self, timeout: float = 30) -> bool:
        """Wait until every job queued so far (and its retries) is done; ``False`` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.due or self.busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(min(left, 0.05))
            return True

    def stop(self, timeout: float = 30) -> bool:
        """Stop after the job under way; jobs still queued stay pending in the database (`recover_stale`)."""
        with self.condition:
            self.stopping = True
            self.condition.notify_all()
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True


class RqRunner:
    """Hands jobs to RQ on `REDIS_URL`; `wijkstem worker` runs them (`server.jobs.worker`)."""

    def __init__(self, app: Flask):
        from redis import Redis  # reason: only a server with REDIS_URL set needs the redis package
        from rq import Queue

        self.app = app
        self.connection = Redis.from_url(app.config["REDIS_URL"])
        self.queue = Queue(app.config["JOBS_QUEUE"], connection=self.connection)

    def submit(self, name: str, arguments: dict) -> None:
        from rq import Retry  # reason: only a server with REDIS_URL set needs rq

        intervals = retry_intervals(self.app)
        self.queue.enqueue("server.jobs.worker.run_rq_job", name, arguments, job_timeout=self.app.config[
            "JOBS_TIMEOUT_SECONDS"], retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
            result_ttl=0, failure_ttl=7 * 24 * 3600)

    def depth(self) -> int:
        return self.queue.count + self.queue.scheduled_job_registry.count

    def drain(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while self.depth() or self.queue.started_job_registry.count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self, timeout: float = 30) -> bool:
        return True


RUNNERS = {"inline": InlineRunner, "thread": ThreadRunner, "rq": RqRunner}


def runner_name(app: Flask) -> str:
    """`JOBS_RUNNER` if set, else ``rq`` with `REDIS_URL` and ``thread`` without."""
    return app.config.get("JOBS_RUNNER") or ("rq" if app.config.get("REDIS_URL") else "thread")


def app_runner(app: Flask):
    """The app's runner (made once per app and process)."""
    runner = app.extensions.get(EXTENSION_KEY)
    if runner is None:
        runner = app.extensions[EXTENSION_KEY] = RUNNERS[runner_name(app)](app)
    return runner


def drain(app: Flask, timeout: float = 30) -> bool:
    """Wait for the app's queued jobs to finish (tests, and a server shutting down)."""
    return app_runner(app).drain(timeout)


def stop_runner(app: Flask, timeout: float = 30) -> None:
    runner = app.extensions.pop(EXTENSION_KEY, None)
    if runner is not None and not runner.stop(timeout):
        log.warning("a job was still running when the process stopped; it is queued again later")
