"""Server processes that tests start in a process group of their own (`start_new_session=True`)."""

import os
import signal
import subprocess


def stop_group(process: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM the process's group (a gunicorn master and its workers), SIGKILL it if it does not end in time."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
