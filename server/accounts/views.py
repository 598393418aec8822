"""Signing in and out, one's own account, the language switch, and the admin's teams and users."""

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import N_, ApiError
from ..extensions import db, limiter
from ..forms import form_data, form_error, load_form
from ..pages import install_page_handlers, render_page, safe_next
from ..teams.models import TEAM_KINDS, Team
from .auth import (
    admin_required,
    cookies_are_secure,
    current_session,
    current_user,
    login_required,
    role_name,
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

def kind_options() -> list[tuple[str, str]]:
    return [(kind, team_kind_name(kind)) for kind in TEAM_KINDS]


def role_options() -> list[tuple[str, str]]:
    return [(role, role_name(role)) for role in ROLES]


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def teams_page(status: int = 200, values: dict | None = None, errors: dict | None = None):
    return render_page("workspace/admin/teams.html", status=status, teams=all_teams(),
                       kind_options=kind_options(), values=values or {"kind": "initiative"},
                       errors=errors or {})


@accounts_blueprint.get("/admin/teams")
@admin_required
def teams():
    return teams_page()


@accounts_blueprint.post("/admin/teams")
@admin_required
def new_team():
    data = form_data()
    values, errors = load_form(team_form_schema, data)
    if errors:
        return teams_page(422, data, errors)
    try:
        team = create_team(values["slug"], values["name"], values["kind"])
    except ApiError as err:
        return teams_page(409, data, form_error(err.field, _(err.message)))
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team.id), code=303)


def team_page(team: Team, status: int = 200, values: dict | None = None, errors: dict | None = None):
    return render_page("workspace/admin/team.html", status=status, team=team, kind_options=kind_options(),
                       members=team_members(team), values=values or {"name": team.name, "kind": team.kind},
                       errors=errors or {})


@accounts_blueprint.get("/admin/teams/<int:team_id>")
@admin_required
def team(team_id):
    return team_page(db.get_or_404(Team, team_id))


@accounts_blueprint.post("/admin/teams/<int:team_id>")
@admin_required
def edit_team(team_id):
    team = db.get_or_404(Team, team_id)
    data = form_data()
    values, errors = load_form(team_edit_schema, data)
    if errors:
        return team_page(team, 422, data, errors)
    team.name, team.kind = values["name"], values["kind"]
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team.id), code=303)


@accounts_blueprint.post("/admin/teams/<int:team_id>/members")
@admin_required
def add_team_member(team_id):
    team = db.get_or_404(Team, team_id)
    values, errors = load_form(member_form_schema, form_data())
    user = None if errors else user_by_email(values["email"])
    if user is None and not errors:
        errors = form_error("email", _("There is no account with this email address."))
    if errors:
        return team_page(team, 422, errors=errors)
    add_member(team, user)
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team.id), code=303)


@accounts_blueprint.post("/admin/teams/<int:team_id>/members/<int:user_id>/remove")
@admin_required
def remove_team_member(team_id, user_id):
    remove_member(db.get_or_404(Team, team_id), db.get_or_404(User, user_id))
    db.session.commit()
    return redirect(url_for("accounts.team", team_id=team_id), code=303)


# --- admin: users ------------------------------------------------------------------------------------

def chosen_teams(team_ids: list[int]) -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.id.in_(team_ids)))) if team_ids else []


def users_page():
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_page("workspace/admin/users.html", users=users)


def user_form_page(user: User | None, status: int = 200, values: dict | None = None,
                   errors: dict | None = None):
    if values is None:
        values = ({"role": "coordinator", "teams": []} if user is None else
                  {"name": user.name, "role": user.role, "teams": [str(t) for t in user.team_ids],
                   "active": user.disabled_at is None})
    # `account`, not `user`: the base template's signed-in `user` would shadow it in the page's blocks
    return render_page("workspace/admin/user.html", status=status, account=user, role_options=role_options(),
                       team_options=[(team.id, team.name) for team in all_teams()], values=values,
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
    if errors:
        return user_form_page(None, 422, data, errors)
    try:
        user = create_user(values["email"], values["password"], values["role"], values["name"])
    except ApiError as err:
        return user_form_page(None, 409, data, form_error(err.field, _(err.message)))
    set_memberships(user, chosen_teams(values["teams"]))
    db.session.commit()
    return redirect(url_for("accounts.user", user_id=user.id), code=303)


@accounts_blueprint.get("/admin/users/<int:user_id>")
@admin_required
def user(user_id):
    return user_form_page(db.get_or_404(User, user_id))


@accounts_blueprint.post("/admin/users/<int:user_id>")
@admin_required
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    data = form_data(list_fields=("teams",))
    values, errors = load_form(user_edit_schema, data, ("teams",))
    if not errors and user.id == current_user().id and (values["role"] != "admin" or not values["active"]):
        errors = form_error("role", _("You cannot take away your own administrator rights."))
    if errors:
        return user_form_page(user, 422, data, errors)
    apply_user_changes(user, values)
    db.session.commit()
    return redirect(url_for("accounts.user", user_id=user.id), code=303)


def apply_user_changes(user: User, values: dict) -> None:
    user.name, user.role = values["name"], values["role"]
    set_memberships(user, chosen_teams(values["teams"]))
    if values["password"]:
        set_password(user, values["password"])
    if values["active"]:
        enable_user(user)
    else:
        disable_user(user)


@accounts_blueprint.post("/admin/users/<int:user_id>/sign-out-everywhere")
@admin_required
def sign_out_user_everywhere(user_id):
    revoke_sessions(db.get_or_404(User, user_id))
    db.session.commit()
    return redirect(url_for("accounts.user", user_id=user_id), code=303)
