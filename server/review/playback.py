"""Voice notes that play, with a duration, in every current browser.

Chromium records WebM without a duration, and Safari does not play WebM or Ogg everywhere. A job
(``playback_copy``, `server.jobs`) makes a copy with ffmpeg once the upload is complete (or, for a note that
has none, when a coordinator first opens it; never inside a request): AAC in an MP4 container (``audio/mp4``),
with the index at the front so playback and seeking start at once; iPhone recordings (already AAC in MP4) are
only remuxed, without the empty repeated fragment WebKit's recorder writes at the end. ffmpeg works on local
files: the job fetches the recording from the store (`server.storage`: the local folder or S3) into a scratch
folder and stores the copy from there, beside the recording; it is deleted with it. Until the copy is made, and
without ffmpeg, the recording is served as it came.
"""

import subprocess
import tempfile
import uuid
from pathlib import Path

from ..database import reading_only
from ..extensions import db
from ..jobs.queue import enqueue, job
from ..storage import delete_file, media_store, new_storage_name
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


def make_playback_copy(storage_name: str, container: str | None) -> tuple[str, int | None] | None:
    """Make a playable copy of the recording stored as `storage_name` and store it: its storage name and its
    length (ms), or ``None`` when ffmpeg is missing.

    The recording is copied out of the store (`local_copy`: on S3 a download, on the local folder the file
    itself), ffmpeg writes into a scratch folder, and the copy's length is read before it is stored.

    :raise PlaybackCopyFailed: ffmpeg failed or took too long.
    :raise FileNotFoundError: the store has no such recording.
    """
    binary = ffmpeg_binary()
    if binary is None:
        return None
    store = media_store()
    with tempfile.TemporaryDirectory(prefix="wijkstem-playback-") as scratch, \
            store.local_copy(storage_name) as source:
        target, cleaned = Path(scratch) / "copy.m4a", Path(scratch) / "cleaned.m4a"
        try:
            if container == "mp4" and without_orphan_fragments(source, cleaned):
                source = cleaned  # WebKit's recording without its repeated, empty last fragment
            subprocess.run(ffmpeg_command(binary, source, target, container), check=True,  # noqa: S603
                           capture_output=True, timeout=FFMPEG_SECONDS)
        except (subprocess.SubprocessError, OSError) as err:
            raise PlaybackCopyFailed(ffmpeg_failure(err)) from err
        length = duration_ms(target, "mp4")
        name = new_storage_name("playback")
        store.put_file(name, target)
    return name, length


def has_playback_copy(note: VoiceNote) -> bool:
    return bool(note.playback_name) and media_store().size(note.playback_name) is not None


def playable_file(note: VoiceNote) -> tuple[str, str]:
    """The stored file to play (its storage name, for `send_stored`) and its content type: the copy when it
    has been made, else the original."""
    if has_playback_copy(note):
        return note.playback_name, note.playback_type
    return note.storage_name, served_content_type(note)


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
    try:
        made = make_playback_copy(*source)
    except FileNotFoundError:
        return  # the recording left the store (erasure, retention) after it was read: nothing to play
    if made is None:
        return
    name, length = made
    note = db.session.get(VoiceNote, uuid.UUID(note_id))
    if note is None or note.audio_deleted_at is not None or note.storage_name != source[0]:
        delete_file(name)  # deleted (or uploaded again) while ffmpeg ran
        return
    note.playback_name, note.playback_type = name, PLAYBACK_TYPE
    if note.duration_ms is None:
        note.duration_ms = length
    db.session.flush()


EXTENSIONS = {"audio/mp4": "m4a", "audio/webm": "webm", "audio/ogg": "ogg", "audio/wav": "wav"}


def file_extension(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")
