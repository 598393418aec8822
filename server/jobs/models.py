"""The `jobs` table: work that is waiting or that failed, per kind of job and object."""

from ..db_types import UTCDateTime
from ..extensions import db
from ..util import utcnow

JOB_STATES = ("pending", "failed")


class Job(db.Model):
    """One piece of background work for one object (a voice note, a campaign), while it is pending or after it
    failed for good; a job that succeeds deletes its row. One row per kind and object: asking again for work
    that is already pending adds nothing."""

    __tablename__ = "jobs"
    __table_args__ = (db.UniqueConstraint("name", "object_type", "object_id", name="uq_jobs_name_object"),
                      db.Index("ix_jobs_campaign_status", "campaign_id", "status"))

    id = db.Column(db.Integer, primary_key=True)
    #: The registered job's name (`server.jobs.queue.REGISTRY`), e.g. ``playback_copy``.
    name = db.Column(db.String(64), nullable=False)
    #: What it works on (``voice_note``, ``campaign``, or empty for server-wide work) and its id.
    object_type = db.Column(db.String(32), nullable=False, default="")
    object_id = db.Column(db.String(64), nullable=False, default="")
    #: The campaign it concerns, where there is one: its failures are listed on that campaign's pages.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True)
    #: The keyword arguments the job runs with (ids only, never residents' data).
    arguments = db.Column(db.JSON, nullable=False, default=dict)
    #: ``pending`` (queued, running or waiting for a retry) or ``failed`` (every attempt failed).
    status = db.Column(db.String(16), nullable=False, default="pending")
    #: Attempts made so far.
    attempts = db.Column(db.Integer, nullable=False, default=0)
    #: The last attempt's error (its type and message, shortened), for the team and the operator.
    error = db.Column(db.String(500), nullable=True)
    #: Why it failed, where the job could say (`JobFailed`): a stable code such as ``recording_silent``; then
    #: `error` is its English message (a msgid), which the workspace shows translated.
    code = db.Column(db.String(64), nullable=True)
    #: When it was (last) queued, and when it failed for good.
    enqueued_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    failed_at = db.Column(UTCDateTime, nullable=True)
