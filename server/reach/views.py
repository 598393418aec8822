"""The reach report and the make-up form (typed in, or uploaded as CSV)."""

from flask import Blueprint, Response, redirect, request, url_for
from flask_babel import gettext as _

from ..accounts.auth import current_user, login_required, require_campaign
from ..extensions import db
from ..forms import form_data, load_form
from ..pages import install_page_handlers, render_page
from ..results import charts
from ..results.views import catch_up_totals, label_language
from .computation import SUGGEST_BELOW
from .csv_import import CsvInvalid, parse_make_up_csv, template_csv
from .dimensions import campaign_dimensions
from .models import NeighbourhoodProfile
from .operations import check_make_up, read_make_up_form, save_make_up, stored_make_up
from .report import reach_report
from .schemas import make_up_form_schema, upload_form_schema

reach_blueprint = Blueprint("reach", __name__, url_prefix="/workspace/campaigns/<uuid:campaign_id>/reach")
install_page_handlers(reach_blueprint)


@reach_blueprint.get("")
@login_required
def report(campaign_id):
    campaign = require_campaign(campaign_id, action="results")
    behind = catch_up_totals(campaign.id)
    return render_page("workspace/reach/report.html", campaign=campaign, charts=charts, behind=behind,
                       report=reach_report(campaign, label_language(campaign)),
                       profile=db.session.get(NeighbourhoodProfile, campaign.id),
                       saved=request.args.get("saved"), suggest_below=SUGGEST_BELOW)


def form_values(campaign, dimensions) -> dict:
    """The stored make-up in the form's field names."""
    stored = stored_make_up(campaign.id)
    profile = db.session.get(NeighbourhoodProfile, campaign.id)
    values = {"source_note": profile.source_note if profile else "", "unit": {}, "amount": {}}
    for dimension in dimensions:
        unit, amounts = stored.get(dimension.key, ("percent", {}))
        values["unit"][dimension.form_name] = unit
        values["amount"][dimension.form_name] = {
            str(index): charts.number(amounts[key]) for index, (key, _name) in enumerate(dimension.groups)
            if key in amounts}
    return values


def make_up_page(campaign, dimensions, status=200, values=None, errors=None, upload_errors=None):
    return render_page("workspace/reach/make_up.html", status=status, campaign=campaign, dimensions=dimensions,
                       values=values if values is not None else form_values(campaign, dimensions),
                       errors=errors or {}, upload_errors=upload_errors or [])


@reach_blueprint.get("/make-up")
@login_required
def make_up(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    return make_up_page(campaign, campaign_dimensions(campaign, label_language(campaign)))


@reach_blueprint.post("/make-up")
@login_required
def save(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    dimensions = campaign_dimensions(campaign, label_language(campaign))
    data = form_data()
    values, errors = load_form(make_up_form_schema, data)
    errors = {field_path(path): messages for path, messages in errors.items()}
    make_up = read_make_up_form(dimensions, values) if not errors else {}
    errors = errors or check_make_up(dimensions, make_up)
    if errors:
        return make_up_page(campaign, dimensions, 422, data, errors)
    save_make_up(campaign, make_up, current_user(), values["source_note"])
    db.session.commit()
    return redirect(url_for("reach.report", campaign_id=campaign.id, saved=1), code=303)


def field_path(path: str) -> str:
    """``amount.buurt.value.1`` (marshmallow's path into nested dicts) as the form names the field."""
    return ".".join(segment for segment in path.split(".") if segment != "value")


def flat(errors: dict[str, list[str]]) -> list[str]:
    return [message for messages in errors.values() for message in messages]


@reach_blueprint.post("/upload")
@login_required
def upload(campaign_id):
    campaign = require_campaign(campaign_id, write=True)
    dimensions = campaign_dimensions(campaign, label_language(campaign))
    values, errors = load_form(upload_form_schema, form_data())
    file = request.files.get("file")
    if errors or file is None or not file.filename:
        return make_up_page(campaign, dimensions, 422, upload_errors=[_("Choose a CSV file to upload.")]
                            if not errors else flat(errors))
    try:
        make_up = parse_make_up_csv(file.read(64 * 1024 + 1), dimensions, values["unit"])
    except CsvInvalid as err:
        return make_up_page(campaign, dimensions, 422, upload_errors=err.messages)
    problems = check_make_up(dimensions, make_up)
    if problems:
        return make_up_page(campaign, dimensions, 422, upload_errors=flat(problems))
    save_make_up(campaign, make_up, current_user())
    db.session.commit()
    return redirect(url_for("reach.report", campaign_id=campaign.id, saved=1), code=303)


@reach_blueprint.get("/make-up.csv")
@login_required
def download_template(campaign_id):
    campaign = require_campaign(campaign_id)
    dimensions = campaign_dimensions(campaign, label_language(campaign))
    body = "\ufeff" + template_csv(dimensions, stored_make_up(campaign.id))  # a BOM, so Excel reads UTF-8
    return Response(body, content_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="wijkstem-make-up.csv"', "Cache-Control": "no-store"})



