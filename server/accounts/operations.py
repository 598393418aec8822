"""Accounts, teams, memberships and sessions (flush, never commit)."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import N_, ApiError
from ..extensions import db
from ..teams.models import Team
from ..teams.operations import team_by_slug
from ..util import new_token, sha256_hex, utcnow
from .models import TeamMembership, User, UserSession

#: Checked when the address is unknown, so a wrong address takes as long as a wrong password.
_UNKNOWN_USER_HASH = generate_password_hash("not a password of anyone")


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default)."""
    return generate_password_hash(password, method="scrypt")


def user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def create_user(email: str, password: str, role: str = "coordinator", name: str = "") -> User:
    """A new account; raises 409 when the address is taken."""
    if user_by_email(email) is not None:
        raise ApiError(409, "email_taken", N_("An account with this email address already exists."),
                       field="email")
    user = User(email=email.strip().lower(), name=name.strip(), role=role,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change the password and end every session of the user."""
    user.password_hash = hash_password(password)
    revoke_sessions(user)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password, or ``None`` (in about the same time either way)."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_UNKNOWN_USER_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or user.disabled_at is not None:
        return None
    return user


def start_session(user: User, user_agent: str = "") -> str:
    """A new session for `user`; returns the token for the cookie (only its hash is kept)."""
    token = new_token()
    now = utcnow()
    hours = current_app.config["SESSION_MAX_HOURS"]
    db.session.add(UserSession(user=user, token_hash=sha256_hex(token), user_agent=user_agent[:200],
                               created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=hours)))
    user.last_sign_in_at = now
    db.session.flush()
    return token


def session_for_token(token: str) -> UserSession | None:
    """The live session holding `token`: not revoked, not past its end, not idle too long."""
    session = db.session.scalars(
        select(UserSession).where(UserSession.token_hash == sha256_hex(token))).first()
    if session is None or not session_is_live(session):
        return None
    if session.user.disabled_at is not None:
        return None
    return session


def session_is_live(session: UserSession) -> bool:
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return session.revoked_at is None and session.expires_at > now and session.last_seen_at + idle > now


def touch_session(session: UserSession) -> bool:
    """Note that the session was used; writes at most once a minute. True when it wrote."""
    now = utcnow()
    if now - session.last_seen_at < timedelta(minutes=1):
        return False
    session.last_seen_at = now
    db.session.flush()
    return True


def end_session(session: UserSession) -> None:
    session.revoked_at = session.revoked_at or utcnow()
    db.session.flush()


def revoke_sessions(user: User) -> int:
    """End every open session of `user` ("sign out everywhere"); returns how many ended."""
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch"))
    db.session.flush()
    return result.rowcount


def open_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still work, newest first."""
    sessions = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.created_at.desc())).all()
    return [session for session in sessions if session_is_live(session)]


def disable_user(user: User) -> None:
    user.disabled_at = user.disabled_at or utcnow()
    revoke_sessions(user)


def enable_user(user: User) -> None:
    user.disabled_at = None
    db.session.flush()


def create_team(slug: str, name: str, kind: str) -> Team:
    """A new team; raises 409 when the short name is taken."""
    if team_by_slug(slug) is not None:
        raise ApiError(409, "slug_taken", N_("A team with this short name already exists."), field="slug")
    team = Team(slug=slug, name=name.strip(), kind=kind)
    db.session.add(team)
    db.session.flush()
    return team


def set_memberships(user: User, teams: list[Team]) -> None:
    """Make `user` a member of exactly `teams`."""
    wanted = {team.id for team in teams}
    user.memberships = [m for m in user.memberships if m.team_id in wanted]
    present = user.team_ids
    for team in teams:
        if team.id not in present:
            user.memberships.append(TeamMembership(team=team))
    db.session.flush()


def add_member(team: Team, user: User) -> None:
    if team.id not in user.team_ids:
        user.memberships.append(TeamMembership(team=team))
        db.session.flush()


def remove_member(team: Team, user: User) -> None:
    user.memberships = [m for m in user.memberships if m.team_id != team.id]
    db.session.flush()


def team_members(team: Team) -> list[User]:
    return list(db.session.scalars(
        select(User).join(TeamMembership).where(TeamMembership.team_id == team.id).order_by(User.email)))
