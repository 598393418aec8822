"""People who use the workspace, the teams they belong to, and their sign-in sessions."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow, uuid7

#: ``admin`` manages its own teams' members; ``coordinator`` writes campaigns; ``field_worker`` reads them.
#: Managing every account and team is the separate `User.server_admin` right.
ROLES = ("admin", "coordinator", "field_worker")
#: Roles that may change a team's campaigns, sources and devices.
WRITE_ROLES = ("admin", "coordinator")


class User(db.Model):
    """A person who signs in to the workspace."""

    __tablename__ = "users"

    #: Database id.
    id = db.Column(db.Integer, primary_key=True)
    #: Sign-in name, stored in lower case.
    email = db.Column(db.String(254), nullable=False, unique=True)
    #: Name shown to colleagues.
    name = db.Column(db.String(200), nullable=False, default="")
    #: werkzeug password hash (scrypt); the password itself is never stored.
    password_hash = db.Column(db.String(255), nullable=False)
    #: ``admin``, ``coordinator`` or ``field_worker``.
    role = db.Column(db.String(16), nullable=False, default="coordinator")
    #: Preferred workspace language, ``None`` to follow the browser.
    language = db.Column(db.String(16), nullable=True)
    #: When the account was made, last signed in, and disabled (a disabled account cannot sign in).
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_sign_in_at = db.Column(UTCDateTime, nullable=True)
    disabled_at = db.Column(UTCDateTime, nullable=True)
    #: Manages every account and team (not their data), given only on the command line
    #: (`wijkstem grant-server-admin`).
    server_admin = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    #: Someone else set the password: the user must choose a new one before doing anything else.
    password_change_required = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())

    memberships = db.relationship("TeamMembership", back_populates="user", cascade="all, delete-orphan")

    @property
    def team_ids(self) -> set[int]:
        return {membership.team_id for membership in self.memberships}

    @property
    def teams(self) -> list:
        return sorted((m.team for m in self.memberships), key=lambda team: team.name.lower())

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def is_admin(self) -> bool:
        """May open the account pages: a team admin (for their teams' members) or a server administrator."""
        return self.role == "admin" or self.server_admin

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


class TeamMembership(db.Model):
    """A user's place in a team: they see (and, by role, change) the team's campaigns."""

    __tablename__ = "team_memberships"

    #: The member and the team.
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True,
                        index=True)
    #: When the user joined the team.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", back_populates="memberships")
    team = db.relationship("Team")


class UserSession(db.Model):
    """A signed-in browser; it ends when idle, when too old, or when revoked."""

    __tablename__ = "user_sessions"

    #: Public id (shown in the list of sessions).
    id = db.Column(db.Uuid, primary_key=True, default=uuid7)
    #: The signed-in user.
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    #: sha256 of the random token in the cookie; the token itself is never stored.
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    #: The browser's User-Agent, shortened, so a user can tell their sessions apart.
    user_agent = db.Column(db.String(200), nullable=False, default="")
    #: When the session started, was last used, must end at the latest, and was revoked.
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime, nullable=True)

    user = db.relationship("User")
