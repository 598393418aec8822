"""Voice notes that play, with a duration, in every current browser.

Chromium records WebM without a duration, and Safari does not play WebM or Ogg everywhere. On first play a
copy is made with ffmpeg: AAC in an MP4 container (``audio/mp4``), with the index at the front so playback and
seeking start at once; iPhone recordings (already AAC in MP4) are only remuxed, without the empty repeated
fragment WebKit's recorder writes at the end. The copy is kept beside the
recording (in the same store) and deleted with it. Without ffmpeg the recording is served as it came.
"""

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import current_app

from ..storage import media_store, new_storage_name
from ..voice.audio import duration_ms, without_orphan_fragments
from ..voice.models import VoiceNote
from ..voice.operations import served_content_type

log = logging.getLogger(__name__)
PLAYBACK_TYPE = "audio/mp4"
FFMPEG_SECONDS = 120


def ffmpeg_binary() -> str | None:
    """The configured ffmpeg if it can be run, else ``None``."""
    binary = current_app.config.get("FFMPEG_BINARY")
    if not binary:
        return None
    return shutil.which(binary)


def ffmpeg_command(binary: str, source: Path, target: Path, container: str | None) -> list[str]:
    codec = ["-c:a", "copy"] if container == "mp4" else ["-c:a", "aac", "-b:a", "64k"]
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-vn",
            "-map_metadata", "-1", *codec, "-movflags", "+faststart", "-f", "mp4", str(target)]


def make_playback_copy(note: VoiceNote) -> bool:
    """Make (once) the playable copy of `note` and store it; ``False`` when ffmpeg is missing or fails.

    ffmpeg reads and writes local files: the recording is fetched from the store into a scratch folder first
    (S3), the copy stored from there."""
    binary = ffmpeg_binary()
    if binary is None:
        return False
    store = media_store()
    with tempfile.TemporaryDirectory(prefix="wijkstem-playback-") as scratch, \
            store.local_copy(note.storage_name) as source:
        target, cleaned = Path(scratch) / "copy.m4a", Path(scratch) / "cleaned.m4a"
        if note.container == "mp4" and without_orphan_fragments(source, cleaned):
            source = cleaned  # WebKit's recording without its repeated, empty last fragment
        try:
            subprocess.run(ffmpeg_command(binary, source, target, note.container), check=True,  # noqa: S603
                           capture_output=True, timeout=FFMPEG_SECONDS)
        except (subprocess.SubprocessError, OSError) as err:
            log.warning("ffmpeg could not convert voice note %s: %s", note.id, err)
            return False
        length = duration_ms(target, "mp4") if note.duration_ms is None else note.duration_ms
        name = new_storage_name("playback")
        store.put_file(name, target)
    note.playback_name, note.playback_type = name, PLAYBACK_TYPE
    note.duration_ms = length
    return True


def playable_file(note: VoiceNote) -> tuple[str, str]:
    """The stored file to play and its content type: the copy when there is (or can be made) one, else the
    recording as it came."""
    if note.playback_name and media_store().size(note.playback_name) is not None:
        return note.playback_name, note.playback_type
    try:
        if make_playback_copy(note):
            return note.playback_name, note.playback_type
    except FileNotFoundError:
        pass  # the recording is not in the store: `send_stored` says so
    return note.storage_name, served_content_type(note)


EXTENSIONS = {"audio/mp4": "m4a", "audio/webm": "webm", "audio/ogg": "ogg", "audio/wav": "wav"}


def file_extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")
