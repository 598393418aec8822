"""Resumable voice-note uploads: declare, append chunks at the server's offset, verify (flush, never commit)."""

import hashlib
import time

from flask import current_app
from sqlalchemy import delete, select

from ..campaigns.models import Campaign, CampaignVersion, Source
from ..database import insert_or_add
from ..errors import N_, ApiError
from ..extensions import db
from ..jobs.queue import forget as forget_jobs
from ..responses.models import ErasedResponse, Response
from ..responses.rules import tombstone_hash
from ..storage import delete_file, media_store, new_storage_name, write_at
from ..storage.after_commit import discard_parts_after_commit
from ..util import sha256_hex, utcnow
from .audio import ACCEPTED_CONTENT_TYPES, CONTAINER_TYPES, base_content_type, duration_ms, sniff_container
from .models import UploadAllowance, VoiceNote
from .timing import delete_timed_copy

DECLARED_FIELDS = ("response_id", "question_key", "size", "content_type", "sha256")


def declare_voice_note(data: dict, *, device=None, source=None, upload_key: str | None = None):
    """Create the note, or return the one already declared with the same id.

    :return: ``(note, created)``
    :raise ApiError 409: the id exists with another declaration or belongs to another sender.
    """
    declared = {"response_id": data["response_id"], "question_key": data["question"], "size": data["size"],
                "content_type": base_content_type(data["content_type"]), "sha256": data["sha256"]}
    note = db.session.get(VoiceNote, data["id"])
    if note is not None:
        check_owner(note, device, upload_key)
        if any(getattr(note, key) != value for key, value in declared.items()):
            raise ApiError(409, "voice_note_conflict",
                           N_("A different voice note with this id is already stored."), field="id")
        return note, False
    check_declaration(declared, data.get("duration_ms"))
    if db.session.get(ErasedResponse, tombstone_hash(data["response_id"])) is not None:
        raise ApiError(410, "response_erased", N_("Your answers and recordings have been erased."),
                       field="response_id")
    response = db.session.get(Response, data["response_id"])
    if response is not None and not sent_by(response, device, source):
        raise ApiError(404, "response_not_found", N_("This response was not found."), field="response_id")
    if response is not None and not response.consent_audio:
        raise ApiError(422, "audio_consent_required",
                       N_("Voice notes are only stored with consent for the recording."), field="response_id")
    check_voice_question(declared["question_key"], response, device, source)
    note = VoiceNote(id=data["id"], **declared, duration_ms=data.get("duration_ms"),
                     device_id=device.id if device else None, source_id=source.id if source else None,
                     upload_key_hash=sha256_hex(upload_key) if upload_key and device is None else None,
                     storage_name=new_storage_name("voice"))
    db.session.add(note)
    db.session.flush()
    return note, True


def sent_by(response: Response, device, source) -> bool:
    """Whether the declaring device (or anonymous flyer visitor) is the one that sent `response`."""
    if device is not None:
        return response.device_id == device.id
    return response.device_id is None and source is not None and response.source_id == source.id


def check_voice_question(key: str, response: Response | None, device, source) -> None:
    """Refuse a note for a question that is not in the campaign version, or that takes no voice.

    The version is the response's when it has arrived; before that, any published version of the flyer's
    campaign (anonymous visitors) or of the device's team's campaigns.
    :raise ApiError 422 voice_not_allowed:
    """
    query = select(CampaignVersion.definition)
    if response is not None:
        query = query.where(CampaignVersion.campaign_id == response.campaign_id,
                            CampaignVersion.number == response.campaign_version)
    elif source is not None:
        query = query.where(CampaignVersion.campaign_id == source.campaign_id)
    elif device is not None:
        query = query.join(Campaign, Campaign.id == CampaignVersion.campaign_id).where(
            Campaign.team_id == device.team_id)
        if getattr(device, "campaign_id", None) is not None:  # a phone lent for one campaign
            query = query.where(Campaign.id == device.campaign_id)
    else:
        query = None
    definitions = db.session.scalars(query) if query is not None else []
    if not any(question["key"] == key and question.get("voice", "allowed") != "off"
               for definition in definitions for question in definition.get("questions", [])):
        raise ApiError(422, "voice_not_allowed", N_("This question cannot be answered by voice."),
                       field="question")


def check_declaration(declared: dict, duration: int | None) -> None:
    config = current_app.config
    if declared["content_type"] not in ACCEPTED_CONTENT_TYPES:
        raise ApiError(415, "unsupported_audio", N_("This is not a supported audio recording."),
                       field="content_type")
    if declared["size"] > config["VOICE_MAX_BYTES"]:
        raise ApiError(413, "audio_too_large", N_("The recording is too large."), field="size")
    if duration is not None and duration > config["VOICE_MAX_SECONDS"] * 1000:
        raise ApiError(422, "audio_too_long", N_("The recording is too long."), field="duration_ms")


def check_owner(note: VoiceNote, device, upload_key: str | None) -> None:
    """Only the device (or anonymous holder of the upload key) that declared a note may touch it."""
    if device is not None:
        allowed = note.device_id == device.id
    else:
        allowed = note.upload_key_hash is not None and upload_key is not None and \
            note.upload_key_hash == sha256_hex(upload_key)
    if not allowed:
        raise ApiError(404, "voice_note_not_found", N_("This voice note was not found."))


def find_voice_note(note_id, *, device=None, upload_key: str | None = None, lock: bool = False) -> VoiceNote:
    """The note, checked against its owner; `lock` holds its row until the commit (one writer at a time)."""
    note = db.session.get(VoiceNote, note_id, with_for_update=lock or None)
    if note is None:
        raise ApiError(404, "voice_note_not_found", N_("This voice note was not found."))
    check_owner(note, device, upload_key)
    return note


def check_flyer_open(note: VoiceNote) -> None:
    """A visitor's note goes on only while its flyer does: revoked (or its campaign closed) after the note was
    declared, no more bytes are taken.

    :raise ApiError 410: the flyer was revoked or its campaign is no longer published.
    """
    if note.device_id is not None or note.source_id is None:
        return
    source = db.session.get(Source, note.source_id)
    if source.revoked_at is not None or source.campaign.state != "published":
        raise ApiError(410, "source_closed", N_("This poll has closed."), field="source")


def spend_upload_allowance(note: VoiceNote, address_key: str, size: int) -> None:
    """Count a visitor's chunk against the hourly caps of its address and its flyer
    (`VOICE_BYTES_PER_ADDRESS_HOUR`, `VOICE_BYTES_PER_FLYER_HOUR`).

    The counts are rows in the database, in the request's transaction, so every worker of the server counts
    in the same place, and a refused chunk (the transaction rolls back) counts for nothing.
    `address_key`: a keyed hash of the visitor's address, never the address itself.

    :raise ApiError 429: a cap is reached; ``Retry-After`` says when the hour ends.
    """
    config = current_app.config
    now = time.time()
    hour = int(now // 3600)
    for bucket, cap in ((f"address:{address_key}", config["VOICE_BYTES_PER_ADDRESS_HOUR"]),
                        (f"flyer:{note.source_id}", config["VOICE_BYTES_PER_FLYER_HOUR"])):
        used = db.session.execute(insert_or_add(UploadAllowance.__table__, {"bucket": bucket, "hour": hour,
                                                                          "bytes": size},
                                                ["bucket", "hour"], "bytes")).scalar_one()
        if used > cap:
            wait = max(1, int((hour + 1) * 3600 - now))
            raise ApiError(429, "upload_quota_exceeded",
                           N_("Too many requests; please wait a moment and try again."),
                           headers={"Retry-After": str(wait)}, retry_after=wait)


def forget_past_allowances(now: float | None = None) -> int:
    """Delete the upload counts of hours gone by (the retention sweep)."""
    hour = int((now or time.time()) // 3600)
    return db.session.execute(delete(UploadAllowance).where(UploadAllowance.hour < hour)).rowcount


def append_chunk(note: VoiceNote, offset: int, chunk: bytes) -> ApiError | None:
    """Write a chunk at `offset`; on the last one verify the whole note.

    Returns an ApiError to send *after* committing (a failed check resets the upload so the client
    can start over), or ``None`` on success.
    :raise ApiError 409: `offset` is not where the server is.
    """
    if note.state == "complete":
        return None  # already whole: acknowledge again, store nothing
    if offset != note.received_bytes:
        raise ApiError(409, "offset_mismatch", N_("The upload continues from another offset."),
                       field="Upload-Offset", headers={"Upload-Offset": str(note.received_bytes)},
                       offset=note.received_bytes)
    if offset + len(chunk) > note.size:
        raise ApiError(413, "upload_too_large", N_("More bytes were sent than declared."), field="body")
    write_at(note.storage_name, offset, chunk)
    note.received_bytes = offset + len(chunk)
    failure = finish_upload(note) if note.received_bytes == note.size else None
    db.session.flush()
    return failure


def finish_upload(note: VoiceNote) -> ApiError | None:
    """Verify checksum, container and length; reset the upload if any of them fails.

    The store puts the chunks together (S3: the parts every server wrote, `server.storage.s3`) and keeps the
    whole file only when the checks pass; the parts are cleared away after the commit.
    """
    try:
        with media_store().assembled(note.storage_name) as path:
            failure = checked_upload(note, path)
            if failure:
                raise DiscardUpload(failure)
            note.state, note.completed_at = "complete", utcnow()
    except DiscardUpload as discarded:
        delete_file(note.storage_name)
        note.received_bytes = 0
        return discarded.failure
    discard_parts_after_commit(db.session, note.storage_name)
    return None


class DiscardUpload(Exception):
    """Raised inside `assembled` so that the store keeps nothing of an upload that failed its checks."""

    def __init__(self, failure: ApiError):
        super().__init__(failure.code)
        self.failure = failure


def checked_upload(note: VoiceNote, path) -> ApiError | None:
    """Sha256, container and length of the whole upload at `path`; sets the note's container and length."""
    if file_sha256(path) != note.sha256:
        return ApiError(422, "checksum_mismatch", N_("The recording arrived damaged; it will be sent again."),
                        field="sha256")
    with path.open("rb") as audio:
        container = sniff_container(audio.read(4096))
    if container is None or ACCEPTED_CONTENT_TYPES[note.content_type] != container:
        return ApiError(415, "unsupported_audio", N_("This is not a supported audio recording."),
                        field="content_type")
    length = duration_ms(path, container)
    failure = check_length(length, note.size)
    if failure is None:
        note.container, note.duration_ms = container, length
    return failure


#: Bytes a container may hold beyond its audio (headers, tags, an index) before its length must explain them.
CONTAINER_ALLOWANCE = 64 * 1024


def check_length(length: int | None, size: int) -> ApiError | None:
    """The policy on the length the container records (`audio.duration_ms`): there must be one, within
    `VOICE_MAX_SECONDS`, and it must explain the file's size: at most `VOICE_MAX_BYTES_PER_SECOND` (plus
    `CONTAINER_ALLOWANCE`). A header that lies (a WAV whose byte rate says 50,000,000 bytes a second, so that
    8 MiB of noise "lasts" 0.2 s) is refused, and so is a file whose length cannot be read at all."""
    config = current_app.config
    if length is None:
        return ApiError(422, "audio_unreadable", N_("This is not a supported audio recording."), field="body")
    if length > config["VOICE_MAX_SECONDS"] * 1000:
        return ApiError(422, "audio_too_long", N_("The recording is too long."), field="duration_ms")
    if size > config["VOICE_MAX_BYTES_PER_SECOND"] * length / 1000 + CONTAINER_ALLOWANCE:
        return ApiError(422, "audio_implausible", N_("This is not a supported audio recording."), field="body")
    return None


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def voice_note_state(note: VoiceNote) -> dict:
    return {"id": str(note.id), "state": note.state, "offset": note.received_bytes, "size": note.size,
            "duration_ms": note.duration_ms}


def served_content_type(note: VoiceNote) -> str:
    return CONTAINER_TYPES.get(note.container or "", note.content_type)


def delete_voice_notes(notes) -> None:
    """Delete notes and their files (erasure, retention, refused consent), and their jobs."""
    notes = list(notes)
    for note in notes:
        delete_file(note.storage_name)
        if note.playback_name:
            delete_file(note.playback_name)
        delete_timed_copy(note)
        db.session.delete(note)
    forget_jobs("voice_note", [note.id for note in notes])
    db.session.flush()


def voice_notes_of(response_ids: list) -> list[VoiceNote]:
    return list(db.session.scalars(select(VoiceNote).where(VoiceNote.response_id.in_(response_ids))))
