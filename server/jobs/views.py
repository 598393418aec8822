"""A campaign's jobs in the workspace: what failed for good, and the retry button."""

from flask import Blueprint, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..accounts.auth import login_required, require_campaign
from ..errors import N_, ApiError
from ..extensions import db
from ..forms import form_data, load_form
from ..pages import install_page_handlers, safe_next
from ..review.schemas import return_schema
from ..voicepacks.operations import clip_anchor
from .models import Job
from .queue import retry

jobs_blueprint = Blueprint("jobs", __name__, url_prefix="/workspace")
install_page_handlers(jobs_blueprint)

#: What each job does, as the workspace names it.
JOB_NAMES = {"playback_copy": N_("Making a playable copy of a voice note"),
             "timed_copy": N_("Making a copy of a voice note that states its length"),
             "transcription": N_("Automatic transcription"),
             "retention": N_("Deleting recordings past their retention period"),
             "results_refresh": N_("Bringing the results up to date"),
             "normalise_clip": N_("Preparing a recorded text"),
             "export_file": N_("Preparing an export")}


@jobs_blueprint.app_template_global()
def job_name(name: str) -> str:
    return _(JOB_NAMES[name]) if name in JOB_NAMES else name


def campaign_failures(campaign_id) -> list[Job]:
    """The campaign's jobs that failed for good, newest first."""
    return list(db.session.scalars(select(Job).where(Job.campaign_id == campaign_id, Job.status == "failed")
                                   .order_by(Job.failed_at.desc(), Job.id.desc())))


def job_counts() -> dict[tuple[str, str], int]:
    """Rows of the jobs table per (job, status): pending and failed work, for the metrics."""
    rows = db.session.execute(select(Job.name, Job.status, func.count()).group_by(Job.name, Job.status))
    return {(name, status): count for name, status, count in rows}


@jobs_blueprint.app_template_global()
def job_error(row: Job) -> str:
    """Why the job failed: the message of a failure it could name (`JobFailed`), translated; else its error."""
    return _(row.error) if row.code and row.error else (row.error or "")


@jobs_blueprint.app_template_global()
def job_target(row: Job) -> str | None:
    """Where in the workspace the job's object is: a voice note's response, a recorded text's studio."""
    arguments = row.arguments or {}
    response_id = arguments.get("response_id")
    if row.campaign_id and response_id:
        return url_for("review.response", campaign_id=row.campaign_id, response_id=response_id,
                       _anchor=f"note-{row.object_id}")
    if row.campaign_id and row.name == "export_file":
        return url_for("exports.exports", campaign_id=row.campaign_id, _anchor=f"export-{row.object_id}")
    if row.campaign_id and row.name == "normalise_clip" and arguments.get("language"):
        return url_for("workspace.studio.studio", campaign_id=row.campaign_id, lang=arguments["language"],
                       _anchor=clip_anchor(arguments.get("key", "")))
    return None


@jobs_blueprint.post("/campaigns/<uuid:campaign_id>/jobs/<int:job_id>/retry")
@login_required
def retry_job(campaign_id, job_id):
    """Try a failed job again, with all its attempts."""
    campaign = require_campaign(campaign_id, write=True)
    row = db.session.get(Job, job_id)
    if row is None or row.campaign_id != campaign.id:
        raise ApiError(404, "not_found", N_("This was not found."))
    values, _errors = load_form(return_schema, form_data())
    if row.status == "failed":
        retry(row)
        db.session.commit()
    default = url_for("workspace.campaigns.overview", campaign_id=campaign.id, _anchor="jobs")
    return redirect(safe_next((values or {}).get("return_to"), default), code=303)
