"""Campaigns, their frozen versions and the places they are handed out (recordings: `server.voicepacks`)."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow, uuid7

CAMPAIGN_STATES = ("draft", "published", "closed")
SOURCE_KINDS = ("flyer", "door_to_door")


class Campaign(db.Model):
    """A poll a team runs in its neighbourhood; its questions live in `definition`."""

    __tablename__ = "campaigns"

    #: Public id, also used by devices.
    id = db.Column(db.Uuid, primary_key=True, default=uuid7)
    #: The team that owns the campaign and its data.
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id"), nullable=False, index=True)
    #: ``draft``, ``published`` or ``closed``.
    state = db.Column(db.String(16), nullable=False, default="draft")
    #: The editable document (languages, texts, questions); see `schemas.CampaignDefinitionSchema`.
    definition = db.Column(db.JSON, nullable=False)
    #: Number of the newest published version, 0 before the first publication.
    current_version = db.Column(db.Integer, nullable=False, default=0)
    #: Days voice notes are kept; ``None`` keeps them until the campaign is erased.
    voice_retention_days = db.Column(db.Integer, nullable=True)
    #: When the campaign was made, last changed and closed.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = db.Column(UTCDateTime, nullable=True)

    team = db.relationship("Team")
    versions = db.relationship("CampaignVersion", back_populates="campaign", order_by="CampaignVersion.number")

    def title(self, language: str | None = None) -> str:
        texts = self.definition.get("title", {})
        return texts.get(language) or texts.get(self.definition.get("default_language")) or ""


class CampaignVersion(db.Model):
    """A frozen, published copy of a campaign's definition; responses answer one of these."""

    __tablename__ = "campaign_versions"
    __table_args__ = (db.UniqueConstraint("campaign_id", "number"),)

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The campaign this version belongs to.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id"), nullable=False)
    #: 1, 2, 3 ... per campaign.
    number = db.Column(db.Integer, nullable=False)
    #: The definition as it was when published (never changed afterwards).
    definition = db.Column(db.JSON, nullable=False)
    #: Hash of the published document, used as the download's ETag.
    etag = db.Column(db.String(64), nullable=False)
    #: When it was published.
    published_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    campaign = db.relationship("Campaign", back_populates="versions")


class Source(db.Model):
    """Where a response came from: a flyer location or a door-to-door team."""

    __tablename__ = "sources"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The campaign the source hands out.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id"), nullable=False, index=True)
    #: Public code printed under the QR code, e.g. ``K7M2QX``; not a secret.
    code = db.Column(db.String(16), nullable=False, unique=True)
    #: Name shown to the team, e.g. "Buurthuis De Brug".
    name = db.Column(db.String(200), nullable=False)
    #: ``flyer`` or ``door_to_door``.
    kind = db.Column(db.String(16), nullable=False, default="flyer")
    #: When the source was made and revoked (a revoked flyer shows "this poll has closed").
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at = db.Column(UTCDateTime, nullable=True)

    campaign = db.relationship("Campaign")

