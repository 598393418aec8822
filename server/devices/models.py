"""Enrolled field devices and the one-time codes that enrol them."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow, uuid7


class Device(db.Model):
    """A field worker's phone, holding a revocable token."""

    __tablename__ = "devices"

    #: Public id.
    id = db.Column(db.Uuid, primary_key=True, default=uuid7)
    #: The team whose campaigns the device collects for.
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id"), nullable=False, index=True)
    #: A label the coordinator gave, e.g. "Telefoon Fatima".
    label = db.Column(db.String(200), nullable=False, default="")
    #: sha256 of the bearer token; the token itself is never stored.
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    #: When the device enrolled, was last seen, last synced and was revoked.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(UTCDateTime, nullable=True)
    last_sync_at = db.Column(UTCDateTime, nullable=True)
    revoked_at = db.Column(UTCDateTime, nullable=True)
    #: What the device last reported as still waiting on it (with a sync, or after one), replaced by each report.
    pending_responses = db.Column(db.Integer, nullable=False, default=0)
    pending_voice_notes = db.Column(db.Integer, nullable=False, default=0)
    pending_bytes = db.Column(db.BigInteger, nullable=False, default=0)
    #: When the device made that report; ``None`` before its first.
    status_reported_at = db.Column(UTCDateTime, nullable=True)
    #: The source (a route, a street, a team) the phone attributes its door-to-door responses to unless the
    #: field worker picks another for the day; one of its team's campaigns' door-to-door sources.
    default_source_id = db.Column(db.Integer, db.ForeignKey("sources.id"), nullable=True)
    #: The one campaign a phone lent by a partner collects for (``None``: every campaign of the team).
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True)
    #: The partner team that lent the phone; what it collects belongs to `team_id`.
    lent_by_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)

    team = db.relationship("Team", foreign_keys=[team_id])
    lender = db.relationship("Team", foreign_keys=[lent_by_team_id])
    default_source = db.relationship("Source")


class EnrolmentCode(db.Model):
    """A one-time code, valid for minutes, that a device trades for its token."""

    __tablename__ = "enrolment_codes"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The team the enrolled device will belong to.
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id"), nullable=False)
    #: sha256 of the normalised code.
    code_hash = db.Column(db.String(64), nullable=False, unique=True)
    #: Label given to the device that enrols with this code.
    label = db.Column(db.String(200), nullable=False, default="")
    #: The default source the enrolled device will have (see `Device.default_source_id`).
    source_id = db.Column(db.Integer, db.ForeignKey("sources.id"), nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    #: The campaign and lending partner team the enrolled device gets (see `Device`).
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True)
    lent_by_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    #: When the code was used, and by which device; a used code never works again.
    used_at = db.Column(UTCDateTime, nullable=True)
    device_id = db.Column(db.Uuid, db.ForeignKey("devices.id"), nullable=True)
