"""The workspace's home: the campaigns of the signed-in user's teams."""

from flask import Blueprint
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.auth import current_user, login_required
from ..campaigns.models import Campaign
from ..errors import N_
from ..extensions import db
from ..pages import install_page_handlers, render_page

workspace_blueprint = Blueprint("workspace", __name__, url_prefix="/workspace")
install_page_handlers(workspace_blueprint)

STATE_NAMES = {"draft": N_("Draft"), "published": N_("Published"), "closed": N_("Closed")}


@workspace_blueprint.app_template_global()
def campaign_state_name(state: str) -> str:
    return _(STATE_NAMES.get(state, state))


def campaigns_by_team(user) -> list[tuple]:
    """``[(team, [campaign, ...]), ...]`` for every team of `user`, newest campaign first."""
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.team_id.in_(user.team_ids)).order_by(Campaign.created_at.desc())).all()
    return [(team, [c for c in campaigns if c.team_id == team.id]) for team in user.teams]


@workspace_blueprint.get("/")
@login_required
def dashboard():
    return render_page("workspace/dashboard.html", teams=campaigns_by_team(current_user()))
