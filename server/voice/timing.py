"""A voice note's timed copy: the recording remuxed, without re-encoding, so that its header states how long it
plays (MediaRecorder's WebM has no ``Duration``; WebKit's fragmented MP4 a zero one), for every player a
downloaded or exported file ends up in.

The original stays as the phone sent it (its sha256 is the one declared); the copy is a derived file beside it
in the same store (`server.storage`: the local folder or S3), made by the ``timed_copy`` job once an upload has
completed (never inside the upload's request: ffmpeg may take a second on a long note), and deleted with the
recording. ffmpeg writes into a private scratch folder; the copy is stored from there (`put_file`). Until the
copy exists, without ffmpeg, or when the copy would not play as long as the original, the original is used.
"""

import logging
import shutil
import subprocess
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

from flask import current_app

from ..database import reading_only
from ..extensions import db
from ..jobs.queue import enqueue, job
from ..storage import delete_file, media_store, new_storage_name
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


class Recording(NamedTuple):
    """What remuxing needs to know of a note, read in a transaction that ends before ffmpeg starts."""

    id: uuid.UUID
    storage_name: str
    container: str
    duration_ms: int | None


def needs_timed_copy(note: VoiceNote | Recording, source: Path) -> bool:
    """The recording (a local file at `source`) is in a container whose header can state a duration, and does
    not."""
    return note.container in FORMATS and not states_duration(source, note.container)


def has_timed_copy(note: VoiceNote) -> bool:
    return bool(note.timed_name) and media_store().size(note.timed_name) is not None


def remux_command(binary: str, source: Path, target: Path, container: str) -> list[str]:
    return [binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), "-map", "0:a",
            "-map_metadata", "-1", "-c", "copy", *FORMATS[container], str(target)]


def make_timed_copy(note: VoiceNote, source: Path | None = None) -> bool:
    """Make `note`'s timed copy where its file states no duration (idempotent); whether it has one now.

    `source` is the recording as a local file when the caller has one; without it the recording is copied out
    of the store. Runs ffmpeg where it is called (the ``timed_copy`` job does the same outside a transaction);
    only the note's ``timed_name`` changes (flush, never commit).
    """
    if has_timed_copy(note):
        return True
    binary = ffmpeg_binary()
    if binary is None or note.state != "complete" or note.audio_deleted_at or note.container not in FORMATS:
        return False
    with ExitStack() as stack:
        if source is None:
            try:
                source = stack.enter_context(media_store().local_copy(note.storage_name))
            except FileNotFoundError:
                return False  # the recording is no longer stored
        if not needs_timed_copy(note, source):
            return False
        name = remux_into_store(binary, note, source)
    if name is None:
        return False
    note.timed_name = name
    return True


def may_have_timed_copy(note: VoiceNote) -> bool:
    """A whole, stored recording in a container a timed copy is made for, which has none yet."""
    return (note.state == "complete" and note.audio_deleted_at is None and note.container in FORMATS
            and not has_timed_copy(note))


def ask_for_timed_copy(note: VoiceNote, campaign_id=None) -> bool:
    """Queue the ``timed_copy`` job for a note whose upload has just completed (once the transaction commits);
    filed under its campaign when its response has arrived."""
    if ffmpeg_binary() is None or not may_have_timed_copy(note):
        return False
    if campaign_id is None:
        return enqueue("timed_copy", note_id=note.id)
    return enqueue("timed_copy", note_id=note.id, campaign_id=campaign_id, response_id=note.response_id)


@job("timed_copy", object_type="voice_note", key="note_id")
def timed_copy_job(note_id: str, campaign_id: str | None = None, response_id: str | None = None) -> None:
    """Make a completed note's timed copy; nothing to do when it is gone, deleted, states its length or has a
    copy. ffmpeg runs outside any transaction (on SQLite a transaction that may write holds the writers' turn)."""
    binary = ffmpeg_binary()
    with reading_only():
        note = db.session.get(VoiceNote, uuid.UUID(note_id))
        wanted = binary is not None and note is not None and may_have_timed_copy(note)
        recording = Recording(note.id, note.storage_name, note.container, note.duration_ms) if wanted else None
    db.session.rollback()
    if recording is None:
        return
    try:
        with media_store().local_copy(recording.storage_name) as source:
            name = remux_into_store(binary, recording, source) if needs_timed_copy(recording, source) else None
    except FileNotFoundError:
        return  # the recording left the store (erasure, retention) after it was read
    if name is None:
        return
    note = db.session.get(VoiceNote, recording.id)
    if note is None or note.audio_deleted_at is not None or note.storage_name != recording.storage_name \
            or note.timed_name:
        delete_file(name)  # deleted, uploaded again or copied meanwhile
        return
    note.timed_name = name
    db.session.flush()


def remux_into_store(binary: str, note: VoiceNote | Recording, source: Path) -> str | None:
    """Remux `source` in a scratch folder and store the copy if it plays as long as the note: its name."""
    with tempfile.TemporaryDirectory(prefix="wijkstem-timed-") as scratch:
        target, cleaned = Path(scratch) / "timed", Path(scratch) / "cleaned"
        try:
            if note.container == "mp4" and without_orphan_fragments(source, cleaned):
                source = cleaned  # WebKit's recording without its repeated, empty last fragment
            subprocess.run(remux_command(binary, source, target, note.container), check=True,  # noqa: S603
                           capture_output=True, timeout=FFMPEG_SECONDS)
            if not plays_as_long(target, note):
                raise OSError("the remuxed copy does not play as long as the recording")
        except (subprocess.SubprocessError, OSError) as err:
            log.warning("ffmpeg could not remux voice note %s: %s", note.id, err)
            return None
        name = new_storage_name("voice")
        media_store().put_file(name, target)
    return name


def plays_as_long(copy: Path, note: VoiceNote | Recording) -> bool:
    """The copy states its duration, and what its audio adds up to is the original's."""
    length = duration_ms(copy, note.container)
    return states_duration(copy, note.container) and length is not None \
        and abs(length - (note.duration_ms or 0)) <= TOLERANCE_MS


def delete_timed_copy(note: VoiceNote) -> None:
    if note.timed_name:
        delete_file(note.timed_name)
    note.timed_name = None


def stored_file(note: VoiceNote) -> tuple[str, int] | None:
    """The stored file to hand out as the recording and its size: the timed copy where there is one, else the
    original; ``None`` when the store holds neither."""
    store = media_store()
    for name in (note.timed_name, note.storage_name):
        size = store.size(name) if name else None
        if size is not None:
            return name, size
    return None
