"""Enrolment codes, device tokens and revocation (flush, never commit)."""

from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select, update

from ..bulk import KeyedQuery, rows_with_keys_together, update_row
from ..campaigns.models import Campaign, Source
from ..errors import N_, ApiError
from ..extensions import db
from ..util import human_code, new_token, normalise_code, sha256_hex, utcnow
from .models import Device, EnrolmentCode

ENROL_CODE_LENGTH = 10  # about 49 bits, valid for minutes, single use, rate-limited


def make_enrolment_code(team, label: str = "", source: Source | None = None, campaign_id=None,
                        lent_by_team_id: int | None = None) -> str:
    """A one-time code for one device of `team`, whose door-to-door responses go to `source` by default (one of
    `team_sources(team)`), lent by a partner team for one campaign (`campaign_id`, `lent_by_team_id`); the code
    itself is returned once, only its hash kept."""
    code = human_code(ENROL_CODE_LENGTH)
    minutes = current_app.config["ENROL_CODE_MINUTES"]
    db.session.add(EnrolmentCode(team_id=team.id, code_hash=sha256_hex(code), label=label,
                                 source_id=source.id if source else None,
                                 expires_at=utcnow() + timedelta(minutes=minutes), campaign_id=campaign_id,
                                 lent_by_team_id=lent_by_team_id))
    db.session.flush()
    return code


def enrol_device(code: str, label: str | None = None) -> tuple[Device, str]:
    """Trade a valid, unused code for a new device and its bearer token (returned once).

    :raise ApiError 400: the code is unknown, used or expired (one message for all three).
    """
    now = utcnow()
    claimed = db.session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.code_hash == sha256_hex(normalise_code(code)),
               EnrolmentCode.used_at.is_(None), EnrolmentCode.expires_at > now)
        .values(used_at=now)
        .returning(EnrolmentCode.id)
    ).scalar_one_or_none()
    if claimed is None:
        raise ApiError(400, "enrolment_code_invalid",
                       N_("This enrolment code is not valid (any more). Ask your coordinator for a new one."),
                       field="code")
    enrolment = db.session.get(EnrolmentCode, claimed)
    token = new_token()
    device = Device(team_id=enrolment.team_id, label=label or enrolment.label, token_hash=sha256_hex(token),
                    default_source_id=enrolment.source_id, campaign_id=enrolment.campaign_id,
                    lent_by_team_id=enrolment.lent_by_team_id)
    db.session.add(device)
    db.session.flush()
    enrolment.device_id = device.id
    db.session.flush()
    return device, token


def team_sources(team) -> list[Source]:
    """The door-to-door sources a phone of `team` can collect for: open ones of its campaigns that are not
    closed, by campaign, then name."""
    return list(db.session.scalars(
        select(Source).join(Campaign, Source.campaign_id == Campaign.id)
        .where(Campaign.team_id == team.id, Campaign.state != "closed", Source.kind == "door_to_door",
               Source.revoked_at.is_(None))
        .order_by(Campaign.created_at, Source.name, Source.id)))


def device_for_token(token: str) -> Device | None:
    """The active device holding `token`, or ``None``."""
    return db.session.scalars(
        select(Device).where(Device.token_hash == sha256_hex(token), Device.revoked_at.is_(None))
    ).first()


def revoke_device(device: Device) -> None:
    device.revoked_at = device.revoked_at or utcnow()
    db.session.flush()


class DeviceRef(NamedTuple):
    """What checking and storing a device's batch needs of it; outlives the transaction that found it."""

    id: object
    team_id: int
    #: The one campaign of a phone lent by a partner, else ``None``.
    campaign_id: object = None


def device_ref_for_token(token: str) -> DeviceRef | None:
    """`device_for_token` without loading the device (one statement through the driver)."""
    return active_device(rows_with_keys_together(device_query(token))[0])


def device_query(token: str) -> KeyedQuery:
    """What `device_ref_for_token` reads (`server.bulk.rows_with_keys_together`); `active_device` of its rows."""
    return KeyedQuery(Device.__table__, "token_hash", ("id", "team_id", "revoked_at", "campaign_id"),
                      [sha256_hex(token)])


def active_device(rows: list) -> DeviceRef | None:
    """The device of `device_query`'s rows, unless it was revoked; ``None`` for no row or a revoked device."""
    return next((DeviceRef(device_id, team_id, campaign_id) for device_id, team_id, revoked_at, campaign_id in rows
                 if revoked_at is None), None)


def record_device_status(device_id, status: dict | None) -> bool:
    """Remember when the device last synced and, when it says so, what is still waiting on it (one UPDATE).

    :return: whether the device is still enrolled (a revoked one is left as it is).
    """
    now = utcnow()
    reported = {**status, "status_reported_at": now} if status else {}
    return update_row(Device.__table__, "id", device_id, {"last_seen_at": now, "last_sync_at": now, **reported},
                      unless_set=("revoked_at",)) == 1


def record_device_report(device: Device, status: dict) -> None:
    """What the device says is still waiting on it now (after a sync): it replaces the report before, even
    when it is nothing."""
    device.pending_responses = status["pending_responses"]
    device.pending_voice_notes = status["pending_voice_notes"]
    device.pending_bytes = status["pending_bytes"]
    device.status_reported_at = utcnow()
    db.session.flush()
