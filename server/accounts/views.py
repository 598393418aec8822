"""Signing in and out, one's own account, the language switch, and the admin's teams and users."""

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import N_, ApiError
from ..extensions import db, limiter
from ..forms import form_data, form_error, load_form
from ..pages import install_page_handlers, render_page, safe_next
from ..privacy.operations import record_account_event, record_team_event
from ..teams.models import TEAM_KINDS, Team
from .auth import (
    admin_required,
    cookies_are_secure,
    current_session,
    current_user,
    login_required,
    may_manage_user,
    require_managed_team,
    require_managed_user,
    role_name,
    server_admin_required,
    team_kind_name,
)
from .browsers import is_known_browser, remember_browser
from .models import ROLES, User
from .operations import (
    add_member,
    authenticate,
    create_team,
    create_user,
    disable_user,
    enable_user,
    end_session,
    open_sessions,
    remove_member,
    revoke_sessions,
    set_memberships,
    set_password,
    start_session,
    team_members,
    user_by_email,
)
from .schemas import (
    language_form_schema,
    member_form_schema,
    password_change_schema,
    sign_in_schema,
    team_edit_schema,
    team_form_schema,
    user_edit_schema,
    user_form_schema,
)

accounts_blueprint = Blueprint("accounts", __name__, url_prefix="/workspace")
install_page_handlers(accounts_blueprint)

LANGUAGE_COOKIE_DAYS = 365


def home_url() -> str:
    return url_for("workspace.dashboard")


# --- signing in and out ------------------------------------------------------------------------------

def sign_in_account_key() -> str:
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def sign_in_browser_key() -> str:
    return sign_in_account_key() + "|" + (request.remote_addr or "")


def is_new_browser() -> bool:
    return not is_known_browser()


def wrong_password(response) -> bool:
    return response.status_code == 401


#: Sign-in limits (docs/workspace.md): a browser new to the account counts against its address (every try)
#: and against the account (wrong passwords only, from all addresses); a browser that signed in to the account
#: before counts only against its own limit, so nobody can lock the owner out.
@accounts_blueprint.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN"], methods=["POST"], exempt_when=is_known_browser)
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN_ACCOUNT"], methods=["POST"],
               key_func=sign_in_account_key, scope="sign-in-account", exempt_when=is_known_browser,
               deduct_when=wrong_password)
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGN_IN"], methods=["POST"], key_func=sign_in_browser_key,
               scope="sign-in-known-browser", exempt_when=is_new_browser)
def sign_in():
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next"), home_url()))
        return render_page("workspace/sign_in.html", values={"next": request.args.get("next", "")}, errors={})
    data = form_data()
    values, errors = load_form(sign_in_schema, data)
    if errors:
        return render_page("workspace/sign_in.html", status=422, values=data, errors=errors)
    user = authenticate(values["email"], values["password"])
    if user is None:
        return render_page("workspace/sign_in.html", status=401, values=data,
                           errors=form_error("", _("The email address or password is not right.")))
    token = start_session(user, request.user_agent.string or "")
    db.session.commit()
    begin_browser_session(token)
    response = redirect(safe_next(values["next"], home_url()), code=303)
    if user.language:
        set_language_cookie(response, user.language)
    remember_browser(response, values["email"])
    return response


def begin_browser_session(token: str) -> None:
    """A fresh signed cookie (new CSRF token too) that holds the new session's token."""
    session.clear()
    session["sid"] = token
    session.permanent = True


@accounts_blueprint.post("/sign-out")
def sign_out():
    user_session = current_session()
    if user_session is not None:
        end_session(user_session)
        db.session.commit()
    session.clear()
    return redirect(url_for("accounts.sign_in"), code=303)


# --- one's own account -------------------------------------------------------------------------------

@accounts_blueprint.get("/account")
@login_required
def account():
    return account_page()


def account_page(status: int = 200, errors: dict | None = None, notice: str | None = None):
    return render_page("workspace/account.html", status=status, errors=errors or {}, notice=notice,
                       sessions=open_sessions(current_user()), this_session=current_session())


@accounts_blueprint.post("/account/password")
@login_required
def change_password():
    values, errors = load_form(password_change_schema, form_data())
    user = current_user()
    if not errors and authenticate(user.email, values["current_password"]) is None:
        errors = form_error("current_password", _("This is not your current password."))
    if errors:
        return account_page(422, errors)
    set_password(user, values["new_password"])
    user.password_change_required = False
    token = start_session(user, request.user_agent.string or "")
    db.session.commit()
    begin_browser_session(token)
    return redirect(url_for("accounts.account", changed=1), code=303)


@accounts_blueprint.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    revoke_sessions(current_user())
    db.session.commit()
    session.clear()
    return redirect(url_for("accounts.sign_in"), code=303)


# --- language ----------------------------------------------------------------------------------------

@accounts_blueprint.post("/language")
def choose_language():
    """Remember the chosen workspace language (cookie, and the account when signed in)."""
    values, errors = load_form(language_form_schema, form_data())
    if errors:
        raise ApiError(422, "invalid_input", N_("This language is not available."))
    user = current_user()
    if user is not None:
        user.language = values["lang"]
        db.session.commit()
    response = redirect(safe_next(values["next"], url_for("accounts.sign_in")), code=303)
    set_language_cookie(response, values["lang"])
    return response


def set_language_cookie(response, code: str) -> None:
    response.set_cookie("lang", code, max_age=LANGUAGE_COOKIE_DAYS * 86400, samesite="Lax",
                        secure=cookies_are_secure(), httponly=False)


# --- admin: teams ------------------------------------------------------------------------------------
# A team admin manages the members of their own teams; a server administrator (`wijkstem
# grant-server-admin`) manages every account and team. Every change goes into the audit log.

def kind_options() -> list[tuple[str, str]]:
    return [(kind, team_kind_name(kind)) for kind in TEAM_KINDS]


def role_options() -> list[tuple[str, str]]:
    return [(role, role_name(role)) for role in ROLES]


def managed_teams() -> list[Team]:
    """The teams the signed-in admin manages, by name."""
    admin = current_user()
    query = select(Team).order_by(Team.name)
    if not admin.server_admin:
        query = query.where(Team.id.in_(admin.team_ids))
    return list(db.session.scalars(query))


def teams_page(status: int = 200, values: dict | None = None, errors: dict | None = None):
    return render_page("workspace/admin/teams.html", status=status, teams=managed_teams(),
                       kind_options=kind_options(), values=values or {"kind": "initiative"},
                       errors=errors or {})


@accounts_blueprint.get("/admin/teams")
@admin_required
def teams():
    return teams_page()


@accounts_blueprint.post("/admin/teams")
@server_admin_required
def new_team():
    data = form_data()
    values, errors = load_form(team_form_schema, data)
    if errors:
        return teams_page(422, data, errors)
    try:
        team = create_team(values["slug"], values["name"], values["kind"])
    except ApiError as err:
        return teams_page(409, data, form_error(err.field, _(err.message)))
    record_team_event("team_created", team.id, "team", team.id, current_user(), slug=team.slug)
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team.id), code=303)


def team_page(team: Team, status: int = 200, values: dict | None = None, errors: dict | None = None):
    members = team_members(team)
    manageable = {member.id for member in members if may_manage_user(current_user(), member)}
    return render_page("workspace/admin/team.html", status=status, team=team, kind_options=kind_options(),
                       members=members, manageable=manageable,
                       values=values or {"name": team.name, "kind": team.kind}, errors=errors or {})


@accounts_blueprint.get("/admin/teams/<int:team_id>")
@admin_required
def team(team_id):
    return team_page(require_managed_team(team_id))


@accounts_blueprint.post("/admin/teams/<int:team_id>")
@admin_required
def edit_team(team_id):
    team = require_managed_team(team_id)
    data = form_data()
    values, errors = load_form(team_edit_schema, data)
    if errors:
        return team_page(team, 422, data, errors)
    team.name, team.kind = values["name"], values["kind"]
    record_team_event("team_changed", team.id, "team", team.id, current_user(), name=team.name, kind=team.kind)
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team.id), code=303)


@accounts_blueprint.post("/admin/teams/<int:team_id>/members")
@admin_required
def add_team_member(team_id):
    team = require_managed_team(team_id)
    values, errors = load_form(member_form_schema, form_data())
    user = None if errors else user_by_email(values["email"])
    if user is None and not errors:
        errors = form_error("email", _("There is no account with this email address."))
    if not errors and joins_unasked(user, {team.id}):
        errors = form_error("email", _(SELF_JOIN))
    if errors:
        return team_page(team, 422, errors=errors)
    if team.id not in user.team_ids:
        add_member(team, user)
        record_account_event("membership_changed", user, current_user(), team_ids={team.id}, added=[team.slug])
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team.id), code=303)


@accounts_blueprint.post("/admin/teams/<int:team_id>/members/<int:user_id>/remove")
@admin_required
def remove_team_member(team_id, user_id):
    team = require_managed_team(team_id)
    user = db.get_or_404(User, user_id)
    if team.id not in user.team_ids:
        abort(404)
    remove_member(team, user)
    record_account_event("membership_changed", user, current_user(), team_ids={team.id}, removed=[team.slug])
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team_id), code=303)


#: A server administrator reads no team's data (issue 16): they do not make themselves a member of a team.
SELF_JOIN = N_("A server administrator cannot join a team this way. To help a team with its data, be invited "
               "as a partner.")


def joins_unasked(user: User, team_ids: set[int]) -> bool:
    """A server administrator adding their own account to a team they are not in (the workspace refuses it;
    `wijkstem create-admin --team` on the server's command line can, and the team's audit log shows it)."""
    admin = current_user()
    return admin.server_admin and user.id == admin.id and not team_ids <= admin.team_ids


# --- admin: users ------------------------------------------------------------------------------------

def chosen_teams(team_ids: list[int]) -> list[Team]:
    """The chosen teams among those the signed-in admin manages (others cannot be given)."""
    managed = {team.id: team for team in managed_teams()}
    return [managed[team_id] for team_id in team_ids if team_id in managed]


def users_page():
    admin = current_user()
    users = [user for user in db.session.scalars(select(User).order_by(User.email))
             if may_manage_user(admin, user)]
    return render_page("workspace/admin/users.html", users=users)


def user_form_page(user: User | None, status: int = 200, values: dict | None = None,
                   errors: dict | None = None):
    if values is None:
        values = ({"role": "coordinator", "teams": []} if user is None else
                  {"name": user.name, "role": user.role, "teams": [str(t) for t in user.team_ids],
                   "active": user.disabled_at is None})
    # `account`, not `user`: the base template's signed-in `user` would shadow it in the page's blocks
    return render_page("workspace/admin/user.html", status=status, account=user, role_options=role_options(),
                       team_options=[(team.id, team.name) for team in managed_teams()], values=values,
                       errors=errors or {}, sessions=open_sessions(user) if user is not None else [])


@accounts_blueprint.get("/admin/users")
@admin_required
def users():
    return users_page()


@accounts_blueprint.route("/admin/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    if request.method == "GET":
        return user_form_page(None)
    data = form_data(list_fields=("teams",))
    values, errors = load_form(user_form_schema, data, ("teams",))
    teams = [] if errors else chosen_teams(values["teams"])
    if not errors and not teams and not current_user().server_admin:
        errors = form_error("teams", _("Choose at least one of your teams."))
    if errors:
        return user_form_page(None, 422, data, errors)
    try:
        user = create_user(values["email"], values["password"], values["role"], values["name"])
    except ApiError as err:
        return user_form_page(None, 409, data, form_error(err.field, _(err.message)))
    set_memberships(user, teams)
    user.password_change_required = True  # the admin chose it: the person chooses their own at first sign-in
    record_account_event("account_created", user, current_user(), role=user.role,
                         teams=[team.slug for team in teams])
    db.session.commit()
    return redirect(url_for("accounts.user", user_id=user.id), code=303)


@accounts_blueprint.get("/admin/users/<int:user_id>")
@admin_required
def user(user_id):
    return user_form_page(require_managed_user(user_id))


@accounts_blueprint.post("/admin/users/<int:user_id>")
@admin_required
def edit_user(user_id):
    user = require_managed_user(user_id)
    data = form_data(list_fields=("teams",))
    values, errors = load_form(user_edit_schema, data, ("teams",))
    if not errors and user.id == current_user().id and (values["role"] != "admin" or not values["active"]):
        errors = form_error("role", _("You cannot take away your own administrator rights."))
    if not errors and joins_unasked(user, {team.id for team in chosen_teams(values["teams"])}):
        errors = form_error("teams", _(SELF_JOIN))
    if errors:
        return user_form_page(user, 422, data, errors)
    apply_user_changes(user, values)
    db.session.commit()
    return redirect(url_for("accounts.user", user_id=user.id), code=303)


def apply_user_changes(user: User, values: dict) -> None:
    """Apply the admin's form to `user` and log each change for the teams it concerns (before and after)."""
    admin = current_user()
    before_teams, before_role, was_active = set(user.team_ids), user.role, user.disabled_at is None
    managed = {team.id for team in managed_teams()}
    kept = [membership.team for membership in user.memberships if membership.team_id not in managed]
    user.name, user.role = values["name"], values["role"]
    set_memberships(user, kept + chosen_teams(values["teams"]))
    concerned = before_teams | user.team_ids
    if user.role != before_role:
        record_account_event("role_changed", user, admin, concerned, before=before_role, after=user.role)
    if user.team_ids != before_teams:
        names = {team.id: team.slug for team in db.session.scalars(select(Team).where(Team.id.in_(concerned)))}
        record_account_event("membership_changed", user, admin, concerned,
                             added=sorted(names[t] for t in user.team_ids - before_teams),
                             removed=sorted(names[t] for t in before_teams - user.team_ids))
    if values["password"]:
        set_password(user, values["password"])
        user.password_change_required = user.id != admin.id
        record_account_event("password_set", user, admin, concerned)
    if values["active"] and not was_active:
        enable_user(user)
        record_account_event("account_enabled", user, admin, concerned)
    elif not values["active"] and was_active:
        disable_user(user)
        record_account_event("account_disabled", user, admin, concerned)


@accounts_blueprint.post("/admin/users/<int:user_id>/sign-out-everywhere")
@admin_required
def sign_out_user_everywhere(user_id):
    user = require_managed_user(user_id)
    ended = revoke_sessions(user)
    record_account_event("sessions_ended", user, current_user(), count=ended)
    db.session.commit()
    return redirect(url_for("accounts.user", user_id=user_id), code=303)
