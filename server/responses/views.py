"""The sync endpoint: a batch in, a per-item acknowledgement out, only after the commit."""

import re
from collections import Counter

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..bulk import on_connection, pipelined, rows_with_keys_together
from ..database import READ_ONLY, reading_only
from ..devices.auth import bearer_token, not_enrolled, optional_device_ref
from ..devices.operations import DeviceRef, record_device_status
from ..errors import ApiError, N_plural
from ..extensions import db
from ..metrics import SYNC_ITEMS
from ..ratelimits import anonymous_rate_limit, erasure_rate_limit
from ..util import utcnow
from ..validation import load_json
from .operations import (
    CheckedBatch,
    NeedsSession,
    check_items,
    erase_by_receipt,
    lookup_queries,
    parse_items,
    store_checked,
)
from .schemas import ErasureSchema, sync_batch_schema

#: A JSON escape of a UTF-16 surrogate, in any case.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
responses_blueprint = Blueprint("responses", __name__, url_prefix="/v1")
#: Attempts when a concurrent batch stored the same new id between our check and our commit.
SYNC_ATTEMPTS = 3
#: A device's body up to this size (a few responses: one is about 1 KiB) is synced on one Core connection.
SMALL_BODY_BYTES = 16 * 1024


@responses_blueprint.post("/sync")
@anonymous_rate_limit
def sync():
    """Store a batch of responses; each item is created, duplicate, conflict or invalid."""
    results = sync_small_batch() if is_small_device_batch() else None
    if results is None:
        results = sync_on_session()
    count_sync_items(results)
    return jsonify({"results": [r.to_dict() for r in results], "server_time": utcnow().isoformat()})


def is_small_device_batch() -> bool:
    """A request with a bearer token and a small body, on a database whose driver `server.bulk` speaks, while
    the session holds no transaction (as at the start of every request; a test's session may hold one, whose
    rows another connection would not see, or whose write lock it would wait for)."""
    length = request.content_length
    if length is None or length > SMALL_BODY_BYTES or bearer_token() is None:
        return False
    session = db.session()
    return (not session.in_transaction() and isinstance(session.get_bind(), Engine)
            and db.engine.dialect.name in ("sqlite", "postgresql"))


def sync_small_batch() -> list | None:
    """`sync_on_session` for a device's small batch, on one Core connection from the pool, without the ORM
    session: the same steps, checks and writes (`server.bulk.on_connection`), one pool checkout instead of
    two, no session bookkeeping.

    :return: the results, or ``None`` when the batch needs the session after all (`NeedsSession`: nothing is
        stored then, and the caller syncs it the usual way).
    :raise ApiError 401: the token is unknown, or the device was revoked meanwhile (nothing is stored).
    """
    with db.engine.connect() as connection, on_connection(connection):
        try:
            if connection.dialect.name == "sqlite":
                return sync_beside_the_writer(connection)
            return sync_in_one_pipeline(connection)
        except NeedsSession:
            return None


def sync_beside_the_writer(connection) -> list:
    """SQLite: the token, the body and the checks in a deferred transaction that waits for no writer, then
    the writes in their turn (as `sync_on_session`)."""
    transaction = connection.execution_options(**{READ_ONLY: True}).begin()
    device = optional_device_ref()  # an unknown token is answered with 401 before the body is read
    batch = parse_batch()
    checked = check_items(batch["parsed"], batch["failed"], device=device)
    transaction.rollback()

    def store() -> list:
        with connection.execution_options(**{READ_ONLY: False}).begin():
            if not record_device_status(device.id, batch["device_status"]):
                raise not_enrolled()  # revoked meanwhile: nothing is stored
            return store_checked(checked, device=device)

    return with_retries(store)


def sync_in_one_pipeline(connection) -> list:
    """PostgreSQL: the token looked up first, in a round trip of its own (an unknown one is answered with 401
    before the body is read); then, in the same transaction, statements that travel in a pipeline
    (`server.bulk.pipelined`): the campaigns, versions and flyer codes read together, the device's status,
    the stored and erased ids together, the inserts with the early voice notes' lookup, and the commit."""
    connection.begin()
    device = optional_device_ref()
    batch = parse_batch()
    parsed, failed = batch["parsed"], batch["failed"]

    def store() -> list:
        transaction = connection.get_transaction() or connection.begin()  # a retry's is new
        with transaction, pipelined():
            rows = rows_with_keys_together(*lookup_queries(parsed))
            checked = check_items(parsed, failed, device=device, rows=rows)
            if not record_device_status(device.id, batch["device_status"]):
                raise not_enrolled()  # revoked meanwhile: nothing is stored
            results = store_checked(checked, device=device)
            transaction.commit()  # in the pipeline: COMMIT travels with its Sync
        return results

    return with_retries(store)


def with_retries(store):
    """`store()` (which stores a batch and commits, or rolls back on an error); once more, up to
    `SYNC_ATTEMPTS` in all, when a concurrent request stored one of the batch's ids first."""
    for attempt in range(SYNC_ATTEMPTS):
        try:
            return store()
        except IntegrityError:  # another request stored one of these ids first: look again
            if attempt == SYNC_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def sync_on_session() -> list:
    """The sync of any batch, through the ORM session."""
    with reading_only():  # a device's batch is checked without holding up other devices' writes
        device = optional_device_ref()  # an unknown token is answered with 401 before the body is read
        batch = parse_batch()
        checked = check_items(batch["parsed"], batch["failed"], device=device) if device else None
    return store_with_retry(batch, checked, device)


def count_sync_items(results: list) -> None:
    """The metrics' count of responses per outcome (created, duplicate, conflict, invalid)."""
    counts = Counter(result.status for result in results)
    for status, count in counts.items():
        SYNC_ITEMS.labels(status).inc(count)


def parse_batch() -> dict:
    """The request's batch with every response validated (no database work).

    :raise ApiError 415/400/422/413: not JSON, malformed, invalid, or more responses than allowed.
    """
    batch = load_json(sync_batch_schema)
    limit = current_app.config["SYNC_MAX_BATCH"]
    if len(batch["responses"]) > limit:
        raise ApiError(413, "batch_too_large", N_plural("Send at most {limit} response at once.",
                                                        "Send at most {limit} responses at once."),
                       field="responses", n=limit, limit=limit)
    # JSON can only carry a NUL character as \u0000, and a surrogate as \ud800 to \udfff (orjson reads the
    # pairs, `parse_json` the lone ones too): without such escapes in the body, no string holds either.
    body = request.get_data(cache=True)
    free_of_nul = b"\\u0000" not in body and not SURROGATE_ESCAPE.search(body)
    batch["parsed"], batch["failed"] = parse_items(batch["responses"], free_of_nul=free_of_nul)
    return batch


def store_with_retry(batch: dict, checked: CheckedBatch | None, device: DeviceRef | None) -> list:
    """Store a batch and commit; look again if a concurrent request stored one of its ids first.

    A device's batch was checked already (`checked`); if the device was revoked meanwhile, nothing is stored.
    A flyer visitor's is checked here, in the same transaction, as its flyer or campaign may just have closed.

    :raise ApiError 401: the device was revoked while its batch was being checked.
    """
    def store() -> list:
        nonlocal checked
        try:
            if device is None:
                checked = check_items(batch["parsed"], batch["failed"])
            elif not record_device_status(device.id, batch["device_status"]):
                raise not_enrolled()
            with db.session.no_autoflush:
                results = store_checked(checked, device=device)
            db.session.commit()
            return results
        except IntegrityError:
            db.session.rollback()
            raise

    return with_retries(store)


@responses_blueprint.post("/erasure")
@erasure_rate_limit
def erase():
    """Erase the responses (and voice notes) behind a resident's receipt code."""
    data = load_json(ErasureSchema())
    erased = erase_by_receipt(data["receipt"])
    db.session.commit()
    return jsonify({"erased": erased})
