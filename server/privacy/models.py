"""The audit log: who listened to, exported or deleted what, and when."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

#: What the log records: access to residents' data, deletions, and every administrative action.
AUDIT_ACTIONS = ("listen", "download", "export", "transcribe", "delete_voice", "retention", "erasure",
                 "account_created", "account_disabled", "account_enabled", "password_set", "role_changed",
                 "membership_changed", "sessions_ended", "server_admin_granted", "server_admin_revoked",
                 "team_created", "team_changed", "device_enrolled", "device_revoked", "flyer_made",
                 "flyer_revoked", "campaign_published", "campaign_closed", "rescue_import", "enrol_code_made",
                 # partnerships (server/partners/): what partners did, and what the owning team decided
                 "partner_read", "flyer_printed", "clip_proposed", "clip_approved", "clip_rejected",
                 "partner_invited", "partnership_started", "partnership_ended", "grant_given", "grant_revoked",
                 "support_requested", "support_answered", "credit_changed", "text_proposed", "text_approved",
                 "text_rejected")


class AuditEvent(db.Model):
    """One access to or deletion of residents' data."""

    __tablename__ = "audit_events"
    __table_args__ = (db.Index("ix_audit_events_team_created", "team_id", "created_at", "id"),)

    #: Database id; also orders events made in the same instant.
    id = db.Column(db.Integer, primary_key=True)
    #: When it happened.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: The team whose data or member it was; the log is shown to that team's coordinators. ``None`` for an
    #: account in no team (the server's operator reads every event with `wijkstem audit-log`).
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    #: The campaign, where the event concerns one.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id"), nullable=True)
    #: Who did it; ``None`` for a resident (erasure) or the server itself (retention).
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: The account's address at the time, kept when the account is removed.
    actor = db.Column(db.String(254), nullable=False, default="")
    #: The acting account's teams at the time (short names, comma-separated; ``*`` marks a server
    #: administrator): from which team the action came.
    actor_teams = db.Column(db.String(300), nullable=False, default="")
    #: One of `AUDIT_ACTIONS`.
    action = db.Column(db.String(32), nullable=False)
    #: What it concerned: ``voice_note``, ``response``, ``campaign``, ``user``, ``team``, ``device``,
    #: ``source``, ``clip``, ``partnership`` or ``support_request``, and its id.
    object_type = db.Column(db.String(32), nullable=False)
    object_id = db.Column(db.String(64), nullable=False, default="")
    #: Details such as the export format, its filters and its row count.
    details = db.Column(db.JSON, nullable=False, default=dict)

    user = db.relationship("User")
