"""The workspace's home (the campaigns of the signed-in user's teams) and its parts."""

from flask import Blueprint
from sqlalchemy import select

from ..accounts.auth import current_user, login_required
from ..campaigns.models import Campaign
from ..extensions import db
from ..pages import install_page_handlers, render_page
from .campaign_views import campaigns_blueprint
from .common import register_template_helpers
from .device_views import devices_blueprint
from .flyer_views import sources_blueprint
from .preview import preview_blueprint
from .question_views import questions_blueprint
from .studio_views import studio_blueprint
from .text_views import texts_blueprint

workspace_blueprint = Blueprint("workspace", __name__, url_prefix="/workspace")
install_page_handlers(workspace_blueprint)
register_template_helpers(workspace_blueprint)
for part in (campaigns_blueprint, texts_blueprint, questions_blueprint, preview_blueprint, sources_blueprint,
             devices_blueprint, studio_blueprint):
    workspace_blueprint.register_blueprint(part)


def campaigns_by_team(user) -> list[tuple]:
    """``[(team, [campaign, ...]), ...]`` for every team of `user`, newest campaign first."""
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.team_id.in_(user.team_ids)).order_by(Campaign.created_at.desc())).all()
    return [(team, [c for c in campaigns if c.team_id == team.id]) for team in user.teams]


@workspace_blueprint.get("/")
@login_required
def dashboard():
    return render_page("workspace/dashboard.html", teams=campaigns_by_team(current_user()))
