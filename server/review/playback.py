"""Voice notes that play, with a duration, in every current browser.

Chromium records WebM without a duration, and Safari does not play WebM or Ogg everywhere. On first play a
copy is made with ffmpeg: AAC in an MP4 container (``audio/mp4``), with the index at the front so playback and
seeking start at once; iPhone recordings (already AAC in MP4) are only remuxed, without the empty repeated
fragment WebKit's recorder writes at the end. The copy is kept beside the
recording and deleted with it. Without ffmpeg the recording is served as it came.
"""

import logging
import os
import subprocess
from pathlib import Path

from ..storage import media_path, new_storage_name
from ..voice.audio import duration_ms, without_orphan_fragments
from ..voice.models import VoiceNote
from ..voice.operations import served_content_type
from ..voice.timing import ffmpeg_binary

log = logging.getLogger(__name__)
PLAYBACK_TYPE = "audio/mp4"
FFMPEG_SECONDS = 120


def ffmpeg_command(binary: str, source: Path, target: Path, container: str | None) -> list[str]:
    codec = ["-c:a", "copy"] if container == "mp4" else ["-c:a", "aac", "-b:a", "64k"]
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-vn",
            "-map_metadata", "-1", *codec, "-movflags", "+faststart", "-f", "mp4", str(target)]


def make_playback_copy(note: VoiceNote) -> bool:
    """Make (once) the playable copy of `note`; ``False`` when ffmpeg is missing or fails."""
    binary = ffmpeg_binary()
    if binary is None:
        return False
    source = media_path(note.storage_name)
    name = new_storage_name("playback")
    target = media_path(name)
    partial = target.with_suffix(".partial")
    cleaned = target.with_suffix(".cleaned")
    try:
        if note.container == "mp4" and without_orphan_fragments(source, cleaned):
            source = cleaned  # WebKit's recording without its repeated, empty last fragment
        subprocess.run(ffmpeg_command(binary, source, partial, note.container), check=True,  # noqa: S603
                       capture_output=True, timeout=FFMPEG_SECONDS)
    except (subprocess.SubprocessError, OSError) as err:
        log.warning("ffmpeg could not convert voice note %s: %s", note.id, err)
        partial.unlink(missing_ok=True)
        return False
    finally:
        cleaned.unlink(missing_ok=True)
    os.replace(partial, target)
    note.playback_name, note.playback_type = name, PLAYBACK_TYPE
    if note.duration_ms is None:
        note.duration_ms = duration_ms(target, "mp4")
    return True


def playable_file(note: VoiceNote) -> tuple[Path, str]:
    """The file to play and its content type: the copy when there is (or can be made) one, else the original."""
    if note.playback_name and media_path(note.playback_name).exists():
        return media_path(note.playback_name), note.playback_type
    if make_playback_copy(note):
        return media_path(note.playback_name), note.playback_type
    return media_path(note.storage_name), served_content_type(note)


EXTENSIONS = {"audio/mp4": "m4a", "audio/webm": "webm", "audio/ogg": "ogg", "audio/wav": "wav"}


def file_extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")
