"""Background jobs: slow work (playback copies, transcription, retention, results refresh) out of requests.

One interface, `enqueue(job_name, **kwargs)` (`queue.py`): with `REDIS_URL` set the job goes to RQ and
`wijkstem worker` runs it; without (the embedded default) a thread of the server process runs it. Each job
kind is registered in its domain with `@job(...)`; `tasks.py` imports them all. A job's row in `jobs`
(`models.py`) says it is pending, or that it failed for good (error, attempts, when): the workspace shows it
with a retry button (`views.py`).
"""
