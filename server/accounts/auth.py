"""Who is signed in and what they may see.

The signed session cookie holds a random session token (checked against `user_sessions` on every request,
so sessions can expire and be revoked) and the CSRF token of the browser (`server/csrf.py`).
"""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _

from ..campaigns.models import Campaign
from ..errors import N_
from ..extensions import db
from ..pages import wants_json
from ..partners.access import campaign_access
from ..teams.models import Team
from .models import User
from .operations import session_for_token, touch_session

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_local_request() -> bool:
    """True on plain http://127.0.0.1 or localhost (development and tests), where cookies cannot be Secure."""
    return not request.is_secure and urlsplit("//" + request.host).hostname in LOCAL_HOSTS


def public_url_is_https() -> bool:
    """The configured `PUBLIC_URL` starts with https:// (then HSTS is sent)."""
    return urlsplit(current_app.config["PUBLIC_URL"] or "").scheme == "https"


def cookies_are_secure() -> bool:
    """Secure cookies when the configured `PUBLIC_URL` is https, whatever Host a reverse proxy forwards; plain
    http on a community centre's network when it is http://; without `PUBLIC_URL`, everywhere except on
    http://localhost."""
    if current_app.config["PUBLIC_URL"]:
        return public_url_is_https()
    return not is_local_request()


class WorkspaceSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, Secure as `cookies_are_secure` decides."""

    def get_cookie_secure(self, app) -> bool:
        return cookies_are_secure()


# --- who is signed in --------------------------------------------------------------------------------

SESSION_KEY = "wijkstem.user_session"


def current_session():
    """The live `UserSession` of this request, or ``None``; loaded once per request."""
    if SESSION_KEY not in request.environ:
        token = session.get("sid")
        user_session = session_for_token(token) if isinstance(token, str) else None
        if user_session is not None and touch_session(user_session):
            db.session.commit()  # only the "last seen" time; the view's own work commits separately
        request.environ[SESSION_KEY] = user_session
    return request.environ[SESSION_KEY]


def current_user() -> User | None:
    """The signed-in user, or ``None``."""
    user_session = current_session()
    return user_session.user if user_session is not None else None


def sign_in_redirect():
    return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))


#: What a user whose password someone else set may still do before choosing a new one.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"accounts.account", "accounts.change_password", "accounts.sign_out"})


def login_required(view):
    """Run `view` only for a signed-in user; others go to the sign-in page (JSON requests get 401). A user
    whose password was set by someone else goes to their account page to choose a new one first."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user()
        if user is None:
            if wants_json():
                abort(401)
            return sign_in_redirect()
        if user.password_change_required and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            if wants_json():
                abort(403)
            return redirect(url_for("accounts.account", new_password=1))
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str):
    """Like `login_required`, and refuse (403) users whose role is not in `roles`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def admin_required(view):
    """Like `login_required`, and refuse (403) users who are neither a team admin nor a server administrator."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user().is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def server_admin_required(view):
    """Like `login_required`, and refuse (403) everyone but server administrators."""

    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user().server_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


# --- whom an admin manages ---------------------------------------------------------------------------

def may_manage_team(admin: User, team: Team) -> bool:
    """A server administrator manages every team; a team admin only their own."""
    return admin.server_admin or (admin.role == "admin" and team.id in admin.team_ids)


def may_manage_user(admin: User, user: User) -> bool:
    """A server administrator manages every account; a team admin only accounts all of whose teams are their
    own (so that setting a password never opens another team's data), and never a server administrator."""
    if admin.server_admin:
        return True
    if admin.role != "admin" or (user.server_admin and user.id != admin.id):
        return False
    return bool(user.team_ids) and user.team_ids <= admin.team_ids


def require_managed_team(team_id: int) -> Team:
    """The team `team_id` if the signed-in admin manages it; 404 otherwise (others are not confirmed)."""
    team = db.session.get(Team, team_id)
    if team is None or not may_manage_team(current_user(), team):
        abort(404)
    return team


def require_managed_user(user_id: int) -> User:
    """The account `user_id` if the signed-in admin manages it; 404 otherwise."""
    user = db.session.get(User, user_id)
    if user is None or not may_manage_user(current_user(), user):
        abort(404)
    return user


# --- per-object access -------------------------------------------------------------------------------

def require_team(team_id: int, write: bool = False) -> Team:
    """The team `team_id` if the signed-in user is a member.

    :raise 404: no such team, or the user is not a member (other teams are not even confirmed to exist).
    :raise 403: `write` is asked and the user's role only reads.
    """
    user = current_user()
    if user is None:
        abort(401)
    team = db.session.get(Team, team_id)
    if team is None or team.id not in user.team_ids:
        abort(404)
    if write and not user.can_write:
        abort(403)
    return team


def require_campaign(campaign_id, write: bool = False, action: str | None = None) -> Campaign:
    """The campaign `campaign_id` if the signed-in user may do `action` to it (one of
    `server.partners.access.ACTIONS`; default ``write`` when `write`, else ``view``): as a member of its team,
    or through a grant of a partnership in force (`acting_partnership()` then names it).

    :raise 404: no such campaign, or neither a member nor a partner holding the grant `action` needs
        (a partner without it is answered as a stranger).
    :raise 403: the action needs a writing role and the user's only reads (field workers).
    """
    user = current_user()
    if user is None:
        abort(401)
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    decision, partnership = campaign_access(user, campaign, action or ("write" if write else "view"))
    if decision == "hidden":
        abort(404)
    if decision == "forbidden":
        abort(403)
    g.partnership = partnership
    return campaign


def acting_partnership():
    """The partnership through which the last `require_campaign` of this request was allowed; ``None`` for a
    member of the campaign's team."""
    return g.get("partnership")


# --- labels ------------------------------------------------------------------------------------------

ROLE_NAMES = {"admin": N_("Administrator"), "coordinator": N_("Coordinator"),
              "field_worker": N_("Field worker")}
TEAM_KIND_NAMES = {"municipal": N_("Municipal team"), "initiative": N_("Resident initiative")}


def role_name(role: str) -> str:
    return _(ROLE_NAMES.get(role, role))


def team_kind_name(kind: str) -> str:
    return _(TEAM_KIND_NAMES.get(kind, kind))
