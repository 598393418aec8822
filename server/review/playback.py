"""Voice notes that play, with a duration, in every current browser.

Chromium records WebM without a duration, and Safari does not play WebM or Ogg everywhere. A job
(``playback_copy``, `server.jobs`) makes a copy with ffmpeg once the upload is complete (or, for a note that
has none, when a coordinator first opens it; never inside a request): AAC in an MP4 container (``audio/mp4``),
with the index at the front so playback and seeking start at once; iPhone recordings (already AAC in MP4) are
only remuxed, without the empty repeated fragment WebKit's recorder writes at the end. The copy is kept beside
the recording and deleted with it. Until the copy is made, and without ffmpeg, the recording is served as it
came.
"""

import os
import subprocess
import uuid
from pathlib import Path

from ..database import reading_only
from ..extensions import db
from ..jobs.queue import enqueue, job
from ..storage import delete_file, media_path, new_storage_name
from ..voice.audio import duration_ms, without_orphan_fragments
from ..voice.models import VoiceNote
from ..voice.operations import served_content_type
from ..voice.timing import ffmpeg_binary

PLAYBACK_TYPE = "audio/mp4"
FFMPEG_SECONDS = 120


def ffmpeg_command(binary: str, source: Path, target: Path, container: str | None) -> list[str]:
    codec = ["-c:a", "copy"] if container == "mp4" else ["-c:a", "aac", "-b:a", "64k"]
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-vn",
            "-map_metadata", "-1", *codec, "-movflags", "+faststart", "-f", "mp4", str(target)]


class PlaybackCopyFailed(Exception):
    """ffmpeg could not make the copy (its message says why)."""


def ffmpeg_failure(err: Exception) -> str:
    """What went wrong, without the command (the server's paths): ffmpeg's status and its last words."""
    if isinstance(err, subprocess.TimeoutExpired):
        return f"ffmpeg took longer than {FFMPEG_SECONDS} s"
    if isinstance(err, subprocess.CalledProcessError):
        said = (err.stderr or b"").decode(errors="replace").strip()[-300:]
        return f"ffmpeg stopped with status {err.returncode}: {said}"
    return f"ffmpeg could not be run ({type(err).__name__})"


def make_playback_copy(storage_name: str, container: str | None) -> str | None:
    """Make a playable copy of the recording stored as `storage_name`; its storage name, or ``None`` when
    ffmpeg is missing.

    :raise PlaybackCopyFailed: ffmpeg failed or took too long.
    """
    binary = ffmpeg_binary()
    if binary is None:
        return None
    source = media_path(storage_name)
    name = new_storage_name("playback")
    target = media_path(name)
    partial = target.with_suffix(".partial")
    cleaned = target.with_suffix(".cleaned")
    try:
        if container == "mp4" and without_orphan_fragments(source, cleaned):
            source = cleaned  # WebKit's recording without its repeated, empty last fragment
        subprocess.run(ffmpeg_command(binary, source, partial, container), check=True,  # noqa: S603
                       capture_output=True, timeout=FFMPEG_SECONDS)
    except (subprocess.SubprocessError, OSError) as err:
        partial.unlink(missing_ok=True)
        raise PlaybackCopyFailed(ffmpeg_failure(err)) from err
    finally:
        cleaned.unlink(missing_ok=True)
    os.replace(partial, target)
    return name


def has_playback_copy(note: VoiceNote) -> bool:
    return bool(note.playback_name) and media_path(note.playback_name).exists()


def playable_file(note: VoiceNote) -> tuple[Path, str]:
    """The file to play and its content type: the copy when it has been made, else the original."""
    if has_playback_copy(note):
        return media_path(note.playback_name), note.playback_type
    return media_path(note.storage_name), served_content_type(note)


def needs_playback_copy(note: VoiceNote) -> bool:
    """A complete recording, still stored, without its copy, on a server that can make one."""
    return (note.state == "complete" and note.audio_deleted_at is None and not has_playback_copy(note)
            and ffmpeg_binary() is not None)


def ask_for_playback_copy(note: VoiceNote, campaign_id=None) -> bool:
    """Queue the ``playback_copy`` job for `note` if it needs one (once the transaction commits)."""
    if not needs_playback_copy(note):
        return False
    return enqueue("playback_copy", note_id=note.id, campaign_id=campaign_id, response_id=note.response_id)


@job("playback_copy", object_type="voice_note", key="note_id")
def playback_copy_job(note_id: str, campaign_id: str | None = None, response_id: str | None = None) -> None:
    """Make a voice note's playable copy; nothing to do when it is gone, deleted or has one. ffmpeg runs
    outside any transaction (on SQLite a transaction that may write holds the writers' turn)."""
    with reading_only():
        note = db.session.get(VoiceNote, uuid.UUID(note_id))
        source = (note.storage_name, note.container) if note is not None and needs_playback_copy(note) else None
    db.session.rollback()
    if source is None:
        return
    name = make_playback_copy(*source)
    if name is None:
        return
    note = db.session.get(VoiceNote, uuid.UUID(note_id))
    if note is None or note.audio_deleted_at is not None or note.storage_name != source[0]:
        delete_file(name)  # deleted (or uploaded again) while ffmpeg ran
        return
    note.playback_name, note.playback_type = name, PLAYBACK_TYPE
    if note.duration_ms is None:
        note.duration_ms = duration_ms(media_path(name), "mp4")
    db.session.flush()


EXTENSIONS = {"audio/mp4": "m4a", "audio/webm": "webm", "audio/ogg": "ogg", "audio/wav": "wav"}


def file_extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")
