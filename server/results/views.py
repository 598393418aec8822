"""The coordinators' results pages: charts and tables per campaign, a print version, and the same as JSON."""

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from ..accounts.auth import acting_partnership, current_user, login_required, require_campaign
from ..campaigns.models import Campaign
from ..errors import N_, ApiError, error_response
from ..extensions import db
from ..forms import load_form
from ..i18n import LANGUAGES, current_language
from ..jobs.queue import enqueue
from ..pages import install_page_handlers, render_page
from ..reporting.public import public_results
from ..themes.results import theme_chart
from . import charts
from .report import BREAKDOWNS, campaign_results
from .rollup import pending_candidates, refresh_rollups
from .schemas import results_query_schema

results_blueprint = Blueprint("results", __name__, url_prefix="/workspace")
install_page_handlers(results_blueprint)


@results_blueprint.app_template_global()
def optional_url(endpoint: str, **values) -> str | None:
    """The URL of `endpoint`, or ``None`` where that part of the workspace is not installed."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def label_language(campaign: Campaign) -> str:
    """The coordinator's language when the campaign has it, else the campaign's main language."""
    definition = campaign.definition
    language = current_language()
    return language if language in definition.get("languages", []) else definition.get("default_language", "nl")


def breakdown_options() -> list[tuple[str, str]]:
    return [("", _("No breakdown"))] + [(key, _(name)) for key, name in BREAKDOWNS.items()]


def catch_up_totals(campaign_id) -> bool:
    """Bring the running totals up to date before a page reads them, at most `RESULTS_CATCH_UP_PER_REQUEST`
    responses at a time (commit only if anything changed); returns whether some are still waiting."""
    limit = current_app.config.get("RESULTS_CATCH_UP_PER_REQUEST", 20_000)
    done = refresh_rollups(campaign_id, limit=limit)
    if done:
        db.session.commit()
    return done >= limit and bool(pending_candidates(campaign_id, None, 1))


def load_results(campaign_id, action: str = "view"):
    """The campaign (readable by every team member), the parsed query, its errors and the results; responses
    still waiting after this page's slice are counted by the ``results_refresh`` job, queued after the read."""
    campaign = require_campaign(campaign_id, action=action)
    values, errors = load_form(results_query_schema, {k: v for k, v in request.args.items() if v})
    behind = catch_up_totals(campaign.id)
    results = campaign_results(campaign, (values or {}).get("breakdown"), label_language(campaign))
    if behind:
        enqueue("results_refresh", campaign_id=campaign.id)
        db.session.commit()
    return campaign, results, errors, behind


def results_page(template: str, campaign_id):
    campaign, results, errors, behind = load_results(campaign_id)
    themes = theme_chart(campaign, results.breakdown, label_language(campaign), results.total)
    return render_page(template, status=422 if errors else 200, campaign=campaign, results=results,
                       errors=errors, options=breakdown_options(), charts=charts, behind=behind, themes=themes,
                       values={"breakdown": results.breakdown or ""})


@results_blueprint.get("/results")
@login_required
def index():
    user = current_user()
    campaigns = db.session.scalars(select(Campaign).where(Campaign.team_id.in_(user.team_ids))
                                   .order_by(Campaign.created_at.desc())).all()
    return render_page("workspace/results/index.html", campaigns=campaigns)


@results_blueprint.get("/campaigns/<uuid:campaign_id>/results")
@login_required
def results(campaign_id):
    """The totals: a team member sees them whole; a partner granted results sees them as residents do, small
    groups hidden (`server.reporting.public`)."""
    campaign = require_campaign(campaign_id, action="results")
    if acting_partnership() is None:
        return results_page("workspace/results/page.html", campaign_id)
    catch_up_totals(campaign.id)
    language = label_language(campaign)
    min_size = int(current_app.config.get("RESULTS_MIN_GROUP_SIZE", 10))
    return render_page("partners/results.html", campaign=campaign, charts=charts, min_size=min_size,
                       partner=acting_partnership(),
                       results=public_results(campaign, language, min_size),
                       direction=LANGUAGES[language].direction if language in LANGUAGES else "ltr")


@results_blueprint.get("/campaigns/<uuid:campaign_id>/results/print")
@login_required
def print_results(campaign_id):
    return results_page("workspace/results/print.html", campaign_id)


@results_blueprint.get("/campaigns/<uuid:campaign_id>/results.json")
@login_required
def results_json(campaign_id):
    campaign, results, errors, behind = load_results(campaign_id)
    if errors:  # answered here: the page handlers would drop the field
        return error_response(ApiError(
            422, "invalid_input", N_("Some of the data sent is not valid."), field="breakdown",
            details=[{"field": "breakdown", "code": "not_one_of", "message": errors["breakdown"][0]}]))
    themes = theme_chart(campaign, results.breakdown, label_language(campaign), results.total)
    response = jsonify({**results_document(results), "themes": themes_document(themes), "complete": not behind})
    response.headers["Cache-Control"] = "no-store"
    return response


def chart_document(chart) -> dict:
    return {"id": chart.id, "title": chart.title, "base": chart.base, "note": chart.note,
            "rows": [{"key": row.key, "label": row.label, "total": row.total,
                      "counts": {str(k) if k is not None else "all": v for k, v in row.counts.items()}}
                     for row in chart.rows]}


def themes_document(themes) -> dict:
    """The themes' counts as the page shows them: a suppressed count is absent, its display says why."""
    return {"min_size": themes.min_size, "series": [{"key": str(s.key), "label": s.label} for s in themes.series],
            "rows": [{"id": int(row.key), "label": row.label, "total": row.total if row.counts else None,
                      "display": row.display,
                      "groups": {str(k): v for k, v in themes.cells.get(int(row.key), {}).items()},
                      "over_time": themes.over_time.get(int(row.key), {})} for row in themes.rows]}


def results_document(results) -> dict:
    """The results as JSON: the same numbers the page shows."""
    return {
        "total": results.total,
        "breakdown": results.breakdown,
        "series": [{"key": str(s.key), "label": s.label} for s in results.series],
        "questions": [chart_document(chart) for chart in results.questions],
        "groups": [chart_document(chart) for chart in results.groups],
        "over_time": {"unit": results.over_time.unit,
                      "buckets": [{"start": b.key, "total": b.total,
                                   "counts": {str(k) if k is not None else "all": v for k, v in b.counts.items()}}
                                  for b in results.over_time.buckets]},
    }
