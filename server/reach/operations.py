"""Storing the neighbourhood's make-up of a campaign (flush, never commit)."""

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..extensions import db
from ..results.charts import number
from ..util import utcnow
from .dimensions import Dimension
from .models import NeighbourhoodGroup, NeighbourhoodProfile

#: Percentages may add up to a little over 100 through rounding.
PERCENT_TOLERANCE = 0.5


def stored_make_up(campaign_id) -> dict[str, tuple[str, dict[str, float]]]:
    """``{dimension: (unit, {group: amount})}`` as stored."""
    make_up: dict[str, tuple[str, dict]] = {}
    for group in db.session.scalars(select(NeighbourhoodGroup).where(NeighbourhoodGroup.campaign_id == campaign_id)
                                    .order_by(NeighbourhoodGroup.id)):
        make_up.setdefault(group.dimension, (group.unit, {}))[1][group.group_key] = group.amount
    return make_up


def read_make_up_form(dimensions: list[Dimension], values: dict) -> dict[str, tuple[str, dict[str, float]]]:
    """The make-up form's numbers per dimension; group numbers the form does not have are ignored."""
    make_up = {}
    for dimension in dimensions:
        amounts = values["amount"].get(dimension.form_name, {})
        groups = {dimension.groups[int(index)][0]: amount for index, amount in amounts.items()
                  if int(index) < len(dimension.groups)}
        make_up[dimension.key] = (values["unit"].get(dimension.form_name, "percent"), groups)
    return make_up


def check_make_up(dimensions: list[Dimension], make_up: dict) -> dict[str, list[str]]:
    """Errors by form field: percentages over 100, alone or together."""
    errors = {}
    for dimension in dimensions:
        unit, amounts = make_up.get(dimension.key, ("percent", {}))
        if unit != "percent":
            continue
        total = sum(amounts.values())
        if any(amount > 100 for amount in amounts.values()) or total > 100 + PERCENT_TOLERANCE:
            errors[f"amount.{dimension.form_name}"] = [
                _("The percentages of {dimension} add up to {total}%, more than 100.").format(
                    dimension=dimension.title, total=number(round(total, 1)))]
    return errors


def profile_for(campaign) -> NeighbourhoodProfile:
    profile = db.session.get(NeighbourhoodProfile, campaign.id)
    if profile is None:
        profile = NeighbourhoodProfile(campaign_id=campaign.id)
        db.session.add(profile)
        db.session.flush()
    return profile


def save_make_up(campaign, make_up: dict, user, source_note: str | None = None) -> NeighbourhoodProfile:
    """Replace the figures of the dimensions in `make_up` (others stay as they are)."""
    profile = profile_for(campaign)
    if source_note is not None:
        profile.source_note = source_note
    profile.updated_by, profile.updated_at = user.id, utcnow()
    db.session.execute(delete(NeighbourhoodGroup).where(NeighbourhoodGroup.campaign_id == campaign.id,
                                                        NeighbourhoodGroup.dimension.in_(list(make_up))))
    for dimension, (unit, amounts) in make_up.items():
        for group_key, amount in amounts.items():
            db.session.add(NeighbourhoodGroup(campaign_id=campaign.id, dimension=dimension, group_key=group_key,
                                              amount=amount, unit=unit))
    db.session.flush()
    return profile
