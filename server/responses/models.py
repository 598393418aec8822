"""What residents answered: responses, their answers, and sync conflicts."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

CHANNELS = ("door_to_door", "flyer")
AGE_BRACKETS = ("0-17", "18-26", "27-40", "41-65", "66-79", "80+")
REVIEW_STATES = ("new", "reviewed", "flagged", "hidden")


class Response(db.Model):
    """One resident's answers to one campaign version, keyed by the id the device made."""

    __tablename__ = "responses"

    #: Client-made UUIDv7; the same id twice is the same response.
    id = db.Column(db.Uuid, primary_key=True)
    #: The campaign and the version of it that was answered.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id"), nullable=False)
    campaign_version = db.Column(db.Integer, nullable=False)
    #: Language the resident answered in.
    language = db.Column(db.String(16), nullable=False)
    #: ``door_to_door`` or ``flyer``.
    channel = db.Column(db.String(16), nullable=False)
    #: The flyer or team the response is attributed to, and the device that collected it.
    source_id = db.Column(db.Integer, db.ForeignKey("sources.id"), nullable=True)
    device_id = db.Column(db.Uuid, db.ForeignKey("devices.id"), nullable=True)
    #: When the device collected it (device clock) and when the server stored it.
    collected_at = db.Column(UTCDateTime, nullable=False)
    received_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: Consent for the answers and, separately, for voice recordings.
    consent_answers = db.Column(db.Boolean, nullable=False)
    consent_audio = db.Column(db.Boolean, nullable=False, default=False)
    #: Optional coarse metadata; never names, addresses or locations.
    buurt = db.Column(db.String(100), nullable=True)
    age_bracket = db.Column(db.String(8), nullable=True)
    #: sha256 of the receipt code the resident got, for erasure on request.
    receipt_hash = db.Column(db.String(64), nullable=True, index=True)
    #: sha256 of the canonical content: tells a duplicate from a conflict.
    content_hash = db.Column(db.String(64), nullable=False)
    #: Coordinator's review state.
    review_state = db.Column(db.String(16), nullable=False, default="new")
    #: How the results' running totals count it: ``None`` not yet, ``False`` as shown, ``True`` as hidden (left
    #: out). It differs from `review_state` until the totals catch up (see `server.results.rollup`).
    counted_hidden = db.Column(db.Boolean, nullable=True)

    answers = db.relationship("Answer", back_populates="response", cascade="all, delete-orphan")

    __table_args__ = (
        #: The inbox and the exports page by (received_at, id) per campaign, with and without a review state.
        db.Index("ix_responses_campaign_received_id", "campaign_id", "received_at", "id"),
        db.Index("ix_responses_campaign_state_received_id", "campaign_id", "review_state", "received_at", "id"),
    )


class Answer(db.Model):
    """One value given to one question (a multiple choice gives one row per choice)."""

    __tablename__ = "answers"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The response the answer belongs to.
    response_id = db.Column(db.Uuid, db.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    #: The question's key in the campaign definition.
    question_key = db.Column(db.String(64), nullable=False)
    #: The chosen choice's key (choices, yes/no).
    choice_key = db.Column(db.String(64), nullable=True)
    #: A number (smiley 1 to 5, number questions).
    number = db.Column(db.Integer, nullable=True)
    #: Short text as typed.
    text = db.Column(db.Text, nullable=True)
    #: The team's translation of `text` into the workspace's language.
    translation = db.Column(db.Text, nullable=True)

    response = db.relationship("Response", back_populates="answers")


class SyncConflict(db.Model):
    """A response id that arrived again with other content; the stored one is kept, both logged."""

    __tablename__ = "sync_conflicts"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The response id both versions claim.
    response_id = db.Column(db.Uuid, nullable=False, index=True)
    #: Who sent the second version.
    device_id = db.Column(db.Uuid, db.ForeignKey("devices.id"), nullable=True)
    received_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: Content hashes of the stored and of the refused version.
    stored_hash = db.Column(db.String(64), nullable=False)
    incoming_hash = db.Column(db.String(64), nullable=False)
    #: The refused version as it was sent.
    incoming = db.Column(db.JSON, nullable=False)


class ErasedResponse(db.Model):
    """A tombstone: a response a resident erased, so that a phone resending it (it missed the acknowledgement,
    and retries as the protocol tells it) never stores it, or its voice notes, again (issue 11).

    Only the id's sha256 is kept: it tells nothing about the resident, and cannot be turned back into the id.
    """

    __tablename__ = "erased_responses"

    #: sha256 (hex) of the erased response's id, as `str(uuid)` writes it.
    id_hash = db.Column(db.String(64), primary_key=True)
    #: When it was erased (the day is enough; no other trace of the response is kept).
    erased_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
