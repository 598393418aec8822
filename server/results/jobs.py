"""``results_refresh``: the running totals brought up to date in the background (every
`RESULTS_REFRESH_SECONDS` for every campaign, and for one campaign when a results page found more new responses
than it counts before it answers)."""

import uuid

from sqlalchemy import select

from ..campaigns.models import Campaign
from ..extensions import db
from ..jobs.queue import job
from .rollup import refresh_rollups

#: Responses per transaction, so a long catch-up neither holds locks long nor loses its work.
BATCH = 50_000


@job("results_refresh", object_type="campaign", key="campaign_id")
def results_refresh_job(campaign_id: str | None = None) -> None:
    """Catch up with one campaign's (or every campaign's) new, hidden and unhidden responses."""
    if campaign_id is None:
        campaigns = list(db.session.scalars(select(Campaign.id).order_by(Campaign.created_at)))
    else:
        campaigns = [uuid.UUID(campaign_id)]
    for campaign in campaigns:
        while refresh_rollups(campaign, limit=BATCH):
            db.session.commit()
