"""The one decision "may this user do this to this campaign?": by membership of the campaign's team, or by a
grant of a partnership in force now (read from the database on every request: nothing is cached in the
session, so ending a partnership takes effect on the next request).

Every route that touches a campaign's data calls `server.accounts.auth.require_campaign` with one of
`ACTIONS`; that function asks `campaign_access` here.
"""

from sqlalchemy import or_, select

from ..extensions import db
from .models import Partnership

#: action -> (needs a writing role, the partnership grant that allows it; ``None``: members only).
#: ``view`` the campaign's pages; ``results`` totals and the reach report (a partner: with small groups
#: hidden); ``flyers`` see and print flyers; ``studio`` open the recording studio; ``read`` answers and
#: transcripts; ``listen`` recordings; ``propose_voice`` record a clip (a partner's waits for the owner's
#: approval); ``enrol`` a phone for the campaign; ``write`` change the campaign, its sources or its responses;
#: ``export`` download responses.
ACTIONS = {
    "view": (False, None),
    "results": (False, "results"),
    "flyers": (False, "flyers"),
    "studio": (False, "voice"),
    "read": (True, "read"),
    "listen": (True, "listen"),
    "propose_voice": (True, "voice"),
    "enrol": (True, "phones"),
    "write": (True, None),
    "export": (True, None),
}


def partnerships_for(user, owner_team_id: int, campaign_id) -> list[Partnership]:
    """The partnerships in force through which `user`'s teams help with this campaign of `owner_team_id`."""
    if not user.team_ids:
        return []
    return list(db.session.scalars(select(Partnership).where(
        Partnership.owner_team_id == owner_team_id, Partnership.partner_team_id.in_(user.team_ids),
        Partnership.ended_at.is_(None),
        or_(Partnership.campaign_id.is_(None), Partnership.campaign_id == campaign_id))
        .order_by(Partnership.id)))


def granting_partnership(user, campaign, grant: str) -> Partnership | None:
    """The first partnership in force that gives `user`'s teams `grant` on `campaign`."""
    for partnership in partnerships_for(user, campaign.team_id, campaign.id):
        if grant in partnership.current_grants():
            return partnership
    return None


def campaign_access(user, campaign, action: str) -> tuple[str, Partnership | None]:
    """``("allowed" | "forbidden" | "hidden", partnership)``: may `user` do `action` on `campaign`?

    A member of the campaign's team acts by their role (``partnership`` is ``None``). Anyone else, a server
    administrator too, only through a partnership in force whose grants include the one `action` needs;
    without it the campaign is hidden (404), exactly as for a stranger.
    """
    needs_writer, grant = ACTIONS[action]
    if campaign.team_id in user.team_ids:
        return ("forbidden" if needs_writer and not user.can_write else "allowed"), None
    partnership = granting_partnership(user, campaign, grant) if grant else None
    if partnership is None:
        return "hidden", None
    return ("forbidden" if needs_writer and not user.can_write else "allowed"), partnership
