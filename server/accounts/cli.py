"""`wijkstem create-admin`: the first account, made on the server itself."""

import sys

import click
from flask.cli import with_appcontext

from ..errors import ApiError
from ..extensions import db
from ..forms import load_form
from ..teams.cli import find_team
from .operations import create_user, set_memberships
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
@with_appcontext
def create_admin(email, name, password_stdin, team_slugs):
    """Make an administrator account (asks for the password twice)."""
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
    db.session.commit()
    click.echo(f"administrator {user.email} made")
