"""``transcription``: a voice note written down by the configured backend, in the background (never inside a
request: a backend may take minutes, or be down). The response page says it is under way, or that it failed."""

import uuid
from contextlib import ExitStack

from ..database import reading_only
from ..extensions import db
from ..jobs.queue import job
from ..storage import media_store
from ..themes.operations import relocate_fragments
from ..voice.models import VoiceNote
from .transcription import TranscriptionFailed, configured_backend


@job("transcription", object_type="voice_note", key="note_id")
def transcription_job(note_id: str, language: str | None = None, campaign_id: str | None = None,
                      response_id: str | None = None) -> None:
    """Ask the backend for the note's transcript; nothing to do when the note or its recording is gone. The
    backend reads a local file: the store hands one out (`local_copy`), whichever storage holds the recording.

    :raise TranscriptionFailed: no backend is set up any more, or it failed (the runner retries).
    """
    with reading_only():
        note = db.session.get(VoiceNote, uuid.UUID(note_id))
        source = (note.storage_name, note.content_type) if note and note.audio_deleted_at is None else None
    db.session.rollback()  # no transaction (on SQLite: no writers' turn) while the backend listens
    if source is None:
        return
    backend = configured_backend()
    if backend is None:
        raise TranscriptionFailed("automatic transcription is no longer set up on this server")
    with ExitStack() as stack:
        try:  # on S3 a download to a private scratch file, deleted afterwards
            path = stack.enter_context(media_store().local_copy(source[0]))
        except FileNotFoundError:
            return  # the recording left the store (erasure, retention) after it was read: nothing to write down
        result = backend.transcribe(path, source[1], language)
    note = db.session.get(VoiceNote, uuid.UUID(note_id))
    if note is None or note.audio_deleted_at is not None:
        return
    note.transcript, note.transcript_source = result.text, backend.name
    relocate_fragments("transcript", note.transcript, voice_note_id=note.id)
    db.session.flush()
