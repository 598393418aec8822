"""Resumable voice-note upload: POST declares, HEAD tells the offset, PATCH appends."""

import re

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from sqlalchemy.orm.exc import ObjectDeletedError

from ..campaigns.models import Source
from ..devices.auth import optional_device
from ..errors import N_, ApiError, error_response
from ..extensions import db
from ..metrics import UPLOAD_BYTES
from ..ratelimits import anonymous_rate_limit
from ..responses.models import Response
from ..review.playback import ask_for_playback_copy
from ..util import normalise_code, sha256_hex
from ..validation import load_json
from .operations import (
    append_chunk,
    check_flyer_open,
    declare_voice_note,
    find_voice_note,
    spend_upload_allowance,
    voice_note_state,
)
from .schemas import declaration_schema
from .timing import ask_for_timed_copy

voice_blueprint = Blueprint("voice", __name__, url_prefix="/v1/voice-notes")
CHUNK_TYPES = ("application/offset+octet-stream", "application/octet-stream")
#: ASCII digits only (`str.isdigit` also takes "²"), short enough for `int`.
OFFSET = re.compile(r"[0-9]{1,12}")


def upload_key() -> str | None:
    """Anonymous visitors prove a note is theirs with a random key they made (header, never the URL)."""
    key = request.headers.get("Upload-Key", "").strip()
    return key if 22 <= len(key) <= 128 else None


def address_key() -> str:
    """The visitor's address as the upload caps count it: keyed with the secret key, so the table of counts
    tells no one which addresses uploaded."""
    return sha256_hex(f"{current_app.secret_key}:{get_remote_address()}")[:64]


def state_reply(note, status: int = 200):
    """The note's state as a reply; made *before* the commit. After it the note's attributes would be read
    again, and a sync that deleted the note meanwhile (its response came without audio consent) made that a
    500 (`ObjectDeletedError`, issue 11): the reply tells the state this request committed."""
    response = jsonify(voice_note_state(note))
    response.status_code = status
    response.headers["Upload-Offset"] = str(note.received_bytes)
    response.headers["Upload-Length"] = str(note.size)
    response.headers["Cache-Control"] = "no-store"
    return response


@voice_blueprint.errorhandler(ObjectDeletedError)
def note_deleted_meanwhile(_error):
    """A note deleted by a concurrent request while this one used it (a sync that refused its audio, an
    erasure): it is not found, as it would be a moment later."""
    return error_response(ApiError(404, "voice_note_not_found", N_("This voice note was not found.")))


@voice_blueprint.before_request
def authenticate():
    g.device = optional_device()
    if g.device is None and upload_key() is None:
        raise ApiError(401, "upload_key_required",
                       N_("Send an enrolled device's token or an upload key of at least 22 characters."),
                       field="Upload-Key")


@voice_blueprint.post("")
@anonymous_rate_limit
def declare():
    """Announce a note (id, size, type, sha256); repeated declarations return its current offset."""
    data = load_json(declaration_schema)
    source = None
    if g.device is None:
        source = db.session.scalars(select(Source).where(Source.code == normalise_code(data["source"] or ""))).first()
        if source is None or source.kind != "flyer":  # a door-to-door team's code is for enrolled devices
            raise ApiError(422, "source_required", N_("Answers without a device need a flyer code."),
                           field="source")
        if source.revoked_at is not None or source.campaign.state != "published":
            raise ApiError(410, "source_closed", N_("This poll has closed."), field="source")
    note, created = declare_voice_note(data, device=g.device, source=source, upload_key=upload_key())
    reply = state_reply(note, 201 if created else 200)
    db.session.commit()
    return reply


@voice_blueprint.route("/<uuid:note_id>", methods=["HEAD", "GET"])
@anonymous_rate_limit
def offset(note_id):
    note = find_voice_note(note_id, device=g.device, upload_key=upload_key())
    reply = state_reply(note)
    db.session.commit()
    return reply


@voice_blueprint.patch("/<uuid:note_id>")
@anonymous_rate_limit
def upload_chunk(note_id):
    """Append the body at `Upload-Offset`; the last chunk completes and verifies the note."""
    if request.mimetype not in CHUNK_TYPES:
        raise ApiError(415, "chunk_type_required", N_("Send the bytes as application/offset+octet-stream."))
    declared = request.headers.get("Upload-Offset", "")
    if not OFFSET.fullmatch(declared):
        raise ApiError(400, "offset_required", N_("Say where the chunk starts in Upload-Offset."),
                       field="Upload-Offset")
    chunk = request.get_data(cache=False)
    if len(chunk) > current_app.config["VOICE_MAX_CHUNK"]:
        raise ApiError(413, "chunk_too_large", N_("Send the recording in smaller chunks."), field="body")
    note = find_voice_note(note_id, device=g.device, upload_key=upload_key(), lock=True)
    if g.device is None and note.state != "complete":
        check_flyer_open(note)
        spend_upload_allowance(note, address_key(), len(chunk))
    was_complete = note.state == "complete"
    failure = append_chunk(note, int(declared), chunk)
    if not failure and not was_complete and note.state == "complete":
        # copies made by jobs once this commits; a note that came before its response waits for it (its response
        # may refuse audio consent), and gets its playable copy when a coordinator first opens the response
        campaign_id = db.session.scalar(select(Response.campaign_id).where(Response.id == note.response_id))
        ask_for_timed_copy(note, campaign_id)
        if campaign_id is not None:
            ask_for_playback_copy(note, campaign_id)
    reply = None if failure else state_reply(note)
    db.session.commit()
    UPLOAD_BYTES.inc(len(chunk))
    if failure:
        failure.headers["Upload-Offset"] = "0"
        raise failure
    return reply
