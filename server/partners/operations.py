"""Invitations, partnerships, grants, support requests and what partners did (flush, never commit)."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from ..campaigns.models import Campaign
from ..errors import N_, ApiError
from ..extensions import db
from ..privacy.models import AuditEvent
from ..privacy.operations import record_team_event
from ..util import human_code, normalise_code, sha256_hex, utcnow
from .models import GRANTS, Partnership, PartnershipGrant, PartnershipInvitation, SupportRequest, TextProposal

INVITATION_CODE_LENGTH = 12  # about 60 bits, valid for days, single use, rate-limited
#: The owner's audit events that show what a partner did with its grants.
PARTNER_EVENTS = ("partner_read", "listen", "clip_proposed", "text_proposed", "enrol_code_made", "device_enrolled",
                  "flyer_printed")
#: Support request states each side may set.
PARTNER_ANSWERS = ("accepted", "done", "declined")
OWNER_ANSWERS = ("withdrawn", "done")


def audit(action: str, partnership: Partnership, user, object_type="partnership", object_id=None, **details):
    """One event in each side's audit log: both teams see what happened to their partnership."""
    for team_id in {partnership.owner_team_id, partnership.partner_team_id}:
        record_team_event(action, team_id, object_type, object_id or partnership.id, user,
                          campaign_id=partnership.campaign_id, owner=partnership.owner.slug,
                          partner=partnership.partner.slug, **details)


# --- invitations --------------------------------------------------------------------------------------

def make_invitation(owner_team, campaign: Campaign | None, user) -> str:
    """A one-time code inviting a partner for `campaign` (``None``: all the owner's campaigns); returned once."""
    code = human_code(INVITATION_CODE_LENGTH)
    hours = current_app.config["PARTNER_INVITATION_HOURS"]
    invitation = PartnershipInvitation(owner_team_id=owner_team.id, campaign_id=campaign.id if campaign else None,
                                       code_hash=sha256_hex(code), created_by=user.id,
                                       expires_at=utcnow() + timedelta(hours=hours))
    db.session.add(invitation)
    db.session.flush()
    record_team_event("partner_invited", owner_team.id, "team", owner_team.id, user,
                      campaign_id=invitation.campaign_id, hours=hours)
    return code


def accept_invitation(code: str, partner_team, user) -> Partnership:
    """Trade a valid, unused code for a partnership of `partner_team` (without grants: the owner gives them).

    :raise ApiError 400: unknown, used or expired code (one message for all three); 422: the inviting team
        itself; 409: the teams already have this partnership.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(PartnershipInvitation)
        .where(PartnershipInvitation.code_hash == sha256_hex(normalise_code(code)),
               PartnershipInvitation.used_at.is_(None), PartnershipInvitation.expires_at > now)
        .values(used_at=now).returning(PartnershipInvitation.id)).scalar_one_or_none()
    if claimed is None:
        raise ApiError(400, "invitation_invalid", N_("This invitation code is not valid (any more). Ask the "
                                                     "team that invited you for a new one."), field="code")
    invitation = db.session.get(PartnershipInvitation, claimed)
    if invitation.owner_team_id == partner_team.id:
        raise ApiError(422, "own_team", N_("A team cannot be its own partner."), field="team")
    if active_partnership(invitation.owner_team_id, partner_team.id, invitation.campaign_id) is not None:
        raise ApiError(409, "already_partners", N_("Your team is already a partner for this."), field="code")
    partnership = Partnership(owner_team_id=invitation.owner_team_id, partner_team_id=partner_team.id,
                              campaign_id=invitation.campaign_id, invited_by=invitation.created_by,
                              accepted_by=user.id, created_at=now)
    db.session.add(partnership)
    db.session.flush()
    invitation.partnership_id = partnership.id
    audit("partnership_started", partnership, user)
    return partnership


def active_partnership(owner_team_id: int, partner_team_id: int, campaign_id) -> Partnership | None:
    query = select(Partnership).where(
        Partnership.owner_team_id == owner_team_id, Partnership.partner_team_id == partner_team_id,
        Partnership.ended_at.is_(None),
        Partnership.campaign_id == campaign_id if campaign_id else Partnership.campaign_id.is_(None))
    return db.session.scalars(query).first()


# --- grants and the end ---------------------------------------------------------------------------------

def set_grants(partnership: Partnership, wanted: set[str], user) -> tuple[list[str], list[str]]:
    """Give the grants in `wanted` not given yet, take back the others; ``(given, taken back)``."""
    now = utcnow()
    current = {grant.grant: grant for grant in partnership.grants if grant.revoked_at is None}
    given = [name for name in GRANTS if name in wanted and name not in current]
    taken = [name for name in GRANTS if name in current and name not in wanted]
    for name in given:
        partnership.grants.append(PartnershipGrant(grant=name, given_at=now, given_by=user.id))
    for name in taken:
        current[name].revoked_at, current[name].revoked_by = now, user.id
    db.session.flush()
    for name in given:
        audit("grant_given", partnership, user, grant=name)
    for name in taken:
        audit("grant_revoked", partnership, user, grant=name)
    return given, taken


def end_partnership(partnership: Partnership, user) -> None:
    """End it at once, from either side: every grant ends with it, and the public thanks."""
    if partnership.ended_at is not None:
        return
    now = utcnow()
    for grant in partnership.grants:
        if grant.revoked_at is None:
            grant.revoked_at, grant.revoked_by = now, user.id
    partnership.ended_at, partnership.ended_by, partnership.credited = now, user.id, False
    db.session.flush()
    audit("partnership_ended", partnership, user)


def set_credit(partnership: Partnership, credited: bool, user) -> None:
    if partnership.credited != credited:
        partnership.credited = credited
        db.session.flush()
        audit("credit_changed", partnership, user, credited=credited)


# --- what each side sees --------------------------------------------------------------------------------

def team_partnerships(team_ids: set[int]) -> list[Partnership]:
    """Every partnership (in force first, then ended) in which one of `team_ids` owns or helps."""
    if not team_ids:
        return []
    rows = db.session.scalars(select(Partnership).where(
        or_(Partnership.owner_team_id.in_(team_ids), Partnership.partner_team_id.in_(team_ids))))
    return sorted(rows, key=lambda p: (p.ended_at is not None, -p.created_at.timestamp()))


def covered_campaigns(partnership: Partnership) -> list[Campaign]:
    """The owner's campaigns this partnership is about (all of them, or its one campaign)."""
    if partnership.campaign_id is not None:
        return [partnership.campaign]
    return list(db.session.scalars(select(Campaign).where(Campaign.team_id == partnership.owner_team_id)
                                   .order_by(Campaign.created_at.desc())))


def partner_activity(partnership: Partnership, limit: int = 200) -> list[AuditEvent]:
    """What the partner's people did with the owner's campaigns since the partnership began, newest first:
    read answers, listened, proposed recordings, enrolled phones, printed flyers."""
    query = select(AuditEvent).where(AuditEvent.team_id == partnership.owner_team_id,
                                     AuditEvent.action.in_(PARTNER_EVENTS),
                                     AuditEvent.created_at >= partnership.created_at)
    if partnership.ended_at is not None:
        query = query.where(AuditEvent.created_at <= partnership.ended_at)
    if partnership.campaign_id is not None:
        query = query.where(AuditEvent.campaign_id == partnership.campaign_id)
    slug = partnership.partner.slug
    events = db.session.scalars(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit * 4))
    return [event for event in events if slug in event.actor_teams.split(",")][:limit]


def credited_partners(campaign: Campaign) -> str:
    """The names the owner thanks on the public results page ("with support from ..."), or ``""``."""
    rows = db.session.scalars(select(Partnership).where(
        Partnership.owner_team_id == campaign.team_id, Partnership.ended_at.is_(None), Partnership.credited,
        or_(Partnership.campaign_id.is_(None), Partnership.campaign_id == campaign.id)))
    return ", ".join(sorted({partnership.partner.name for partnership in rows}))


# --- support requests -----------------------------------------------------------------------------------

def ask_support(partnership: Partnership, kind: str, body: str, user) -> SupportRequest:
    request = SupportRequest(partnership_id=partnership.id, kind=kind, body=body.strip(), created_by=user.id)
    db.session.add(request)
    db.session.flush()
    audit("support_requested", partnership, user, "support_request", request.id, kind=kind)
    return request


def answer_support(request: SupportRequest, state: str, user) -> None:
    request.state, request.answered_at, request.answered_by = state, utcnow(), user.id
    db.session.flush()
    audit("support_answered", request.partnership, user, "support_request", request.id, state=state)


def support_requests(partnership: Partnership) -> list[SupportRequest]:
    return list(db.session.scalars(select(SupportRequest).where(SupportRequest.partnership_id == partnership.id)
                                   .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())))


# --- translations a partner proposes --------------------------------------------------------------------

def propose_text(campaign: Campaign, language: str, slot: str, text: str, team_id: int, user) -> TextProposal:
    """Keep a partner's translation of one text until the owner decides; it replaces that team's earlier one."""
    for old in db.session.scalars(select(TextProposal).where(
            TextProposal.campaign_id == campaign.id, TextProposal.language == language, TextProposal.slot == slot,
            TextProposal.proposed_by_team_id == team_id)):
        db.session.delete(old)
    proposal = TextProposal(campaign_id=campaign.id, language=language, slot=slot, text=text.strip(),
                            proposed_by_team_id=team_id, proposed_by=user.id)
    db.session.add(proposal)
    db.session.flush()
    return proposal


def text_proposals(campaign: Campaign, language: str) -> dict[str, list[TextProposal]]:
    """The translations partners proposed for `campaign` in `language`, by text (slot name), oldest first."""
    waiting: dict[str, list[TextProposal]] = {}
    for proposal in db.session.scalars(select(TextProposal).where(
            TextProposal.campaign_id == campaign.id, TextProposal.language == language)
            .order_by(TextProposal.created_at, TextProposal.id)):
        waiting.setdefault(proposal.slot, []).append(proposal)
    return waiting
