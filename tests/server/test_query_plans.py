"""PostgreSQL plans each query for the tables as they are, never with a plan cached while they were empty."""

import pytest
from sqlalchemy import text

from server.extensions import db
from tests.factories import response_body


def test_repeated_syncs_leave_no_prepared_statement_behind(backend, client, auth, campaign):
    if backend != "postgresql":
        pytest.skip("prepared statements and generic plans are PostgreSQL's")
    for _ in range(8):  # psycopg would prepare a statement from its fifth use on
        reply = client.post("/api/v1/sync", json={"responses": [response_body(campaign)]}, headers=auth)
        assert reply.json["results"][0]["status"] == "created"
    prepared = db.session.execute(text("SELECT name, statement FROM pg_prepared_statements")).all()
    assert prepared == []
