"""Looking teams up."""

from sqlalchemy import select

from ..extensions import db
from .models import Team


def team_by_slug(slug: str) -> Team | None:
    """The team with this short name, or ``None``."""
    return db.session.scalars(select(Team).where(Team.slug == slug)).first()
