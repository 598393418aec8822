"""PostgreSQL parses a recurring statement once per connection (prepared), and plans each execution for its
parameters and the tables as they are, never with a generic plan made while they were empty."""

import pytest
from sqlalchemy import text

from server.config import environment_overrides
from server.extensions import db
from tests.factories import response_body

#: psycopg prepares a statement from its fifth use on.
SYNCS = 8


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("prepared statements and generic plans are PostgreSQL's")


def sync_repeatedly(client, auth, campaign) -> None:
    for _ in range(SYNCS):
        reply = client.post("/api/v1/sync", json={"responses": [response_body(campaign)]}, headers=auth)
        assert reply.json["results"][0]["status"] == "created"


def prepared_statements() -> list:
    return db.session.execute(text(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")).all()


def test_repeated_syncs_prepare_their_statements_and_plan_every_execution_afresh(postgresql_only, client, auth,
                                                                                  campaign):
    sync_repeatedly(client, auth, campaign)
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    prepared = prepared_statements()
    duplicate_check = [row for row in prepared if "FROM responses" in row.statement and "content_hash" in row.statement]
    assert duplicate_check, prepared
    assert all(row.generic_plans == 0 for row in prepared), prepared
    assert all(row.custom_plans >= 1 for row in duplicate_check), duplicate_check


@pytest.fixture
def no_prepared_statements(app_config):
    app_config["DATABASE_PREPARED_STATEMENTS"] = False


def test_a_pooler_that_cannot_keep_prepared_statements_gets_none(postgresql_only, no_prepared_statements, client,
                                                                 auth, campaign):
    sync_repeatedly(client, auth, campaign)
    assert prepared_statements() == []
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"  # the options left alone


@pytest.mark.parametrize(("given", "expected"), [("off", False), ("0", False), ("No", False), ("on", True),
                                                 ("1", True)])
def test_prepared_statements_are_switched_off_from_the_environment(monkeypatch, given, expected):
    monkeypatch.setenv("WIJKSTEM_DATABASE_PREPARED_STATEMENTS", given)
    assert environment_overrides()["DATABASE_PREPARED_STATEMENTS"] is expected
