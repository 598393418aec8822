"""Recorded clips: a campaign text or an app phrase read aloud, in one language."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow, uuid7


class Clip(db.Model):
    """One recording of one text in one language, for a campaign or (``campaign_id`` empty) the team's voice pack."""

    __tablename__ = "clips"
    __table_args__ = (db.Index("ix_clips_team_campaign", "team_id", "campaign_id"),)

    #: Public id in the download URL; a new recording is a new id, so a clip never changes.
    id = db.Column(db.Uuid, primary_key=True, default=uuid7)
    #: The team that recorded it.
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    #: The campaign whose text it speaks; ``None`` for a phrase of the team's voice pack.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True,
                            index=True)
    #: ``title``, ``intro``, ``thanks``, ``q:<question>``, ``q:<question>:<choice>``, or a phrase key.
    key = db.Column(db.String(160), nullable=False)
    #: Language code of the spoken text.
    language = db.Column(db.String(16), nullable=False)
    #: sha256 of the text it was recorded for; another hash today means the clip is out of date.
    text_sha256 = db.Column(db.String(64), nullable=False)
    #: Content type, sha256 and size of the stored (normalised) file; while ``processing``, of the upload.
    content_type = db.Column(db.String(64), nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    #: Length of the sound; ``None`` only for prompts recorded before clips were normalised.
    duration_ms = db.Column(db.Integer, nullable=True)
    #: Server-made name in the store (`server.storage`); while ``processing``, the upload's.
    storage_name = db.Column(db.String(128), nullable=False)
    #: Made by a speech synthesiser (the demo's voice), not by a person.
    synthetic = db.Column(db.Boolean, nullable=False, default=False)
    #: Who recorded it (``None`` for the demo, or when the account is gone).
    recorded_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: When it was recorded.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    #: ``live`` (residents hear it), ``proposed`` (a partner team recorded it; residents hear it only once the
    #: owning team approved it) or ``processing`` (the upload as it came, waiting for the ``normalise_clip`` job,
    #: or its job failed; never sent to anyone).
    state = db.Column(db.String(16), nullable=False, default="live", server_default="live")
    #: The partner team that proposed it (``None``: recorded by the owning team itself).
    proposed_by_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    #: When and by whom the owning team approved a partner's clip.
    approved_at = db.Column(UTCDateTime, nullable=True)
    approved_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    recorder = db.relationship("User", foreign_keys=[recorded_by])
    proposer = db.relationship("Team", foreign_keys=[proposed_by_team_id])
