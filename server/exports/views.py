"""Downloads of a campaign's responses with the inbox's filters; each one goes into the audit log.

A small export streams at once; a large one is prepared by a job and downloaded from the exports page
(`files.py`).
"""

from flask import Blueprint, Response, abort, current_app, redirect, request, stream_with_context, url_for

from ..accounts.auth import current_user, login_required, require_campaign
from ..errors import N_, ApiError
from ..extensions import db
from ..pages import install_page_handlers, render_page
from ..privacy.operations import record_event
from ..review.views import filter_args, read_filters
from ..storage.serving import send_stored
from ..util import utcnow
from .files import my_export, my_exports, request_export, streams_at_once
from .formats import FORMATS

exports_blueprint = Blueprint("exports", __name__, url_prefix="/workspace/campaigns")
install_page_handlers(exports_blueprint)


def export_name(campaign, extension: str) -> str:
    prefix = "voice-notes" if extension == "zip" else "responses"
    return f"{prefix}-{campaign.id.hex[:8]}-{utcnow():%Y%m%d-%H%M}.{extension}"


@exports_blueprint.post("/<uuid:campaign_id>/export.<format>")
@login_required
def export(campaign_id, format):
    """Stream the filtered responses (or their voice notes) as a download; a large export is prepared in the
    background instead, and the exports page shows it."""
    if format not in FORMATS:
        abort(404)
    campaign = require_campaign(campaign_id, action="export")
    form = request.form.copy()
    form.pop("csrf_token", None)
    filters, errors = read_filters(form)
    if errors:
        raise ApiError(422, "invalid_input", N_("Some of the filters are not valid."))
    filters["after"] = filters["before"] = None
    chunks, mimetype, extension = FORMATS[format]
    if not streams_at_once(campaign, filters, format):
        prepared = request_export(campaign, format, filter_args(filters), current_user(),
                                  export_name(campaign, extension))
        record_event("export", campaign, "campaign", campaign.id, current_user(), format=format,
                     filters=filter_args(filters), prepared=str(prepared.id))
        db.session.commit()
        return redirect(url_for(".exports", campaign_id=campaign.id, _anchor=f"export-{prepared.id}"), code=303)
    record_event("export", campaign, "campaign", campaign.id, current_user(), format=format,
                 filters=filter_args(filters))
    db.session.commit()
    body = chunks(campaign, filters, current_app.config["EXPORT_BATCH"])
    reply = Response(stream_with_context(body), mimetype=mimetype)
    reply.headers["Content-Disposition"] = f'attachment; filename="{export_name(campaign, extension)}"'
    reply.headers["Cache-Control"] = "private, no-store"
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply


@exports_blueprint.get("/<uuid:campaign_id>/exports")
@login_required
def exports(campaign_id):
    """The large exports you asked for: being prepared, ready to download, or failed (with a retry)."""
    campaign = require_campaign(campaign_id, action="export")
    return render_page("exports/exports.html", campaign=campaign, files=my_exports(campaign, current_user()),
                       limit=current_app.config["EXPORT_STREAM_RESPONSES"],
                       hours=current_app.config["EXPORT_KEEP_HOURS"])


@exports_blueprint.get("/<uuid:campaign_id>/exports/<uuid:export_id>")
@login_required
def download(campaign_id, export_id):
    """A prepared export, from the store through the app (the permission first, then the audit log)."""
    campaign = require_campaign(campaign_id, action="export")
    row = my_export(campaign, current_user(), export_id)
    if row is None:
        raise ApiError(404, "not_found", N_("This was not found."))
    record_event("export", campaign, "campaign", campaign.id, current_user(), format=row.format,
                 filters=row.filters, downloaded=str(row.id))
    db.session.commit()
    reply = send_stored(row.storage_name, FORMATS[row.format][1], download_name=row.filename, as_attachment=True)
    reply.headers["Cache-Control"] = "private, no-store"
    reply.headers["X-Content-Type-Options"] = "nosniff"
    return reply
