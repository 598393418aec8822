"""The migrations build exactly the tables the models describe (0004 included), on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.extensions import db


def test_migrated_database_matches_the_models(app, backend):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_pending_index_is_partial(app, backend):
    indexes = {index["name"]: index for index in inspect(db.engine).get_indexes("responses")}
    pending = indexes["ix_responses_rollup_pending"]
    assert pending["column_names"] == ["campaign_id", "id"]
    where = pending.get("dialect_options", {}).get(f"{backend}_where")
    assert "counted_hidden" in str(where)
