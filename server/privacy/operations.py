"""The audit log, voice-note retention and residents' erasure (flush, never commit)."""

from datetime import timedelta

from sqlalchemy import select, tuple_

from ..campaigns.models import Campaign
from ..extensions import db
from ..responses.models import Response
from ..responses.operations import erase_by_receipt
from ..storage import delete_file
from ..util import normalise_code, sha256_hex, utcnow
from ..voice.models import VoiceNote
from .models import AuditEvent


def record_event(action: str, campaign: Campaign, object_type: str, object_id="", user=None,
                 **details) -> AuditEvent:
    """Log one access to or deletion of a campaign's data, by `user` (``None``: a resident or the server)."""
    event = AuditEvent(team_id=campaign.team_id, campaign_id=campaign.id, user_id=user.id if user else None,
                       actor=user.email if user else "", action=action, object_type=object_type,
                       object_id=str(object_id), details=details)
    db.session.add(event)
    db.session.flush()
    return event


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
    note.audio_deleted_at = note.audio_deleted_at or utcnow()
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


def apply_retention(now=None) -> dict:
    """Delete every recording past its campaign's retention period; answers and transcripts stay.

    :return: ``{campaign id: recordings deleted}`` for the campaigns where any were deleted.
    """
    now = now or utcnow()
    deleted = {}
    campaigns = db.session.scalars(select(Campaign).where(Campaign.voice_retention_days.is_not(None)))
    for campaign in campaigns:
        notes = expired_voice_notes(campaign, now)
        for note in notes:
            delete_audio(note)
        if notes:
            record_event("retention", campaign, "campaign", campaign.id, count=len(notes),
                         days=campaign.voice_retention_days)
            deleted[campaign.id] = len(notes)
    return deleted


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
