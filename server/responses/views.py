"""The sync endpoint: a batch in, a per-item acknowledgement out, only after the commit."""

import re
from collections import Counter

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from ..database import reading_only
from ..devices.auth import not_enrolled, optional_device_ref
from ..devices.operations import DeviceRef, record_device_status
from ..errors import ApiError, N_plural
from ..extensions import db
from ..metrics import SYNC_ITEMS
from ..ratelimits import anonymous_rate_limit, erasure_rate_limit
from ..util import utcnow
from ..validation import load_json
from .operations import CheckedBatch, check_items, erase_by_receipt, parse_items, store_checked
from .schemas import ErasureSchema, sync_batch_schema

#: A JSON escape of a UTF-16 surrogate, in any case.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
responses_blueprint = Blueprint("responses", __name__, url_prefix="/v1")
#: Attempts when a concurrent batch stored the same new id between our check and our commit.
SYNC_ATTEMPTS = 3


@responses_blueprint.post("/sync")
@anonymous_rate_limit
def sync():
    """Store a batch of responses; each item is created, duplicate, conflict or invalid."""
    with reading_only():  # a device's batch is checked without holding up other devices' writes
        device = optional_device_ref()  # an unknown token is answered with 401 before the body is read
        batch = parse_batch()
        checked = check_items(batch["parsed"], batch["failed"], device=device) if device else None
    results = store_with_retry(batch, checked, device)
    count_sync_items(results)
    return jsonify({"results": [r.to_dict() for r in results], "server_time": utcnow().isoformat()})


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
    for attempt in range(SYNC_ATTEMPTS):
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
            db.session.rollback()  # another request stored one of these ids first: look again
            if attempt == SYNC_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@responses_blueprint.post("/erasure")
@erasure_rate_limit
def erase():
    """Erase the responses (and voice notes) behind a resident's receipt code."""
    data = load_json(ErasureSchema())
    erased = erase_by_receipt(data["receipt"])
    db.session.commit()
    return jsonify({"erased": erased})
