"""The partnership pages: invite a partner, accept an invitation, give and take back grants, end it, ask for
support, see what the partner did; and lending a phone to a campaign one helps with."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.auth import acting_partnership, current_user, login_required, require_campaign, require_team
from ..campaigns.models import Campaign
from ..devices.operations import make_enrolment_code
from ..errors import ApiError
from ..extensions import db, limiter
from ..forms import form_data, form_error, load_form
from ..pages import install_page_handlers, render_page
from ..privacy.operations import record_event
from ..qr import public_url, qr_svg
from ..util import utcnow
from ..workspace.device_views import enrol_lifetime
from .models import GRANTS, REQUEST_KINDS, Partnership, SupportRequest
from .operations import (
    OWNER_ANSWERS,
    PARTNER_ANSWERS,
    accept_invitation,
    answer_support,
    ask_support,
    covered_campaigns,
    end_partnership,
    make_invitation,
    partner_activity,
    set_credit,
    set_grants,
    support_requests,
    team_partnerships,
)
from .schemas import (
    accept_form_schema,
    answer_form_schema,
    credit_form_schema,
    grants_form_schema,
    invite_form_schema,
    lend_form_schema,
    support_form_schema,
)

partners_blueprint = Blueprint("partners", __name__, url_prefix="/workspace")
install_page_handlers(partners_blueprint)
partners_blueprint.add_app_template_global(acting_partnership)


def admin_teams(user) -> list:
    """The teams whose partnerships `user` decides on: their own teams, if they are an admin."""
    return user.teams if user.role == "admin" else []


def require_team_admin(team_id: int):
    """The team `team_id` if the signed-in user is one of its admins (404 for other teams, 403 for its
    coordinators and field workers)."""
    team = require_team(team_id)
    if current_user().role != "admin":
        abort(403)
    return team


def require_partnership(partnership_id: int) -> tuple[Partnership, str]:
    """The partnership and the signed-in user's side of it (``owner`` or ``partner``); 404 for anyone else,
    a server administrator in neither team too."""
    partnership = db.session.get(Partnership, partnership_id)
    user = current_user()
    if partnership is None:
        abort(404)
    if partnership.owner_team_id in user.team_ids:
        return partnership, "owner"
    if partnership.partner_team_id in user.team_ids:
        return partnership, "partner"
    abort(404)


def campaign_options(teams) -> list[tuple[str, str]]:
    """``(id, "team: title")`` of the campaigns of `teams`, newest first."""
    names = {team.id: team.name for team in teams}
    campaigns = db.session.scalars(select(Campaign).where(Campaign.team_id.in_(names))
                                   .order_by(Campaign.created_at.desc())).all() if names else []
    return [(str(campaign.id), f"{names[campaign.team_id]}: {campaign.title()}") for campaign in campaigns]


def index_page(status: int = 200, errors: dict | None = None, values: dict | None = None, code: str | None = None,
               invited=None):
    user = current_user()
    return render_page("partners/index.html", status=status, partnerships=team_partnerships(user.team_ids),
                       admin_teams=admin_teams(user), team_options=[(t.id, t.name) for t in admin_teams(user)],
                       campaign_options=campaign_options(admin_teams(user)), errors=errors or {}, values=values or {},
                       code=code, invited=invited)


@partners_blueprint.get("/partnerships")
@login_required
def index():
    """The partnerships of the user's teams, on either side; admins invite and accept here."""
    return index_page()


@partners_blueprint.post("/partnerships/invite")
@login_required
def invite():
    """Make a one-time invitation code; it is shown on this page only, once."""
    data = form_data()
    values, errors = load_form(invite_form_schema, data)
    if errors:
        return index_page(422, errors, data)
    team = require_team_admin(values["team"])
    campaign = None
    if values["campaign"] is not None:
        campaign = db.session.get(Campaign, values["campaign"])
        if campaign is None or campaign.team_id != team.id:
            return index_page(422, form_error("campaign", _("Choose one of your team's campaigns.")), data)
    code = make_invitation(team, campaign, current_user())
    db.session.commit()
    hours = current_app.config["PARTNER_INVITATION_HOURS"]
    return index_page(code=f"{code[:4]} {code[4:8]} {code[8:]}",
                      invited={"team": team, "campaign": campaign,
                               "expires": format_datetime(utcnow().replace(microsecond=0) +
                                                          timedelta(hours=hours), "short")})


def code_limit() -> str:
    return current_app.config["RATELIMIT_PARTNER_CODE"]


def account_key() -> str:
    user = current_user()
    return f"user:{user.id}" if user is not None else request.remote_addr or ""


@partners_blueprint.post("/partnerships/accept")
@limiter.limit(code_limit, methods=["POST"])
@limiter.limit(code_limit, methods=["POST"], key_func=account_key, scope="partner-code-account")
@login_required
def accept():
    """The partner team's admin types the code they were given."""
    data = form_data()
    values, errors = load_form(accept_form_schema, data)
    if errors:
        return index_page(422, errors, data)
    team = require_team_admin(values["partner_team"])
    try:
        partnership = accept_invitation(values["code"], team, current_user())
    except ApiError as err:
        db.session.rollback()
        return index_page(err.status, form_error(err.field or "code", _(err.message)), data)
    db.session.commit()
    return redirect(url_for(".partnership", partnership_id=partnership.id), code=303)


# --- one partnership ------------------------------------------------------------------------------------

def partnership_page(partnership: Partnership, side: str, status: int = 200, errors: dict | None = None,
                     values: dict | None = None):
    user = current_user()
    return render_page(
        "partners/partnership.html", status=status, partnership=partnership, side=side, grants=GRANTS,
        given={grant.grant: grant for grant in partnership.grants if grant.revoked_at is None},
        history=partnership.grants, activity=partner_activity(partnership),
        requests=support_requests(partnership), kinds=REQUEST_KINDS,
        campaigns=covered_campaigns(partnership) if partnership.active else [],
        current=partnership.current_grants(), is_admin=user.role == "admin", can_write=user.can_write,
        answers=PARTNER_ANSWERS if side == "partner" else OWNER_ANSWERS, errors=errors or {},
        values=values or {}, saved=request.args.get("saved"))


@partners_blueprint.get("/partnerships/<int:partnership_id>")
@login_required
def partnership(partnership_id):
    """Both sides see the grants and requests; the owner sees everything the partner did with them."""
    return partnership_page(*require_partnership(partnership_id))


def owner_admin_partnership(partnership_id: int) -> Partnership:
    """A partnership in force that the signed-in user decides on as an admin of the owning team."""
    partnership, side = require_partnership(partnership_id)
    if side != "owner" or current_user().role != "admin":
        abort(403)
    if not partnership.active:
        abort(409)
    return partnership


@partners_blueprint.post("/partnerships/<int:partnership_id>/grants")
@login_required
def grants(partnership_id):
    """The owner's admin chooses what the partner may do; each change takes effect on the next request."""
    partnership = owner_admin_partnership(partnership_id)
    values, errors = load_form(grants_form_schema, form_data(list_fields=("grants",)), ("grants",))
    if errors:
        return partnership_page(partnership, "owner", 422, errors)
    set_grants(partnership, set(values["grants"]), current_user())
    db.session.commit()
    return redirect(url_for(".partnership", partnership_id=partnership.id, saved="grants"), code=303)


@partners_blueprint.post("/partnerships/<int:partnership_id>/credit")
@login_required
def credit(partnership_id):
    """Whether the public results page thanks the partner ("with support from ...")."""
    partnership = owner_admin_partnership(partnership_id)
    values, errors = load_form(credit_form_schema, form_data())
    if errors:
        return partnership_page(partnership, "owner", 422, errors)
    set_credit(partnership, values["credited"], current_user())
    db.session.commit()
    return redirect(url_for(".partnership", partnership_id=partnership.id, saved="credit"), code=303)


@partners_blueprint.post("/partnerships/<int:partnership_id>/end")
@login_required
def end(partnership_id):
    """Either side's admin ends the partnership at once; every grant ends with it."""
    partnership, _side = require_partnership(partnership_id)
    if current_user().role != "admin":
        abort(403)
    end_partnership(partnership, current_user())
    db.session.commit()
    return redirect(url_for(".partnership", partnership_id=partnership.id, saved="ended"), code=303)


@partners_blueprint.post("/partnerships/<int:partnership_id>/requests")
@login_required
def ask(partnership_id):
    """The owner asks its partner for something specific."""
    partnership, side = require_partnership(partnership_id)
    if side != "owner" or not current_user().can_write:
        abort(403)
    if not partnership.active:
        abort(409)
    data = form_data()
    values, errors = load_form(support_form_schema, data)
    if errors:
        return partnership_page(partnership, side, 422, errors, data)
    ask_support(partnership, values["kind"], values["body"], current_user())
    db.session.commit()
    return redirect(url_for(".partnership", partnership_id=partnership.id, saved="asked", _anchor="requests"),
                    code=303)


@partners_blueprint.post("/partnerships/<int:partnership_id>/requests/<int:request_id>")
@login_required
def answer(partnership_id, request_id):
    """The partner says it will do it (or has done it, or cannot); the owner can withdraw it or call it done."""
    partnership, side = require_partnership(partnership_id)
    support = db.session.get(SupportRequest, request_id)
    if support is None or support.partnership_id != partnership.id:
        abort(404)
    if not current_user().can_write:
        abort(403)
    if not partnership.active:
        abort(409)
    values, errors = load_form(answer_form_schema, form_data())
    allowed = PARTNER_ANSWERS if side == "partner" else OWNER_ANSWERS
    if errors or values["state"] not in allowed:
        return partnership_page(partnership, side, 422, errors or form_error("state", _("Choose an answer.")))
    answer_support(support, values["state"], current_user())
    db.session.commit()
    return redirect(url_for(".partnership", partnership_id=partnership.id, _anchor="requests"), code=303)


# --- lending a phone ------------------------------------------------------------------------------------

@partners_blueprint.post("/campaigns/<uuid:campaign_id>/lend-phone")
@login_required
def lend_phone(campaign_id):
    """A one-time enrolment code for a phone that collects for this campaign only; what it collects belongs to
    the campaign's team, which sees the phone among its own and can revoke it."""
    campaign = require_campaign(campaign_id, action="enrol")
    values, errors = load_form(lend_form_schema, form_data())
    if errors:
        raise ApiError(422, "invalid_input", "; ".join(m for ms in errors.values() for m in ms))
    user = current_user()
    partnership = acting_partnership()
    lender = partnership.partner if partnership is not None else None
    code = make_enrolment_code(campaign.team, values["label"], campaign_id=campaign.id,
                               lent_by_team_id=lender.id if lender else None)
    record_event("enrol_code_made", campaign, "campaign", campaign.id, user, label=values["label"],
                 lent_by=lender.slug if lender else "")
    db.session.commit()
    url = public_url(f"/app/#enrol={code}")
    expires = format_datetime(utcnow().replace(microsecond=0) + enrol_lifetime(), "short")
    return render_page("workspace/enrol.html", team=campaign.team, label=values["label"], code=code, url=url,
                       qr=qr_svg(url, "QR"), expires=expires, spaced_code=f"{code[:5]} {code[5:]}",
                       back_url=url_for(".partnership", partnership_id=partnership.id) if partnership else None)
