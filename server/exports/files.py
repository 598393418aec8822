"""Large exports as jobs: an export of more than `EXPORT_STREAM_RESPONSES` responses (the zip: more than
`EXPORT_STREAM_RECORDINGS` recordings) is not streamed in the request but written by the ``export_file`` job
into the store (`server.storage`: the local folder or S3), beside the recordings; the exports page shows it
being prepared, ready to download, or failed with a retry. Only the person who asked for it downloads it,
through the app (`require_campaign(..., action="export")` first, then the audit log); it expires after
`EXPORT_KEEP_HOURS` and the retention sweep deletes it, file and row (`delete_expired_exports`).
"""

import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from ..campaigns.models import Campaign
from ..extensions import db
from ..jobs.queue import enqueue, forget, job, pending_or_failed
from ..responses.models import Response
from ..review.operations import filter_conditions
from ..review.schemas import read_filters
from ..storage import delete_file, media_store, new_storage_name
from ..storage.after_commit import delete_after_commit
from ..util import utcnow
from ..voice.models import VoiceNote
from .formats import FORMATS
from .models import ExportFile


def export_size(campaign: Campaign, filters: dict, format: str) -> int:
    """How many responses the export holds (the zip: how many stored recordings)."""
    conditions = filter_conditions(campaign.id, filters)
    if format == "zip":
        return db.session.scalar(select(func.count()).select_from(VoiceNote)
                                 .join(Response, Response.id == VoiceNote.response_id)
                                 .where(*conditions, VoiceNote.state == "complete",
                                        VoiceNote.audio_deleted_at.is_(None)))
    return db.session.scalar(select(func.count()).select_from(Response).where(*conditions))


def streams_at_once(campaign: Campaign, filters: dict, format: str) -> bool:
    """Small enough to stream in the request (`EXPORT_STREAM_RESPONSES`, `EXPORT_STREAM_RECORDINGS`)."""
    config = current_app.config
    limit = config["EXPORT_STREAM_RECORDINGS"] if format == "zip" else config["EXPORT_STREAM_RESPONSES"]
    return export_size(campaign, filters, format) <= limit


def keep_until(start):
    return start + timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])


def request_export(campaign: Campaign, format: str, args: dict, user, filename: str) -> ExportFile:
    """Ask for the export to be prepared (the ``export_file`` job, once the transaction commits); `args` are
    the filters as the inbox's URL arguments (`review.views.filter_args`)."""
    now = utcnow()
    row = ExportFile(campaign_id=campaign.id, requested_by=user.id, format=format, filters=args,
                     filename=filename, created_at=now, expires_at=keep_until(now))
    db.session.add(row)
    db.session.flush()
    enqueue("export_file", export_id=row.id, campaign_id=campaign.id)
    return row


def my_exports(campaign: Campaign, user) -> list[tuple[ExportFile, object]]:
    """The exports `user` asked for in `campaign` that have not expired, newest first, each with its job (a
    pending or failed one; ``None`` once it is ready)."""
    rows = list(db.session.scalars(select(ExportFile).where(
        ExportFile.campaign_id == campaign.id, ExportFile.requested_by == user.id, ExportFile.expires_at > utcnow())
        .order_by(ExportFile.created_at.desc(), ExportFile.id.desc())))
    jobs = pending_or_failed("export", [row.id for row in rows])
    return [(row, jobs.get(("export_file", str(row.id)))) for row in rows]


def my_export(campaign: Campaign, user, export_id) -> ExportFile | None:
    """One of `user`'s ready exports of `campaign`, unexpired; ``None`` for anything else (someone else's)."""
    row = db.session.get(ExportFile, export_id)
    if (row is None or row.campaign_id != campaign.id or row.requested_by != user.id or row.status != "ready"
            or row.expires_at <= utcnow()):
        return None
    return row


def delete_export(row: ExportFile) -> None:
    if row.storage_name:
        delete_after_commit(db.session, row.storage_name)
    forget("export", [row.id])
    db.session.delete(row)
    db.session.flush()


def delete_expired_exports(now) -> int:
    """Delete the exports past `expires_at`, their files in the store (after the commit) and their jobs."""
    expired = list(db.session.scalars(select(ExportFile).where(ExportFile.expires_at <= now)))
    for row in expired:
        delete_export(row)
    return len(expired)


def write_export(campaign: Campaign, format: str, filters: dict, target: Path) -> int:
    """Write the export into `target` with the same generator a streamed one uses; its size."""
    chunks = FORMATS[format][0]
    size = 0
    with target.open("wb") as output:
        for chunk in chunks(campaign, filters, current_app.config["EXPORT_BATCH"]):
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            output.write(data)
            size += len(data)
    return size


@job("export_file", object_type="export", key="export_id")
def export_file_job(export_id: str, campaign_id: str | None = None) -> None:
    """Write the export into a scratch file, store it, and make it ready; nothing to do when it is gone
    (expired, or its campaign deleted) or ready. The generators read in batches of short transactions."""
    row = db.session.get(ExportFile, uuid.UUID(export_id))
    if row is None or row.status != "preparing":
        return
    campaign = db.session.get(Campaign, row.campaign_id)
    format, args = row.format, dict(row.filters or {})
    filters, _errors = read_filters(MultiDict({key: str(value) for key, value in args.items()}))
    filters["after"] = filters["before"] = None
    db.session.rollback()
    name = new_storage_name("exports")
    with tempfile.TemporaryDirectory(prefix="wijkstem-export-") as scratch:
        target = Path(scratch) / "export"
        size = write_export(campaign, format, filters, target)
        db.session.rollback()  # the generators' last read
        media_store().put_file(name, target)
    row = db.session.get(ExportFile, uuid.UUID(export_id))
    if row is None or row.status != "preparing":
        delete_file(name)  # expired or deleted meanwhile
        return
    now = utcnow()
    row.status, row.storage_name, row.size, row.ready_at, row.expires_at = "ready", name, size, now, keep_until(now)
    db.session.flush()
