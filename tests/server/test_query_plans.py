"""PostgreSQL parses a recurring statement once per connection (prepared), and plans each execution for its
parameters and the tables as they are, never with a generic plan made while they were empty."""

import pytest
from sqlalchemy import text

from server.config import environment_overrides
from server.extensions import db
from tests.factories import response_body

#: psycopg prepares a statement after five executions; PostgreSQL's default (`auto`) would then plan its sixth
#: to tenth execution each for its parameters and give it a generic plan from the eleventh on: enough syncs
#: that a generic plan would show.
SYNCS = 14


@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("prepared statements and generic plans are PostgreSQL's")


@pytest.fixture
def one_connection(app_config):
    """Every request and the test itself on the pool's one connection, whose prepared statements are asked."""
    app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 1, "max_overflow": 0}


def sync_repeatedly(client, auth, campaign) -> None:
    for _ in range(SYNCS):
        reply = client.post("/api/v1/sync", json={"responses": [response_body(campaign)]}, headers=auth)
        assert reply.json["results"][0]["status"] == "created"


def prepared_statements() -> list:
    return db.session.execute(text(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")).all()


def assert_planned_afresh(prepared: list) -> None:
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    duplicate_check = [row for row in prepared if "FROM responses" in row.statement and "content_hash" in row.statement]
    assert duplicate_check, prepared
    assert all(row.generic_plans == 0 for row in prepared), prepared
    assert all(row.custom_plans >= SYNCS - 5 for row in duplicate_check), duplicate_check


def test_the_session_path_prepares_its_statements_and_plans_every_execution_afresh(postgresql_only, client, auth,
                                                                                   campaign):
    sync_repeatedly(client, auth, campaign)
    assert_planned_afresh(prepared_statements())


@pytest.mark.commits
def test_a_phones_small_batch_prepares_its_statements_and_a_request_that_only_reads_keeps_them(
        postgresql_only, one_connection, requests_start_committed, client, auth, campaign, flyer):
    """The small batch's way (`sync_small_batch`: a Core connection, a pipeline); then a flyer visitor's page,
    whose transaction ends with a rollback: psycopg's own would deallocate every prepared statement."""
    from server.responses import views

    taken = []
    small = views.sync_small_batch
    views.sync_small_batch = lambda: taken.append(1) or small()
    try:
        sync_repeatedly(client, auth, campaign)
    finally:
        views.sync_small_batch = small
    assert len(taken) == SYNCS
    prepared = prepared_statements()
    assert_planned_afresh(prepared)
    db.session.commit()
    assert client.get(f"/api/v1/sources/{flyer.code}").status_code == 200
    db.session.remove()  # the end of the request's app context in production (the test's outlives the request)
    assert {row.statement for row in prepared_statements()} >= {row.statement for row in prepared}


def test_a_failed_transaction_still_rolls_back_cleanly(postgresql_only, client, auth, campaign):
    """After an error psycopg's own rollback runs (it cannot tell which statements the server prepared), and the
    syncs that follow prepare what they need again."""
    sync_repeatedly(client, auth, campaign)
    with pytest.raises(Exception, match="division by zero"):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    sync_repeatedly(client, auth, campaign)
    assert_planned_afresh(prepared_statements())


@pytest.fixture
def server_without_plan_cache_mode(monkeypatch):
    """A server that knows no `plan_cache_mode` (PostgreSQL before 12): setting it fails as setting this does."""
    import server.database

    monkeypatch.setattr(server.database, "FRESH_PLANS", "SET wijkstem_unknown_setting = 1")


def test_a_server_without_plan_cache_mode_gets_no_prepared_statements(postgresql_only, server_without_plan_cache_mode,
                                                                      client, auth, campaign):
    sync_repeatedly(client, auth, campaign)
    assert prepared_statements() == []
    assert db.session.connection().connection.driver_connection.prepare_threshold is None


@pytest.fixture
def no_prepared_statements(app_config):
    app_config["DATABASE_PREPARED_STATEMENTS"] = False


def test_a_pooler_that_cannot_keep_prepared_statements_gets_none(postgresql_only, no_prepared_statements, client,
                                                                 auth, campaign):
    sync_repeatedly(client, auth, campaign)
    assert prepared_statements() == []
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"  # left as the server has it


@pytest.mark.parametrize(("given", "expected"), [("off", False), ("0", False), ("No", False), ("on", True),
                                                 ("1", True), (" TRUE ", True)])
def test_prepared_statements_are_switched_off_from_the_environment(monkeypatch, given, expected):
    monkeypatch.setenv("WIJKSTEM_DATABASE_PREPARED_STATEMENTS", given)
    assert environment_overrides()["DATABASE_PREPARED_STATEMENTS"] is expected


def test_a_setting_that_is_neither_on_nor_off_is_refused(monkeypatch):
    monkeypatch.setenv("WIJKSTEM_DATABASE_PREPARED_STATEMENTS", "disabled")
    with pytest.raises(RuntimeError, match="WIJKSTEM_DATABASE_PREPARED_STATEMENTS must be on or off"):
        environment_overrides()
