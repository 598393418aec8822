"""The audit log, voice-note retention and residents' erasure (flush, never commit)."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, tuple_

from ..campaigns.models import Campaign, Source
from ..devices.models import Device
from ..exports.files import delete_expired_exports
from ..extensions import db
from ..jobs.queue import forget as forget_jobs
from ..responses.models import Response
from ..responses.operations import erase_by_receipt
from ..storage import delete_file
from ..util import normalise_code, sha256_hex, utcnow
from ..voice.models import VoiceNote
from ..voice.operations import delete_voice_notes, forget_past_allowances
from ..voice.timing import delete_timed_copy
from ..voicepacks.operations import delete_stale_uploads
from .models import AuditEvent


def record_event(action: str, campaign: Campaign, object_type: str, object_id="", user=None,
                 **details) -> AuditEvent:
    """Log one access to or deletion of a campaign's data, by `user` (``None``: a resident or the server)."""
    return record_team_event(action, campaign.team_id, object_type, object_id, user, campaign_id=campaign.id,
                             **details)


def record_event_once_a_day(action: str, campaign: Campaign, object_type: str, object_id, user) -> bool:
    """`record_event`, unless `user` already did `action` to this object today (UTC); True when it recorded.

    A player fetches a recording in many ranges, and a client chooses its ranges: counting every fetch once a
    day records every listen without filling the log with a line per range."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    seen = db.session.scalar(select(exists().where(
        AuditEvent.team_id == campaign.team_id, AuditEvent.created_at >= today, AuditEvent.user_id == user.id,
        AuditEvent.action == action, AuditEvent.object_id == str(object_id))))
    if not seen:
        record_event(action, campaign, object_type, object_id, user)
    return not seen


def record_team_event(action: str, team_id: int | None, object_type: str, object_id="", user=None, *,
                      campaign_id=None, **details) -> AuditEvent:
    """Log one administrative action (or access to data) concerning team `team_id` (``None``: an account in
    no team), by `user`, with the teams `user` acted from."""
    event = AuditEvent(team_id=team_id, campaign_id=campaign_id, user_id=user.id if user else None,
                       actor=user.email if user else "", actor_teams=actor_teams(user), action=action,
                       object_type=object_type, object_id=str(object_id), details=details)
    db.session.add(event)
    db.session.flush()
    return event


def record_account_event(action: str, account, user=None, team_ids=None, **details) -> None:
    """Log an action on `account` once for each of its teams (`team_ids`, default: its teams now), so that
    every team the account belongs to sees it; once without a team for an account in none."""
    teams = sorted(account.team_ids if team_ids is None else team_ids)
    for team_id in teams or [None]:
        record_team_event(action, team_id, "user", account.id, user, account=account.email, **details)


def actor_teams(user) -> str:
    """The short names of `user`'s teams, ``*`` first for a server administrator."""
    if user is None:
        return ""
    names = (["*"] if user.server_admin else []) + sorted(team.slug for team in user.teams)
    return ",".join(names)[:300]


def audit_events(team_id: int, before: tuple | None = None, limit: int = 50) -> list[AuditEvent]:
    """The team's events, newest first, older than the keyset `before` = (created_at, id)."""
    query = select(AuditEvent).where(AuditEvent.team_id == team_id)
    if before is not None:
        query = query.where(tuple_(AuditEvent.created_at, AuditEvent.id) < tuple_(*before))
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query))


# --- voice-note audio ----------------------------------------------------------------------------------

def delete_audio(note: VoiceNote) -> None:
    """Delete a recording's files, keep its row with the transcript and translation."""
    delete_file(note.storage_name)
    if note.playback_name:
        delete_file(note.playback_name)
    note.playback_name = note.playback_type = None
    delete_timed_copy(note)
    note.audio_deleted_at = note.audio_deleted_at or utcnow()
    forget_jobs("voice_note", [note.id])
    db.session.flush()


def expired_voice_notes(campaign: Campaign, now) -> list[VoiceNote]:
    """The campaign's recordings older than its retention period whose audio is still stored."""
    if campaign.voice_retention_days is None:
        return []
    cutoff = now - timedelta(days=campaign.voice_retention_days)
    return list(db.session.scalars(
        select(VoiceNote)
        .join(Response, Response.id == VoiceNote.response_id)
        .where(Response.campaign_id == campaign.id, VoiceNote.created_at < cutoff,
               VoiceNote.audio_deleted_at.is_(None))))


@dataclass
class RetentionRun:
    """What one run of `apply_retention` deleted."""

    #: campaign id -> recordings past the campaign's retention period (audio deleted, rows kept).
    by_campaign: dict = field(default_factory=dict)
    #: Notes deleted whole because their response never arrived (`delete_unclaimed_voice_notes`).
    unclaimed: int = 0
    #: Recorded prompts' uploads that waited too long unprocessed (`voicepacks.operations.delete_stale_uploads`).
    stale_uploads: int = 0
    #: Prepared exports past their time (`exports.files.delete_expired_exports`).
    expired_exports: int = 0


#: The PostgreSQL advisory lock a retention sweep holds until its transaction ends ("Wijkstem" in ASCII).
RETENTION_LOCK = 0x5769_6A6B_7374_656D


def apply_retention(now=None) -> RetentionRun:
    """Delete every recording past its campaign's retention period (answers and transcripts stay), and every
    note whose response never arrived (`delete_unclaimed_voice_notes`).

    One sweep at a time (several server processes sweep on their own timers): a sweep waits for the one under
    way to commit, then sees what it deleted. On SQLite the writers' queue sees to that, as the sweep's
    transaction writes; on PostgreSQL an advisory lock held until the transaction ends.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(RETENTION_LOCK)))
    now = now or utcnow()
    run = RetentionRun()
    campaigns = db.session.scalars(select(Campaign).where(Campaign.voice_retention_days.is_not(None)))
    for campaign in campaigns:
        notes = expired_voice_notes(campaign, now)
        for note in notes:
            delete_audio(note)
        if notes:
            record_event("retention", campaign, "campaign", campaign.id, count=len(notes),
                         days=campaign.voice_retention_days)
            run.by_campaign[campaign.id] = len(notes)
    config = current_app.config
    run.unclaimed = delete_unclaimed_voice_notes(now, config["VOICE_UNCLAIMED_DAYS"],
                                                 config["VOICE_UNCLAIMED_ANONYMOUS_DAYS"])
    run.stale_uploads = delete_stale_uploads(now, config["CLIP_UPLOAD_DAYS"])
    run.expired_exports = delete_expired_exports(now)
    forget_past_allowances(now.timestamp())
    return run


def unclaimed_voice_notes(now, days: int, anonymous_days: int | None = None) -> list[VoiceNote]:
    """Notes declared more than `days` ago (a flyer visitor's: `anonymous_days`) whose response has not arrived
    (refused, or never sent)."""
    claimed = select(Response.id).where(Response.id == VoiceNote.response_id).exists()
    old = VoiceNote.created_at < now - timedelta(days=days)
    if anonymous_days is not None:
        old = or_(old, and_(VoiceNote.device_id.is_(None),
                            VoiceNote.created_at < now - timedelta(days=anonymous_days)))
    return list(db.session.scalars(select(VoiceNote).where(old, ~claimed)))


def delete_unclaimed_voice_notes(now, days: int, anonymous_days: int | None = None) -> int:
    """Delete notes (rows and files) whose response has not come `days` after them.

    Such a note belongs to no campaign yet, so no campaign's retention period covers it and no coordinator can
    hear it; kept, it would stay forever. A phone sends a note after its response, and keeps the response until
    the server has it, so a note waits this long only when its response was refused or the phone was lost.
    A flyer visitor's note waits `anonymous_days` (one): anyone holding a flyer may upload one, and a visitor's
    phone sends the response first, so a day without it means it never comes (issue 11).
    One audit event per team (and campaign, where known) says how many were deleted.
    """
    notes = unclaimed_voice_notes(now, days, anonymous_days)
    owners = Counter(note_owner(note) for note in notes)
    delete_voice_notes(notes)
    for (team_id, campaign_id), count in owners.items():
        if team_id is not None:
            db.session.add(AuditEvent(team_id=team_id, campaign_id=campaign_id, action="retention",
                                      object_type="voice_note", details={"count": count, "unclaimed_days": days}))
    db.session.flush()
    return len(notes)


def note_owner(note: VoiceNote) -> tuple:
    """(team id, campaign id) of whoever uploaded a note: a flyer's campaign, or an enrolled device's team."""
    if note.source_id is not None:
        source = db.session.get(Source, note.source_id)
        campaign = source and db.session.get(Campaign, source.campaign_id)
        return (campaign.team_id, campaign.id) if campaign else (None, None)
    device = note.device_id and db.session.get(Device, note.device_id)
    return (device.team_id, None) if device else (None, None)


def set_retention(campaign: Campaign, days: int | None) -> None:
    campaign.voice_retention_days = days
    db.session.flush()


# --- erasure -----------------------------------------------------------------------------------------

def erase_for_resident(receipt: str) -> int:
    """Erase the responses behind a typed receipt code and log it per campaign (never the code itself)."""
    code = normalise_code(receipt)
    campaigns = db.session.execute(
        select(Response.campaign_id, db.func.count())
        .where(Response.receipt_hash == sha256_hex(code)).group_by(Response.campaign_id)).all()
    erased = erase_by_receipt(code)
    for campaign_id, count in campaigns:
        record_event("erasure", db.session.get(Campaign, campaign_id), "campaign", campaign_id, count=count)
    return erased
