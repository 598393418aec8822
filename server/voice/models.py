"""Voice notes: recordings that upload in resumable chunks."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

VOICE_STATES = ("uploading", "complete")


class VoiceNote(db.Model):
    """A recording for one question of one response; may arrive before or after its response."""

    __tablename__ = "voice_notes"

    #: Client-made UUIDv7.
    id = db.Column(db.Uuid, primary_key=True)
    #: The response it belongs to (no foreign key: the response may come later).
    response_id = db.Column(db.Uuid, nullable=False, index=True)
    #: The question it answers.
    question_key = db.Column(db.String(64), nullable=False)
    #: Who uploads it: a device, or an anonymous visitor holding the upload key.
    device_id = db.Column(db.Uuid, db.ForeignKey("devices.id"), nullable=True)
    source_id = db.Column(db.Integer, db.ForeignKey("sources.id"), nullable=True)
    upload_key_hash = db.Column(db.String(64), nullable=True)
    #: What the client declared: total size, content type and sha256.
    size = db.Column(db.Integer, nullable=False)
    content_type = db.Column(db.String(64), nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    #: Duration in milliseconds (from the container where it tells, else as declared).
    duration_ms = db.Column(db.Integer, nullable=True)
    #: Bytes stored so far; the resumable upload's offset.
    received_bytes = db.Column(db.Integer, nullable=False, default=0)
    #: ``uploading`` or ``complete``.
    state = db.Column(db.String(16), nullable=False, default="uploading")
    #: Container found by sniffing the bytes: webm, ogg, mp4 or wav.
    container = db.Column(db.String(8), nullable=True)
    #: Server-made file name under the media folder.
    storage_name = db.Column(db.String(128), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    completed_at = db.Column(UTCDateTime, nullable=True)
    #: A copy that plays in every browser with a known duration (made on first play), and its type.
    playback_name = db.Column(db.String(128), nullable=True)
    playback_type = db.Column(db.String(64), nullable=True)
    #: The recording remuxed (same codec and container) so that its header states its duration, where the
    #: phone's file states none (MediaRecorder's WebM); made when the upload completes (`timing.py`).
    timed_name = db.Column(db.String(128), nullable=True)
    #: When the recording itself was deleted (retention); the transcript is kept.
    audio_deleted_at = db.Column(UTCDateTime, nullable=True)
    #: What was said, as written down by the team or a transcription backend, and its translation.
    transcript = db.Column(db.Text, nullable=True)
    translation = db.Column(db.Text, nullable=True)
    #: Who made the transcript: ``manual`` or a backend's name.
    transcript_source = db.Column(db.String(64), nullable=True)


class UploadAllowance(db.Model):
    """Bytes of voice notes that anonymous flyer visitors uploaded in one hour, per address and per flyer
    (`VOICE_BYTES_PER_ADDRESS_HOUR`, `VOICE_BYTES_PER_FLYER_HOUR`). In the database, so that every worker of the
    server counts in the same place; rows of past hours are deleted by the retention sweep."""

    __tablename__ = "upload_allowances"

    #: ``address:<keyed hash of the address>`` or ``flyer:<source id>``; never the address itself.
    bucket = db.Column(db.String(80), primary_key=True)
    #: The hour counted: seconds since the epoch // 3600.
    hour = db.Column(db.Integer, primary_key=True)
    #: Bytes accepted in that hour.
    bytes = db.Column(db.BigInteger, nullable=False)
