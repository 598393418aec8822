"""The public results page of a campaign ("Dit hebben jullie gezegd")."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow


class PublicReport(db.Model):
    """A campaign's public results page: its public code, its texts and whether it is online."""

    __tablename__ = "public_reports"

    #: The campaign reported on.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    #: Public code in the page's short address (``/r/<code>``); not a secret, printed under the QR code.
    code = db.Column(db.String(16), nullable=False, unique=True)
    #: "What we will do next", per language: ``{"nl": "...", "tr": "..."}``.
    next_steps = db.Column(db.JSON, nullable=False, default=dict)
    #: When the page went online; ``None`` while it is offline.
    published_at = db.Column(UTCDateTime, nullable=True)
    #: When the texts were last changed.
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    campaign = db.relationship("Campaign")
