"""The sync protocol's edges (issue 11): durable acknowledgements, erased responses that come back, one bad
character in one item, and what the documentation promises."""

import uuid

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.responses import views as sync_views
from server.responses.models import Response
from tests.factories import response_body

SYNC = "/api/v1/sync"


def sync(client, headers, *responses):
    return client.post(SYNC, json={"responses": list(responses)}, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- an acknowledgement survives a power cut ----------------------------------------------------------

@pytest.mark.sqlite_only
def test_the_connection_that_stores_a_batch_commits_durably(client, auth, campaign, monkeypatch):
    """SQLite in WAL mode with synchronous=NORMAL may lose the last commits on power loss; the sync
    acknowledges right after its commit, so its writing connection must run with synchronous=FULL (2)."""
    seen = []
    store = sync_views.store_checked

    def store_and_look(*args, **kwargs):
        seen.append(db.session.connection().exec_driver_sql("PRAGMA synchronous").scalar())
        return store(*args, **kwargs)

    monkeypatch.setattr(sync_views, "store_checked", store_and_look)
    reply = sync(client, auth, response_body(campaign))
    assert reply.json["results"][0]["status"] == "created"
    assert seen == [2]  # FULL
