"""Partnerships: another team helps with a team's campaign, with only the grants the owning team chose."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

#: What an owner can grant a partner, each on its own (docs/workspace.md, "Partnerships").
GRANTS = ("results", "read", "listen", "voice", "phones", "flyers")
#: What a support request asks for.
REQUEST_KINDS = ("recordings", "translations", "flyers", "phones", "other")
#: ``open`` (asked), ``accepted`` (the partner will do it), ``done``, ``declined`` or ``withdrawn`` (by the owner).
REQUEST_STATES = ("open", "accepted", "done", "declined", "withdrawn")


class Partnership(db.Model):
    """A partner team helping the owner team with one campaign, or with all of the owner's campaigns."""

    __tablename__ = "partnerships"
    __table_args__ = (db.Index("ix_partnerships_partner", "partner_team_id", "ended_at"),
                      db.Index("ix_partnerships_owner", "owner_team_id", "ended_at"))

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The team whose campaign it is (it decides everything), and the team that helps.
    owner_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    partner_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    #: The campaign the partner helps with; ``None``: every campaign of the owner.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True)
    #: When the partner's admin accepted the invitation, and who invited and who accepted.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    invited_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    accepted_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: When either side ended it (every grant ends with it), and by whom.
    ended_at = db.Column(UTCDateTime, nullable=True)
    ended_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: The owner names the partner on the public results page ("with support from ...").
    credited = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())

    owner = db.relationship("Team", foreign_keys=[owner_team_id])
    partner = db.relationship("Team", foreign_keys=[partner_team_id])
    campaign = db.relationship("Campaign")
    grants = db.relationship("PartnershipGrant", back_populates="partnership", order_by="PartnershipGrant.id")

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def current_grants(self) -> set[str]:
        """The grants in force now (none once the partnership ended)."""
        if self.ended_at is not None:
            return set()
        return {grant.grant for grant in self.grants if grant.revoked_at is None}


class PartnershipGrant(db.Model):
    """One thing the owner lets the partner do, from when it was given until it was taken back."""

    __tablename__ = "partnership_grants"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The partnership.
    partnership_id = db.Column(db.Integer, db.ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False,
                               index=True)
    #: One of `GRANTS`.
    grant = db.Column(db.String(16), nullable=False)
    #: When and by whom it was given, and taken back (a partnership's end takes back every grant).
    given_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    given_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    revoked_at = db.Column(UTCDateTime, nullable=True)
    revoked_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    partnership = db.relationship("Partnership", back_populates="grants")
    giver = db.relationship("User", foreign_keys=[given_by])


class PartnershipInvitation(db.Model):
    """A one-time code the owner's admin hands to the partner's admin; only its hash is kept."""

    __tablename__ = "partnership_invitations"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The inviting team, and its campaign (``None``: all its campaigns).
    owner_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True)
    #: sha256 of the normalised code.
    code_hash = db.Column(db.String(64), nullable=False, unique=True)
    #: Who made it, when, and until when it works.
    created_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    #: When it was used (a used code never works again), and the partnership it made.
    used_at = db.Column(UTCDateTime, nullable=True)
    partnership_id = db.Column(db.Integer, db.ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=True)

    owner = db.relationship("Team")
    campaign = db.relationship("Campaign")


class SupportRequest(db.Model):
    """Something specific the owner asks its partner for ("200 flyers printed"); both sides see its state."""

    __tablename__ = "support_requests"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The partnership it is asked in.
    partnership_id = db.Column(db.Integer, db.ForeignKey("partnerships.id", ondelete="CASCADE"), nullable=False,
                               index=True)
    #: One of `REQUEST_KINDS`, and what exactly is asked, in the owner's words.
    kind = db.Column(db.String(16), nullable=False)
    body = db.Column(db.Text, nullable=False)
    #: One of `REQUEST_STATES`.
    state = db.Column(db.String(16), nullable=False, default="open")
    #: When and by whom it was asked, and last answered.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    answered_at = db.Column(UTCDateTime, nullable=True)
    answered_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    partnership = db.relationship("Partnership")


class TextProposal(db.Model):
    """A partner's translation of one campaign text, waiting until the owning team approves it into its draft."""

    __tablename__ = "text_proposals"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: The campaign, the language and the text (a field name of `workspace.editing.text_slots`, e.g.
    #: ``questions.wonen.text``).
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True)
    language = db.Column(db.String(16), nullable=False)
    slot = db.Column(db.String(200), nullable=False)
    #: The proposed translation.
    text = db.Column(db.Text, nullable=False)
    #: The partner team and the person who proposed it, and when.
    proposed_by_team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    proposed_by = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    proposer = db.relationship("Team")
