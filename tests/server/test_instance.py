"""Files the server makes: the instance folder, the SQLite database, the secret key and the media are the
owner's only, from the moment they exist (issue 11 §6)."""

import os
import stat
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

import server
from server.storage import media_path, write_at


@pytest.fixture
def loose_umask():
    """A umask that would let everyone read what is made without an explicit mode (a common default)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def configured(instance: Path) -> Flask:
    app = Flask("server", instance_path=str(instance), instance_relative_config=True)
    server.configure(app, {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": None, "MEDIA_DIR": None})
    return app


def test_instance_folder_database_and_key_are_the_owners_only(tmp_path, loose_umask):
    instance = tmp_path / "instance"
    app = configured(instance)
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    database = instance / "wijkstem.db"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith(str(database))
    assert mode(database) == 0o600
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        wal = database.with_name("wijkstem.db-wal")
        assert wal.exists() and mode(wal) == 0o600  # SQLite gives its WAL file the database's mode
    engine.dispose()
    assert len(app.config["SECRET_KEY"]) >= 40
    assert configured(instance).config["SECRET_KEY"] == app.config["SECRET_KEY"]  # kept, not made anew


def test_the_key_is_never_readable_by_others_not_even_for_an_instant(tmp_path, monkeypatch):
    """Written first and tightened after (`write_text`, then `chmod`) leaves a window; created 0600 does not."""
    seen = []
    real_chmod = os.chmod

    def watching_chmod(path, *args, **kwargs):
        seen.append((str(path), stat.S_IMODE(os.stat(path).st_mode)))
        return real_chmod(path, *args, **kwargs)

    monkeypatch.setattr(os, "chmod", watching_chmod)
    old = os.umask(0)
    try:
        instance = tmp_path / "instance"
        instance.mkdir()
        key = server.instance_secret(instance)
    finally:
        os.umask(old)
    assert key and mode(instance / "secret_key") == 0o600
    assert [(path, found) for path, found in seen if found & 0o077] == []


def test_an_empty_key_file_is_a_clear_error(tmp_path):
    (tmp_path / "secret_key").touch()
    with pytest.raises(RuntimeError, match="WIJKSTEM_SECRET_KEY"):
        server.instance_secret(tmp_path)


def test_media_files_and_folders_are_the_owners_only(app, loose_umask):
    with app.app_context():
        write_at("voice/2026-12/a.bin", 0, b"RIFF")
        path = media_path("voice/2026-12/a.bin")
    assert mode(path) == 0o600
    assert mode(path.parent) == mode(path.parent.parent) == 0o700
