"""`wijkstem create-admin`: the first account, made on the server itself."""

import sys

import click
from flask.cli import with_appcontext

from ..errors import ApiError
from ..extensions import db
from ..forms import load_form
from ..privacy.operations import record_account_event
from ..teams.cli import find_team
from .operations import create_user, set_memberships, user_by_email
from .schemas import user_form_schema


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="name shown to colleagues")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input, do not ask")
@click.option("--team", "team_slugs", multiple=True, help="also make the admin a member of this team")
@click.option("--server-admin", is_flag=True, help="also give the right to manage every account and team")
@with_appcontext
def create_admin(email, name, password_stdin, team_slugs, server_admin):
    """Make an administrator account (asks for the password twice).

    An admin manages the members of their own teams (`--team`); a server administrator (`--server-admin`, or
    `wijkstem grant-server-admin` later) manages every account and team, but sees no team's data unless they
    are a member."""
    data = {"email": email, "name": name, "role": "admin", "password": read_password(password_stdin)}
    values, errors = load_form(user_form_schema, data)
    if errors:
        raise click.ClickException("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))
    teams = [find_team(slug) for slug in team_slugs]
    try:
        user = create_user(values["email"], values["password"], "admin", values["name"])
    except ApiError as err:
        raise click.ClickException(err.message)
    set_memberships(user, teams)
    user.server_admin = server_admin
    record_account_event("account_created", user, None, role="admin", server_admin=server_admin,
                         command="create-admin")
    db.session.commit()
    click.echo(f"{'server ' if server_admin else ''}administrator {user.email} made")


def account_or_fail(email: str):
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"there is no account {email}")
    return user


@click.command("grant-server-admin")
@click.argument("email")
@with_appcontext
def grant_server_admin(email):
    """Let an account manage every account and team (not the teams' data); only here, on the server."""
    user = account_or_fail(email)
    if not user.server_admin:
        user.server_admin = True
        record_account_event("server_admin_granted", user, None, command="grant-server-admin")
        db.session.commit()
    click.echo(f"{user.email} is a server administrator")


@click.command("revoke-server-admin")
@click.argument("email")
@with_appcontext
def revoke_server_admin(email):
    """Take the right to manage every account and team away again."""
    user = account_or_fail(email)
    if user.server_admin:
        user.server_admin = False
        record_account_event("server_admin_revoked", user, None, command="revoke-server-admin")
        db.session.commit()
    click.echo(f"{user.email} is no longer a server administrator")
