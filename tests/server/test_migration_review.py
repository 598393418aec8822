"""The migrations (up to 0003) build exactly the tables the models describe, and 0003 can be undone."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db
from server.search.models import include_name


def test_models_and_migrations_agree(app, backend):
    with db.engine.connect() as connection:
        # without what the full-text engine owns beside the models (migration 0008), as the migrations' env.py
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, db.metadata) == []


@pytest.mark.commits  # Alembic migrates through a connection of its own
def test_0003_downgrades_and_upgrades_again(app, backend):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    downgrade(revision="0002")
    assert "audit_events" not in inspect(db.engine).get_table_names()
    upgrade()
    assert {"audit_events", "tags", "response_tags", "review_comments"} <= set(inspect(db.engine).get_table_names())
