"""Resumable voice-note uploads: declare, append chunks at the server's offset, verify (flush, never commit)."""

import hashlib

from flask import current_app
from sqlalchemy import select

from ..campaigns.models import Campaign, CampaignVersion
from ..errors import N_, ApiError
from ..extensions import db
from ..responses.models import Response
from ..storage import delete_file, media_path, new_storage_name, write_at
from ..util import sha256_hex, utcnow
from .audio import ACCEPTED_CONTENT_TYPES, CONTAINER_TYPES, base_content_type, duration_ms, sniff_container
from .models import VoiceNote

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
    """Verify checksum, container and length; reset the upload if any of them fails."""
    path = media_path(note.storage_name)
    failure = None
    if file_sha256(path) != note.sha256:
        failure = ApiError(422, "checksum_mismatch", N_("The recording arrived damaged; it will be sent again."),
                           field="sha256")
    else:
        with path.open("rb") as audio:
            container = sniff_container(audio.read(4096))
        if container is None or ACCEPTED_CONTENT_TYPES[note.content_type] != container:
            failure = ApiError(415, "unsupported_audio", N_("This is not a supported audio recording."),
                               field="content_type")
        else:
            length = duration_ms(path, container) or note.duration_ms
            if length is not None and length > current_app.config["VOICE_MAX_SECONDS"] * 1000:
                failure = ApiError(422, "audio_too_long", N_("The recording is too long."), field="duration_ms")
            note.container, note.duration_ms = container, length
    if failure:
        delete_file(note.storage_name)
        note.received_bytes = 0
        return failure
    note.state, note.completed_at = "complete", utcnow()
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
    """Delete notes and their files (erasure, retention, refused consent)."""
    for note in notes:
        delete_file(note.storage_name)
        if note.playback_name:
            delete_file(note.playback_name)
        db.session.delete(note)
    db.session.flush()


def voice_notes_of(response_ids: list) -> list[VoiceNote]:
    return list(db.session.scalars(select(VoiceNote).where(VoiceNote.response_id.in_(response_ids))))
