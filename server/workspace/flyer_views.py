"""Where a campaign is handed out (sources), their print-ready flyers and their QR codes."""

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..accounts.auth import acting_partnership, current_user, login_required, require_campaign
from ..campaigns.models import Campaign, Source
from ..campaigns.operations import create_source, revoke_source
from ..extensions import db
from ..forms import form_data, load_form
from ..pages import render_page
from ..privacy.operations import record_event, record_event_once_a_day
from ..qr import module_count, public_url, qr_png, qr_svg
from ..util import normalise_code
from ..voicepacks.operations import unready_languages
from .common import editable_campaign
from .flyer_pdf import PAPERS, SHEETS, Flyer, flyer_pdf, sheet_pdf
from .flyer_texts import flyer_texts
from .schemas import flyer_options_schema, source_form_schema

sources_blueprint = Blueprint("sources", __name__, url_prefix="/campaigns")


def flyer_url(code: str) -> str:
    """The flyer's full address (what its QR code holds)."""
    return public_url(f"/f/{code}")


#: Paper sizes: how many languages fit, and how wide the QR code is printed (mm).
SIZES = {size: {"languages": paper.languages, "qr_mm": paper.qr_mm} for size, paper in PAPERS.items()}


def campaign_sources(campaign: Campaign) -> list[Source]:
    return list(db.session.scalars(select(Source).where(Source.campaign_id == campaign.id)
                                   .order_by(Source.created_at, Source.id)))


def campaign_source(campaign: Campaign, source_id: int) -> Source:
    """The source `source_id` of `campaign`, or 404 (also for another campaign's source)."""
    source = db.session.get(Source, source_id)
    if source is None or source.campaign_id != campaign.id:
        abort(404)
    return source


def sources_page(campaign: Campaign, status: int = 200, values: dict | None = None,
                 errors: dict | None = None):
    partner = acting_partnership()
    return render_page("workspace/sources.html", status=status, campaign=campaign,
                       sources=campaign_sources(campaign), values=values or {"kind": "flyer"}, partner=partner,
                       errors=errors or {}, can_write=partner is None and current_user().can_write
                       and campaign.state != "closed")


@sources_blueprint.get("/<uuid:campaign_id>/sources")
@login_required
def sources(campaign_id):
    return sources_page(require_campaign(campaign_id, action="flyers"))


@sources_blueprint.post("/<uuid:campaign_id>/sources")
@login_required
def add_source(campaign_id):
    campaign = editable_campaign(campaign_id)
    data = form_data()
    values, errors = load_form(source_form_schema, data)
    if errors:
        return sources_page(campaign, 422, data, errors)
    source = create_source(campaign, values["name"], values["kind"])
    record_event("flyer_made", campaign, "source", source.id, current_user(), kind=source.kind)
    db.session.commit()
    return redirect(url_for(".sources", campaign_id=campaign.id), code=303)


@sources_blueprint.post("/<uuid:campaign_id>/sources/<int:source_id>/revoke")
@login_required
def revoke(campaign_id, source_id):
    """Stop a source: its link then shows "this poll has closed"; answers already given stay."""
    campaign = require_campaign(campaign_id, write=True)
    source = campaign_source(campaign, source_id)
    revoke_source(source)
    record_event("flyer_revoked", campaign, "source", source.id, current_user(), kind=source.kind)
    db.session.commit()
    return redirect(url_for(".sources", campaign_id=campaign.id), code=303)


# --- flyers ------------------------------------------------------------------------------------------

def chosen_flyer_options(campaign: Campaign, sizes=SIZES, default: str = "a5") -> tuple[dict, str | None]:
    """Size (one of `sizes`, else `default`) and languages from the query string (unknown ones left out), and a
    note if some did not fit."""
    languages = campaign.definition["languages"]
    asked = {"size": request.args.get("size") if request.args.get("size") in sizes else default,
             "langs": [code for code in request.args.getlist("langs") if code in languages]}
    values, _errors = load_form(flyer_options_schema, asked)
    chosen = values["langs"] or default_flyer_languages(campaign, SIZES[values["size"]]["languages"])
    fits = SIZES[values["size"]]["languages"]
    note = None
    if len(chosen) > fits:
        note = ngettext("At most {count} language fits on this size; make a second flyer for the others.",
                        "At most {count} languages fit on this size; make a second flyer for the others.",
                        fits).format(count=fits)
    return {"size": values["size"], "langs": chosen[:fits]}, note


def default_flyer_languages(campaign: Campaign, fits: int) -> list[str]:
    """The languages a flyer starts with: the campaign's own, the default first, as many as fit on the paper
    (residents who may not read Dutch find theirs without the coordinator ticking boxes)."""
    default = campaign.definition["default_language"]
    return [default, *[code for code in campaign.definition["languages"] if code != default]][:fits]


@sources_blueprint.get("/<uuid:campaign_id>/sources/<int:source_id>/flyer")
@login_required
def flyer(campaign_id, source_id):
    """A print-ready A4 poster, A5 flyer or A6 door-hanger for one source, in the chosen languages.

    A language residents cannot hear yet (not translated and recorded) is printed only once the coordinator
    confirmed it (``unready=1``): until then the page asks instead of showing the flyer.
    """
    campaign = require_campaign(campaign_id, action="flyers")
    source = campaign_source(campaign, source_id)
    note_partner_printing(campaign, source)
    options, note = chosen_flyer_options(campaign)
    url = flyer_url(source.code)
    size = SIZES[options["size"]]
    unready = [status for status in unready_languages(campaign) if status.language in options["langs"]]
    return render_page(
        "workspace/flyer.html", campaign=campaign, source=source, options=options, note=note, url=url,
        unready=unready, confirmed=request.args.get("unready") == "1",
        short_url=url.split("://", 1)[-1], qr=qr_svg(url, _("QR code for {url}").format(url=url)),
        texts=[flyer_texts(campaign, code) for code in options["langs"]], sizes=list(SIZES),
        module_mm=round(size["qr_mm"] / module_count(url), 2), qr_mm=size["qr_mm"],
        spaced_code=spaced(source.code), sheets=SHEETS)


def note_partner_printing(campaign, source: Source) -> None:
    """A partner's flyer (page or PDF) goes into the owning team's audit log, once a day per person."""
    if acting_partnership() is not None:
        record_event_once_a_day("flyer_printed", campaign, "source", source.id, current_user())
        db.session.commit()


def spaced(code: str) -> str:
    return " ".join([code[:3], code[3:]])


def flyer_pdf_reply(campaign_id, source_id, make, suffix: str, sizes=SIZES, default: str = "a5"):
    """A flyer PDF of the page's size and languages; until unready languages are confirmed, the page asks."""
    campaign = require_campaign(campaign_id, action="flyers")
    source = campaign_source(campaign, source_id)
    note_partner_printing(campaign, source)
    options, _note = chosen_flyer_options(campaign, sizes, default)
    unready = [status for status in unready_languages(campaign) if status.language in options["langs"]]
    if unready and request.args.get("unready") != "1":
        return redirect(url_for(".flyer", campaign_id=campaign.id, source_id=source.id, **options), code=303)
    url = flyer_url(source.code)
    flyer = Flyer(size=options["size"], texts=[flyer_texts(campaign, code) for code in options["langs"]], url=url,
                  short_url=url.split("://", 1)[-1], code=spaced(source.code), team=campaign.team.name,
                  title=f"{campaign.title()} · {source.name}")
    return qr_download(make(flyer), "application/pdf", source, "pdf", f"-{options['size']}{suffix}")


@sources_blueprint.get("/<uuid:campaign_id>/sources/<int:source_id>/flyer.pdf")
@login_required
def flyer_download(campaign_id, source_id):
    """The flyer as a PDF on its own paper, for a print shop or a copier."""
    return flyer_pdf_reply(campaign_id, source_id, flyer_pdf, "")


@sources_blueprint.get("/<uuid:campaign_id>/sources/<int:source_id>/sheet.pdf")
@login_required
def sheet_download(campaign_id, source_id):
    """Several A6 door-hangers (the default) or A5 cards on one A4 sheet, to cut (an A4 poster is a flyer on its
    own)."""
    return flyer_pdf_reply(campaign_id, source_id, sheet_pdf, "-sheet", SHEETS, "a6")


def qr_download(body, mimetype: str, source: Source, extension: str, suffix: str = "") -> Response:
    response = Response(body, mimetype=mimetype)
    name = f"wijkstem-{normalise_code(source.code).lower()}{suffix}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@sources_blueprint.get("/<uuid:campaign_id>/sources/<int:source_id>/qr.svg")
@login_required
def qr_code_svg(campaign_id, source_id):
    source = campaign_source(require_campaign(campaign_id, action="flyers"), source_id)
    svg = f'<?xml version="1.0" encoding="UTF-8"?>\n{qr_svg(flyer_url(source.code))}'
    return qr_download(svg, "image/svg+xml", source, "svg")


@sources_blueprint.get("/<uuid:campaign_id>/sources/<int:source_id>/qr.png")
@login_required
def qr_code_png(campaign_id, source_id):
    source = campaign_source(require_campaign(campaign_id, action="flyers"), source_id)
    return qr_download(qr_png(flyer_url(source.code)), "image/png", source, "png")
