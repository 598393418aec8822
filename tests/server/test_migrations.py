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


def test_0013_indexes_the_texts_already_stored(migration_app):
    """Answers, transcripts, translations and comments stored before search existed are found after it, and
    the index follows later edits; the downgrade takes the engine's tables and triggers away."""
    from server.search.operations import matching_response_ids

    upgrade(revision="0012")
    sqlite = db.engine.dialect.name == "sqlite"
    ids = {name: (value.hex if sqlite else str(value)) for name, value in
           {"campaign": uuid.uuid4(), "response": uuid.uuid4(), "note": uuid.uuid4()}.items()}
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (id, slug, name, kind, created_at) "
                          "VALUES (1, 't', 'T', 'initiative', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO campaigns (id, team_id, state, definition, current_version, created_at, "
                          "updated_at) VALUES (:id, 1, 'draft', '{}', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                     {"id": ids["campaign"]})
        conn.execute(text("INSERT INTO responses (id, campaign_id, campaign_version, language, channel, "
                          "collected_at, received_at, consent_answers, consent_audio, content_hash, review_state) "
                          "VALUES (:id, :c, 1, 'tr', 'door_to_door', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                          ":yes, :yes, 'h', 'new')"), {"id": ids["response"], "c": ids["campaign"], "yes": True})
        conn.execute(text("INSERT INTO answers (id, response_id, question_key, text, translation) "
                          "VALUES (7, :r, 'idee', 'Daha fazla bank', 'Meer bankjes')"), {"r": ids["response"]})
        conn.execute(text("INSERT INTO voice_notes (id, response_id, question_key, size, content_type, sha256, "
                          "received_bytes, state, storage_name, created_at, transcript) VALUES (:id, :r, 'vertel', "
                          "1, 'audio/webm', 'x', 1, 'complete', 'n', CURRENT_TIMESTAMP, 'Sokak lambası')"),
                     {"id": ids["note"], "r": ids["response"]})
        conn.execute(text("INSERT INTO review_comments (response_id, body, created_at) "
                          "VALUES (:r, 'Bellen over de lantaarn', CURRENT_TIMESTAMP)"), {"r": ids["response"]})
    upgrade()
    response_id = uuid.UUID(ids["response"])
    for words in ("bank", "bankjes", "lambası", "lantaarn"):
        assert list(db.session.scalars(matching_response_ids(words))) == [response_id], words
    db.session.remove()  # end the read, so the write below gets SQLite's lock
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE answers SET translation = 'Meer zitplaatsen' WHERE id = 7"))
    assert list(db.session.scalars(matching_response_ids("bankjes"))) == []
    assert list(db.session.scalars(matching_response_ids("zitplaatsen"))) == [response_id]
    db.session.remove()
    downgrade(revision="0012")
    assert not set(inspect(db.engine).get_table_names()) & ({"search_documents"} | ENGINE_OWNED["table"])
