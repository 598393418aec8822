"""Storing synced responses exactly once (flush, never commit), and erasing them by receipt code.

The steps the sync view calls: `parse_items` (`rules.py`, no database), `check_items` (reads only), `store_checked`
(writes). The rules they apply are in `rules.py`, on plain values; the rows for the driver and the bulk
inserts are in `storing.py`.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import orjson
from sqlalchemy import delete, select

from ..bulk import KeyedQuery, insert_rows, on_session, rows_with_keys, rows_with_keys_together
from ..campaigns.models import Campaign, CampaignVersion, Source
from ..database import insert_or_skip
from ..extensions import db
from ..util import sha256_hex, utcnow
from ..voice.models import VoiceNote
from ..voice.operations import delete_voice_notes, voice_notes_of
from .models import Answer, ErasedResponse, Response, SyncConflict
from .rules import (
    ItemInvalid,
    ItemResult,
    Parsed,
    SourceRow,
    VersionIndex,
    checked_answer_rows,
    conflict_result,
    erased_result,
    parse_items,
    tombstone_hash,
    version_index,
)
from .storing import (
    NeedsSession,
    ResponseRows,
    drop_unwelcome_voice_notes,
    insert_new,
    response_id_binder,
    stored_and_erased,
)


class CampaignRow(NamedTuple):
    """What `lookup_queries` reads of a campaign."""

    id: object
    team_id: int
    state: str


class VersionRow(NamedTuple):
    """What `lookup_queries` reads of a campaign version (its definition is read once per etag)."""

    id: int
    campaign_id: object
    number: int
    etag: str


#: The columns of a `SyncConflict` row that `store_accepted` makes, in order.
CONFLICT_COLUMNS = ("response_id", "device_id", "received_at", "stored_hash", "incoming_hash", "incoming")


@lru_cache(maxsize=256)
def _version_index(campaign_id, team_id, state, etag, version_id) -> VersionIndex:
    # read on the connection the batch is checked on (the session's, or the sync's own: `bulk.on_connection`)
    (definition,), = rows_with_keys(CampaignVersion.__table__, "id", ("definition",), [version_id])
    return version_index(campaign_id, team_id, state, definition)


def lookup_queries(parsed: list[Parsed]) -> tuple[KeyedQuery, ...]:
    """What checking `parsed` reads: the campaigns, their versions and the flyer codes named; `looked_up`
    makes the versions' indexes and the sources of their rows."""
    campaign_ids = list({item.data["campaign_id"] for item in parsed})
    return (KeyedQuery(Campaign.__table__, "id", CampaignRow._fields, campaign_ids),
            KeyedQuery(CampaignVersion.__table__, "campaign_id", VersionRow._fields, campaign_ids),
            KeyedQuery(Source.__table__, "code", SourceRow._fields,
                       list({item.data["source"] for item in parsed if item.data["source"]})))


def looked_up(parsed: list[Parsed], rows: list) -> tuple[dict, dict]:
    """(campaign_id, number) -> VersionIndex of the versions `parsed` names that exist, and code -> SourceRow of
    its flyer codes that exist, from the rows of `lookup_queries(parsed)`."""
    campaign_rows, version_rows, source_rows = rows
    pairs = {(item.data["campaign_id"], item.data["campaign_version"]) for item in parsed}
    campaigns = {row.id: row for row in map(CampaignRow._make, campaign_rows)}
    indexes = {}
    for version in map(VersionRow._make, version_rows):
        campaign = campaigns.get(version.campaign_id)
        if campaign is not None and (version.campaign_id, version.number) in pairs:
            indexes[version.campaign_id, version.number] = _version_index(
                campaign.id, campaign.team_id, campaign.state, version.etag, version.id)
    return indexes, {row.code: row for row in map(SourceRow._make, source_rows)}


def ingest_batch(items: list, *, device=None) -> list[ItemResult]:
    """Store each new response once; report duplicates, conflicts and invalid items per item."""
    parsed, failed = parse_items(items)
    return ingest_parsed(parsed, failed, device=device)


def ingest_parsed(parsed: list, failed: list, *, device=None) -> list[ItemResult]:
    """`ingest_batch` for items that `parse_items` has validated already."""
    return store_checked(check_items(parsed, failed, device=device), device=device)


class Accepted(NamedTuple):
    """A response that passed its checks (`check_items`)."""

    #: Its place in the batch, what `load_response` made of it, and its content hash (`Parsed`).
    index: int
    data: dict
    digest: str
    #: The response's id as the driver stores it.
    stored_id: object
    #: Its `AnswerRow`s, holding `stored_id`.
    answer_rows: list


@dataclass
class CheckedBatch:
    """A batch after `check_items`: what is invalid, and what may be stored."""

    #: ItemResult of each invalid response.
    invalid: list
    #: Accepted of each response that passed its checks.
    accepted: list
    #: code -> SourceRow of the flyer codes the batch names.
    sources: dict


def check_items(parsed: list[Parsed], failed: list, *, device=None, rows: list | None = None) -> CheckedBatch:
    """Check each parsed response against its frozen campaign version and its sender, and make its answer rows.

    Only reads, so the sync view runs it before the transaction that writes (on SQLite, beside the writer).
    The answer rows hold the response's id as the driver stores it, bound once here for all of them.
    `rows`: those of `lookup_queries(parsed)` when the caller read them already (all at once), else read here.
    """
    versions, sources = looked_up(parsed, rows if rows is not None else rows_with_keys_together(
        *lookup_queries(parsed)))
    bind_id = response_id_binder()
    invalid, accepted = list(failed), []
    for index, data, digest in parsed:
        stored_id = bind_id(data["id"])
        try:
            rows = checked_answer_rows(data, versions.get((data["campaign_id"], data["campaign_version"])),
                                       sources.get(data["source"]), device, stored_id)
        except ItemInvalid as err:
            invalid.append(ItemResult(index, str(data["id"]), "invalid", [err.to_error()]))
        else:
            accepted.append(Accepted(index, data, digest, stored_id, rows))
    return CheckedBatch(invalid, accepted, sources)


def store_checked(checked: CheckedBatch, *, device=None) -> list[ItemResult]:
    """Store what `check_items` accepted; every item's result, in the batch's order."""
    results = checked.invalid + store_accepted(checked.accepted, checked.sources, device)
    return sorted(results, key=lambda r: r.index)


def store_accepted(accepted: list[Accepted], sources: dict, device) -> list[ItemResult]:
    """Insert what is new, log what conflicts, acknowledge what is already there, and answer `erased` for what
    a resident erased (it is never stored again, nor are its voice notes kept).

    Rows go to the driver as they are built (`ResponseRows`).
    """
    # Erased responses are stored no more, so only those not stored can be; looked up after the stored ones
    # (in one round trip in a PostgreSQL pipeline), a concurrent erasure is seen in one of the two (on
    # PostgreSQL each statement sees the latest commits).
    stored, erased = stored_and_erased([(item.stored_id, item.data["id"]) for item in accepted])
    now, results, responses, answers, conflicts = utcnow(), [], [], [], []
    response_rows = ResponseRows(sources, device, now)
    for index, data, digest, stored_id, rows in accepted:
        known = stored.get(stored_id)
        if known is None and data["id"] in erased:
            results.append(erased_result(index, data))
        elif known is None:
            stored[stored_id] = digest
            responses.append(response_rows.row(data, digest, stored_id))
            answers += rows
            results.append(ItemResult(index, str(data["id"]), "created"))
        elif known == digest:
            results.append(ItemResult(index, str(data["id"]), "duplicate"))
        else:
            conflicts.append((data["id"], device.id if device else None, now, known, digest, items_json(data)))
            results.append(conflict_result(index, data))
    if erased and not on_session():
        raise NeedsSession("a response was erased: its voice notes go too")
    insert_new(responses, answers)
    insert_rows(SyncConflict.__table__, CONFLICT_COLUMNS, conflicts)
    drop_unwelcome_voice_notes(responses)
    if erased:
        delete_voice_notes(voice_notes_of(list(erased)))  # declared again before its response came back
    return results


def items_json(data: dict) -> dict:
    """The refused version, JSON-safe, for the conflict log."""
    return orjson.loads(orjson.dumps(data, default=str))


def erase_by_receipt(receipt: str) -> int:
    """Erase every response (with answers and voice notes) that carries this receipt code, and keep a tombstone
    of each (`ErasedResponse`): a phone that resends one is answered `erased`, and nothing is stored again."""
    digest = sha256_hex(receipt.strip().upper())
    ids = list(db.session.scalars(select(Response.id).where(Response.receipt_hash == digest)))
    if ids:
        now = utcnow()
        db.session.execute(insert_or_skip(ErasedResponse.__table__, [
            {"id_hash": tombstone_hash(response_id), "erased_at": now} for response_id in ids], ["id_hash"]))
        delete_voice_notes(db.session.scalars(select(VoiceNote).where(VoiceNote.response_id.in_(ids))).all())
        db.session.execute(delete(Answer).where(Answer.response_id.in_(ids)))
        db.session.execute(delete(Response).where(Response.id.in_(ids)))
    return len(ids)
