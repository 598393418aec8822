"""Tags (themes) on responses, and the team's comments on them."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

TAG_MAX_LENGTH = 40
COMMENT_MAX_LENGTH = 2000


class Tag(db.Model):
    """A theme a campaign's team gives responses, e.g. "groen" or "verkeer"."""

    __tablename__ = "tags"
    __table_args__ = (db.UniqueConstraint("campaign_id", "name"),)

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The campaign whose responses carry the tag.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id"), nullable=False)
    #: The tag as typed, trimmed; unique within the campaign (case-sensitive).
    name = db.Column(db.String(TAG_MAX_LENGTH), nullable=False)
    #: When the tag was first used.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class ResponseTag(db.Model):
    """One tag on one response."""

    __tablename__ = "response_tags"
    __table_args__ = (
        #: The inbox filtered by a tag pages through this index, not through the whole campaign.
        db.Index("ix_response_tags_tag_received", "tag_id", "received_at", "response_id"),
    )

    #: The tagged response; erasing it removes its tags.
    response_id = db.Column(db.Uuid, db.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    #: The tag.
    tag_id = db.Column(db.Integer, db.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    #: The response's `received_at` (which never changes), copied for the index above.
    received_at = db.Column(UTCDateTime, nullable=False)

    tag = db.relationship("Tag")


class ReviewComment(db.Model):
    """A team member's note on a response, seen only by the team."""

    __tablename__ = "review_comments"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The response it is about; erasing the response removes its comments.
    response_id = db.Column(db.Uuid, db.ForeignKey("responses.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    #: Who wrote it (kept as ``None`` when the account is removed).
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: The comment as typed.
    body = db.Column(db.Text, nullable=False)
    #: When it was written.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User")
