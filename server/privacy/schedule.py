"""The retention sweep as a periodic job (``retention``), so that no request ever pays for it.

The clock (`server.jobs.periodic`) queues it every `RETENTION_INTERVAL_SECONDS`, the first time
`RETENTION_FIRST_RUN_SECONDS` after the process started; 0 turns it off (run `wijkstem retention` from cron
instead). Without Redis it runs in the job thread of a `wijkstem serve` worker, with Redis in `wijkstem worker`.
Several processes may queue it at nearly the same moment: the `jobs` row keeps a second one out while the
first is pending, and a sweep is one transaction that the next one waits for (SQLite's writers' queue; a
PostgreSQL advisory lock, see `apply_retention`), and then finds nothing left to do.
"""

from ..jobs.queue import job
from .operations import apply_retention


@job("retention")
def retention_job() -> None:
    """One sweep; a failure is retried by the job runner, and the clock queues the next sweep anyway."""
    apply_retention()
