"""Downloads of a campaign's responses with the inbox's filters; each one goes into the audit log."""

from flask import Blueprint, Response, abort, current_app, request, stream_with_context

from ..accounts.auth import current_user, login_required, require_campaign
from ..errors import N_, ApiError
from ..extensions import db
from ..pages import install_page_handlers
from ..privacy.operations import record_event
from ..review.views import filter_args, read_filters
from ..util import utcnow
from .formats import csv_chunks, json_chunks, xlsx_chunks, zip_chunks

exports_blueprint = Blueprint("exports", __name__, url_prefix="/workspace/campaigns")
install_page_handlers(exports_blueprint)

FORMATS = {
    "csv": (csv_chunks, "text/csv", "csv"),
    "xlsx": (xlsx_chunks, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "json": (json_chunks, "application/json", "json"),
    "zip": (zip_chunks, "application/zip", "zip"),
}


def export_name(campaign, extension: str) -> str:
    prefix = "voice-notes" if extension == "zip" else "responses"
    return f"{prefix}-{campaign.id.hex[:8]}-{utcnow():%Y%m%d-%H%M}.{extension}"


@exports_blueprint.post("/<uuid:campaign_id>/export.<format>")
@login_required
def export(campaign_id, format):
    """Stream the filtered responses (or their voice notes) as a download."""
    if format not in FORMATS:
        abort(404)
    campaign = require_campaign(campaign_id, action="export")
    form = request.form.copy()
    form.pop("csrf_token", None)
    filters, errors = read_filters(form)
    if errors:
        raise ApiError(422, "invalid_input", N_("Some of the filters are not valid."))
    filters["after"] = filters["before"] = None
    record_event("export", campaign, "campaign", campaign.id, current_user(), format=format,
                 filters=filter_args(filters))
    db.session.commit()
    chunks, mimetype, extension = FORMATS[format]
    body = chunks(campaign, filters, current_app.config["EXPORT_BATCH"])
    reply = Response(stream_with_context(body), mimetype=mimetype)
    reply.headers["Content-Disposition"] = f'attachment; filename="{export_name(campaign, extension)}"'
    reply.headers["Cache-Control"] = "private, no-store"
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply
