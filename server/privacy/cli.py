"""`wijkstem audit-log`: the audit log on the server's command line, every team's and the events of no team."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..teams.cli import find_team
from .models import AuditEvent


@click.command("audit-log")
@click.option("--team", "team_slug", default=None, help="only this team's events")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def audit_log_command(team_slug, limit):
    """Print the newest audit events (of every team, and those of accounts in no team), newest first."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    if team_slug:
        query = query.where(AuditEvent.team_id == find_team(team_slug).id)
    for event in db.session.scalars(query):
        who = event.actor or "-"
        if event.actor_teams:
            who += f" ({event.actor_teams})"
        details = " ".join(f"{key}={value}" for key, value in sorted(event.details.items()))
        click.echo(f"{event.created_at:%Y-%m-%d %H:%M:%S}Z team={event.team_id or '-'} {who} {event.action} "
                   f"{event.object_type}:{event.object_id} {details}".rstrip())
