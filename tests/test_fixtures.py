"""The suite's own fixtures: on PostgreSQL a test's commits stay inside a transaction rolled back at its end."""

import pytest
from sqlalchemy import create_engine, func, select, text

from server.extensions import db
from server.teams.models import Team


def count_elsewhere(url: str) -> int:
    """Teams as another connection sees them (only what was committed for real)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM teams")).scalar()
    finally:
        engine.dispose()


def test_a_commit_reaches_the_test_but_not_the_database(team, database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite tests each have a database file of their own")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1
    assert count_elsewhere(database_url) == 0


@pytest.mark.commits
def test_a_test_marked_commits_commits_for_real(team, database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite tests each have a database file of their own")
    db.session.commit()
    assert count_elsewhere(database_url) == 1
