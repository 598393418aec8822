"""Alembic brings an empty database up to date on both backends, and the models agree with the migrations."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from server import create_app
from server.extensions import db
from server.search.models import ENGINE_OWNED, include_name
from tests.conftest import scratch_database


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A database with no tables at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_database("wijkstem_migrations") as url:
        yield url


@pytest.fixture
def migration_app(empty_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "MEDIA_DIR": str(tmp_path / "media"),
                      "SECRET_KEY": "test"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def differences() -> list:
    """What tells the models from the migrated database, leaving out what the full-text engine owns beside the
    models (the FTS5 table and its shadow tables, PostgreSQL's tsvector column and its index), as the
    migrations' `env.py` does."""
    opts = {"compare_type": True, "include_name": include_name}
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)


def engine_tables() -> set:
    """The full-text engine's tables that exist here (SQLite's FTS5 table and its shadow tables)."""
    return set(inspect(db.engine).get_table_names()) & ENGINE_OWNED["table"]


def test_upgrade_from_empty_makes_every_table(migration_app):
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == tables - engine_tables()
    if db.engine.dialect.name == "sqlite":
        assert {"search_fts", "search_fts_data", "search_fts_idx"} <= engine_tables()


def test_models_and_migrations_agree(migration_app):
    upgrade()
    assert differences() == []


def test_downgrade_to_empty_and_upgrade_again(migration_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert differences() == []


def test_0005_turns_question_prompts_into_clips_and_back(migration_app):
    """A prompt keeps its id (an installed app's URL still works) and becomes the clip ``q:<question>``,
    recorded for the question's text as it is; the downgrade gives the prompt back."""
    import hashlib
    import json

    upgrade(revision="0004")
    campaign_id, prompt_id = uuid.uuid4(), uuid.uuid4()
    definition = {"languages": ["nl"], "default_language": "nl", "title": {"nl": "T"},
                  "questions": [{"key": "wonen", "type": "smiley", "text": {"nl": "Hoe woon je? "},
                                 "prompts": {"nl": str(prompt_id)}}]}
    ids = {"campaign": campaign_id.hex if db.engine.dialect.name == "sqlite" else str(campaign_id),
           "prompt": prompt_id.hex if db.engine.dialect.name == "sqlite" else str(prompt_id)}
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (id, slug, name, kind, created_at) "
                          "VALUES (1, 't', 'T', 'initiative', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO campaigns (id, team_id, state, definition, current_version, created_at, "
                          "updated_at) VALUES (:id, 1, 'draft', :d, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                     {"id": ids["campaign"], "d": json.dumps(definition)})
        conn.execute(text("INSERT INTO prompt_audio (id, campaign_id, question_key, language, content_type, sha256, "
                          "size, storage_name, created_at) VALUES (:id, :c, 'wonen', 'nl', 'audio/webm', :s, 123, "
                          "'prompts/2026-11/x.bin', CURRENT_TIMESTAMP)"),
                     {"id": ids["prompt"], "c": ids["campaign"], "s": "a" * 64})
    upgrade()
    with db.engine.connect() as conn:
        clip = conn.execute(text("SELECT * FROM clips")).mappings().one()
    assert uuid.UUID(str(clip["id"])) == prompt_id and clip["key"] == "q:wonen" and clip["team_id"] == 1
    assert clip["text_sha256"] == hashlib.sha256(b"Hoe woon je?").hexdigest()
    assert (clip["size"], clip["storage_name"], clip["duration_ms"]) == (123, "prompts/2026-11/x.bin", None)
    assert "prompt_audio" not in inspect(db.engine).get_table_names()

    downgrade(revision="0004")
    with db.engine.connect() as conn:
        prompt = conn.execute(text("SELECT * FROM prompt_audio")).mappings().one()
    assert uuid.UUID(str(prompt["id"])) == prompt_id and prompt["question_key"] == "wonen"
    assert "clips" not in inspect(db.engine).get_table_names()
