"""`wijkstem results refresh` and `wijkstem results rebuild`: the running totals ahead of the pages."""

import uuid

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..campaigns.models import Campaign
from ..extensions import db
from .rollup import rebuild_rollups, refresh_rollups

#: Responses per transaction, so a long catch-up neither holds locks long nor loses its work.
BATCH = 50_000


def chosen_campaigns(campaign_id: str | None) -> list:
    if campaign_id is None:
        return list(db.session.scalars(select(Campaign.id).order_by(Campaign.created_at)))
    try:
        wanted = uuid.UUID(campaign_id)
    except ValueError:
        raise click.BadParameter("not a campaign id", param_hint="--campaign")
    if db.session.get(Campaign, wanted) is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    return [wanted]


@click.group("results")
def results_group():
    """Keep the results' running totals up to date (the pages also do it as they open)."""


@results_group.command("refresh")
@click.option("--campaign", "campaign_id", default=None, help="one campaign's id (default: every campaign)")
@with_appcontext
def refresh(campaign_id):
    """Count new, hidden and unhidden responses; run it after a large import, or nightly."""
    for campaign in chosen_campaigns(campaign_id):
        done = 0
        while counted := refresh_rollups(campaign, limit=BATCH):
            db.session.commit()
            done += counted
        click.echo(f"campaign {campaign}: {done} responses brought up to date")


@results_group.command("rebuild")
@click.option("--campaign", "campaign_id", default=None, help="one campaign's id (default: every campaign)")
@with_appcontext
def rebuild(campaign_id):
    """Count every response again from scratch (after restoring a backup, or to check the totals)."""
    for campaign in chosen_campaigns(campaign_id):
        counted = rebuild_rollups(campaign)
        db.session.commit()
        click.echo(f"campaign {campaign}: {counted} responses counted")
