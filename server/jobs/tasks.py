"""Every job, registered by importing the modules that define them (as `server.models` does for tables)."""

from ..exports import files as export_files  # noqa: F401  (export_file)
from ..privacy import schedule  # noqa: F401  (retention)
from ..results import jobs as results_jobs  # noqa: F401  (results_refresh)
from ..review import jobs as review_jobs  # noqa: F401  (transcription)
from ..review import playback  # noqa: F401  (playback_copy)
from ..voice import timing  # noqa: F401  (timed_copy)
from ..voicepacks import jobs as voicepack_jobs  # noqa: F401  (normalise_clip)
from .queue import REGISTRY

__all__ = ["REGISTRY"]
