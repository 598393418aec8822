"""The migrations build exactly the tables the models describe (0004 included), on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.extensions import db
from server.search.models import include_name


def test_migrated_database_matches_the_models(app, backend):
    with db.engine.connect() as connection:
        # without what the full-text engine owns beside the models (migration 0008), as the migrations' env.py
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_pending_index_is_partial(app, backend):
    indexes = {index["name"]: index for index in inspect(db.engine).get_indexes("responses")}
    pending = indexes["ix_responses_rollup_pending"]
    assert pending["column_names"] == ["campaign_id", "id"]
    where = pending.get("dialect_options", {}).get(f"{backend}_where")
    assert "counted_hidden" in str(where)
