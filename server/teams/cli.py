"""`wijkstem create-team`, and finding a team by its short name for the other commands."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from .models import Team
from .operations import team_by_slug


def find_team(slug: str) -> Team:
    """The team with this short name.

    :raise click.ClickException: there is none.
    """
    team = team_by_slug(slug)
    if team is None:
        raise click.ClickException(f"no team {slug!r}; make one with `wijkstem create-team`")
    return team


@click.command("create-team")
@click.argument("slug")
@click.argument("name")
@click.option("--kind", type=click.Choice(["municipal", "initiative"]), default="initiative")
@with_appcontext
def create_team(slug, name, kind):
    """Make a team (a municipal team or a resident initiative)."""
    db.session.add(Team(slug=slug, name=name, kind=kind))
    db.session.commit()
    click.echo(f"team {slug} made")
