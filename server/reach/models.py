"""The neighbourhood's make-up a coordinator enters for a campaign (for example from CBS figures)."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

#: ``percent``: shares of all residents; ``count``: numbers of residents (shares are worked out from them).
UNITS = ("percent", "count")


class NeighbourhoodProfile(db.Model):
    """Where a campaign's make-up figures come from, and when they were last changed."""

    __tablename__ = "neighbourhood_profiles"

    #: The campaign the figures are for.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    #: Where the figures come from, e.g. "CBS Kerncijfers wijken en buurten 2025".
    source_note = db.Column(db.String(200), nullable=False, default="")
    #: When and by whom they were last changed.
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    groups = db.relationship("NeighbourhoodGroup", cascade="all, delete-orphan",
                             order_by="(NeighbourhoodGroup.dimension, NeighbourhoodGroup.id)")


class NeighbourhoodGroup(db.Model):
    """One group of residents and how large it is: e.g. age 66-79, 12 percent."""

    __tablename__ = "neighbourhood_groups"
    __table_args__ = (db.UniqueConstraint("campaign_id", "dimension", "group_key"),)

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The campaign (and its profile) the group belongs to.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("neighbourhood_profiles.campaign_id", ondelete="CASCADE"),
                            nullable=False)
    #: ``age_bracket``, ``language``, ``buurt`` or ``question:<key>`` (a choice question of the campaign).
    dimension = db.Column(db.String(80), nullable=False)
    #: The group within the dimension: an age bracket, a language code, a buurt, a choice key.
    group_key = db.Column(db.String(100), nullable=False)
    #: How large the group is, in `unit`.
    amount = db.Column(db.Float, nullable=False)
    #: ``percent`` or ``count``; the same for every group of a dimension.
    unit = db.Column(db.String(8), nullable=False, default="percent")
