"""The audit log: who listened to, exported or deleted what, and when."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

#: What the log records.
AUDIT_ACTIONS = ("listen", "download", "export", "transcribe", "delete_voice", "retention", "erasure")


class AuditEvent(db.Model):
    """One access to or deletion of residents' data."""

    __tablename__ = "audit_events"
    __table_args__ = (db.Index("ix_audit_events_team_created", "team_id", "created_at", "id"),)

    #: Database id; also orders events made in the same instant.
    id = db.Column(db.Integer, primary_key=True)
    #: When it happened.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: The team whose data it was; the log is shown to that team's coordinators.
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    #: The campaign, where the event concerns one.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id"), nullable=True)
    #: Who did it; ``None`` for a resident (erasure) or the server itself (retention).
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: The account's address at the time, kept when the account is removed.
    actor = db.Column(db.String(254), nullable=False, default="")
    #: One of `AUDIT_ACTIONS`.
    action = db.Column(db.String(32), nullable=False)
    #: What it concerned: ``voice_note``, ``response`` or ``campaign``, and its id.
    object_type = db.Column(db.String(32), nullable=False)
    object_id = db.Column(db.String(64), nullable=False, default="")
    #: Details such as the export format, its filters and its row count.
    details = db.Column(db.JSON, nullable=False, default=dict)

    user = db.relationship("User")
