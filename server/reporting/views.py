"""Reporting back: the coordinators' settings of the public results page, and the page itself (``/r/<code>``)."""

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..accounts.auth import login_required, require_campaign
from ..errors import N_, ApiError
from ..extensions import db, limiter
from ..forms import form_data, form_error, load_form
from ..i18n import LANGUAGES, babel_locale
from ..pages import install_page_handlers, render_page
from ..partners.operations import credited_partners
from ..qr import public_url, qr_png, qr_svg
from ..results import charts
from ..results.views import catch_up_totals
from ..themes.quotes import public_quotes
from ..themes.results import public_theme_rows
from .operations import publish_report, published_report, report_for, save_next_steps, unpublish_report
from .public import public_results
from .schemas import next_steps_form_schema, public_page_query_schema

reporting_blueprint = Blueprint("reporting", __name__, url_prefix="/workspace/campaigns/<uuid:campaign_id>/report")
install_page_handlers(reporting_blueprint)
public_blueprint = Blueprint("public_results", __name__)


def report_url(code: str) -> str:
    """The public results page's full address (what its QR code holds)."""
    return public_url(url_for("public_results.page", code=code))


def campaign_languages(campaign) -> list[str]:
    return list(campaign.definition.get("languages", [])) or ["nl"]


def settings_page(campaign, status=200, values=None, errors=None, notice=None):
    report = report_for(campaign)
    db.session.commit()  # the page's code is made once, on first view
    url = report_url(report.code)
    return render_page("workspace/reporting/settings.html", status=status, campaign=campaign, report=report,
                       url=url, qr=qr_svg(url), page_languages=campaign_languages(campaign),
                       language_names=LANGUAGES,
                       values=values if values is not None else {"next_steps": report.next_steps},
                       errors=errors or {}, notice=notice)


@reporting_blueprint.get("")
@login_required
def settings(campaign_id):
    return settings_page(require_campaign(campaign_id), notice=request.args.get("done"))


@reporting_blueprint.post("/texts")
@login_required
def save_texts(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    data = form_data()
    values, errors = load_form(next_steps_form_schema, data)
    if errors:
        return settings_page(campaign, 422, data, errors)
    save_next_steps(report_for(campaign), values["next_steps"], campaign_languages(campaign))
    db.session.commit()
    return redirect(url_for("reporting.settings", campaign_id=campaign.id, done="saved"), code=303)


@reporting_blueprint.post("/publish")
@login_required
def publish(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    try:
        publish_report(report_for(campaign), campaign)
    except ApiError as err:
        db.session.rollback()
        return settings_page(campaign, err.status, errors=form_error(err.field or "", _(err.message)))
    db.session.commit()
    return redirect(url_for("reporting.settings", campaign_id=campaign.id, done="published"), code=303)


@reporting_blueprint.post("/unpublish")
@login_required
def unpublish(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    unpublish_report(report_for(campaign))
    db.session.commit()
    return redirect(url_for("reporting.settings", campaign_id=campaign.id, done="unpublished"), code=303)


@reporting_blueprint.get("/preview")
@login_required
def preview(campaign_id):
    campaign = require_campaign(campaign_id)
    report = report_for(campaign)
    return public_page(campaign, report, preview=True)


def qr_download(campaign_id, body, mimetype: str, extension: str) -> Response:
    campaign = require_campaign(campaign_id)
    report = report_for(campaign)
    db.session.commit()
    return Response(body(report_url(report.code)), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="wijkstem-results-{report.code}.{extension}"',
        "Cache-Control": "no-store"})


@reporting_blueprint.get("/qr.svg")
@login_required
def qr_svg_download(campaign_id):
    return qr_download(campaign_id, qr_svg, "image/svg+xml", "svg")


@reporting_blueprint.get("/qr.png")
@login_required
def qr_png_download(campaign_id):
    return qr_download(campaign_id, qr_png, "image/png", "png")


# --- the public page ---------------------------------------------------------------------------------

def public_limit() -> str:
    return current_app.config.get("RATELIMIT_PUBLIC_RESULTS", "60/minute;600/hour")


def page_language(languages: list[str], default: str) -> str:
    """``?lang=``, then the ``lang`` cookie, then the browser's languages, among the campaign's; else its main
    language. A language the campaign does not have is passed over, not refused: a resident followed a link."""
    values, _invalid = load_form(public_page_query_schema, {k: v for k, v in request.args.items() if v})
    for wanted in ((values or {}).get("lang"), request.cookies.get("lang")):
        if wanted in languages:
            return wanted
    return request.accept_languages.best_match(languages) or default


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


def public_context(campaign, report, language: str) -> dict:
    """What the public template needs, in `language` (the "next" text falls back to the main language)."""
    min_size = int(current_app.config.get("RESULTS_MIN_GROUP_SIZE", 10))
    default = campaign.definition.get("default_language", "nl")
    next_language = language if report.next_steps.get(language) else default
    url = report_url(report.code)
    results = public_results(campaign, language, min_size)
    themes = [] if results.too_few else public_theme_rows(campaign, language, min_size)
    quotes = [] if results.too_few else public_quotes(campaign.id, language, default)
    return {"campaign": campaign, "themes": themes, "quotes": quotes, "report": report, "lang": language,
            "page_languages": campaign_languages(campaign),
            "direction": LANGUAGES[language].direction if language in LANGUAGES else "ltr",
            "results": results, "min_size": min_size, "charts": charts,
            "title": campaign.title(language), "next_language": next_language,
            "next_steps": paragraphs(report.next_steps.get(next_language, "")), "url": url,
            "qr": qr_svg(url), "language_names": LANGUAGES, "supporters": credited_partners(campaign)}


def public_page(campaign, report, preview: bool = False) -> Response:
    """The page in the visitor's language; the running totals catch up first."""
    catch_up_totals(campaign.id)
    language = page_language(campaign_languages(campaign), campaign.definition.get("default_language", "nl"))
    with force_locale(babel_locale(language)):
        context = public_context(campaign, report, language)
        body = render_template("public/results.html", preview=preview, **context)
    response = Response(body, mimetype="text/html")
    # residents' own words leave the page the moment their response is erased: no cache may keep them
    response.headers["Cache-Control"] = "no-store" if preview or context["quotes"] else "public, max-age=60"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


@public_blueprint.get("/r/<code>")
@limiter.limit(public_limit)
def page(code):
    report = published_report(code)
    if report is None:
        raise ApiError(404, "not_found", N_("This page does not exist, or it is no longer online."))
    return public_page(report.campaign, report)


@public_blueprint.errorhandler(HTTPException)
@public_blueprint.errorhandler(ApiError)
def public_error(err):
    status = getattr(err, "code", None) if isinstance(err, HTTPException) else err.status
    status = status or 500
    message = {404: N_("This page does not exist, or it is no longer online."),
               429: N_("Too many requests; please wait a moment and try again.")}.get(
        status, N_("Something went wrong on our side."))
    response = Response(render_page("public/error.html", status=status, message=_(message)).get_data(),
                        status=status, mimetype="text/html")
    if isinstance(err, HTTPException) and status == 429:
        response.headers.update({k: v for k, v in err.get_response().headers.items() if k == "Retry-After"})
    return response
