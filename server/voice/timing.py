"""A voice note's timed copy: the recording remuxed, without re-encoding, so that its header states how long it
plays (MediaRecorder's WebM has no ``Duration``; WebKit's fragmented MP4 a zero one), for every player a
downloaded or exported file ends up in.

The original stays as the phone sent it (its sha256 is the one declared); the copy is a derived file beside it,
made where an upload completes, and deleted with the recording. Without ffmpeg, or when the copy would not play
as long as the original, there is none and the original is used.
"""

import logging
import os
import shutil
import subprocess
from pathlib import Path

from flask import current_app

from ..storage import delete_file, media_path, new_storage_name
from .audio import duration_ms, states_duration, without_orphan_fragments
from .models import VoiceNote

log = logging.getLogger(__name__)
FFMPEG_SECONDS = 120
#: How far the copy's length may stray from the original's (a frame of Opus or AAC, and rounding).
TOLERANCE_MS = 100
#: The format each container is remuxed into (the same container: only the header changes).
FORMATS = {"webm": ["-f", "webm"], "mp4": ["-movflags", "+faststart", "-f", "mp4"]}


def ffmpeg_binary() -> str | None:
    """The configured ffmpeg if it can be run, else ``None``."""
    binary = current_app.config.get("FFMPEG_BINARY")
    if not binary:
        return None
    return shutil.which(binary)


def needs_timed_copy(note: VoiceNote) -> bool:
    return note.container in FORMATS and not states_duration(media_path(note.storage_name), note.container)


def remux_command(binary: str, source: Path, target: Path, container: str) -> list[str]:
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-map", "0:a",
            "-map_metadata", "-1", "-c", "copy", *FORMATS[container], str(target)]


def make_timed_copy(note: VoiceNote) -> bool:
    """Make `note`'s timed copy where its file states no duration (idempotent); whether it has one now.

    Callable from anywhere with an app context (the upload's completion today); only the note's
    ``timed_name`` changes (flush, never commit).
    """
    if note.timed_name and media_path(note.timed_name).exists():
        return True
    binary = ffmpeg_binary()
    if binary is None or note.state != "complete" or note.audio_deleted_at or not needs_timed_copy(note):
        return False
    source = media_path(note.storage_name)
    name = new_storage_name("voice")
    target = media_path(name)
    partial, cleaned = target.with_suffix(".partial"), target.with_suffix(".cleaned")
    try:
        if note.container == "mp4" and without_orphan_fragments(source, cleaned):
            source = cleaned  # WebKit's recording without its repeated, empty last fragment
        subprocess.run(remux_command(binary, source, partial, note.container), check=True,  # noqa: S603
                       capture_output=True, timeout=FFMPEG_SECONDS)
        if not plays_as_long(partial, note):
            raise OSError("the remuxed copy does not play as long as the recording")
    except (subprocess.SubprocessError, OSError) as err:
        log.warning("ffmpeg could not remux voice note %s: %s", note.id, err)
        partial.unlink(missing_ok=True)
        return False
    finally:
        cleaned.unlink(missing_ok=True)
    os.replace(partial, target)
    note.timed_name = name
    return True


def plays_as_long(copy: Path, note: VoiceNote) -> bool:
    """The copy states its duration, and what its audio adds up to is the original's."""
    length = duration_ms(copy, note.container)
    return states_duration(copy, note.container) and length is not None \
        and abs(length - (note.duration_ms or 0)) <= TOLERANCE_MS


def delete_timed_copy(note: VoiceNote) -> None:
    if note.timed_name:
        delete_file(note.timed_name)
    note.timed_name = None


def stored_file(note: VoiceNote) -> Path:
    """The file to hand out as the recording: the timed copy where there is one, else the original."""
    if note.timed_name and media_path(note.timed_name).exists():
        return media_path(note.timed_name)
    return media_path(note.storage_name)
