"""Teams own campaigns, devices and everything collected for them."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

TEAM_KINDS = ("municipal", "initiative")


class Team(db.Model):
    """A municipal team or a resident initiative."""

    __tablename__ = "teams"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: Short unique name used on the command line, e.g. ``brug-noord``.
    slug = db.Column(db.String(64), nullable=False, unique=True)
    #: Display name.
    name = db.Column(db.String(200), nullable=False)
    #: ``municipal`` or ``initiative`` (a resident initiative owns its own data).
    kind = db.Column(db.String(16), nullable=False, default="initiative")
    #: When the team was made.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return f"<Team {self.slug}>"
