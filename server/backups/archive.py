"""One archive of a running server (`wijkstem backup`), and putting it back into an empty instance (`restore`).

The archive is a gzipped tar: `manifest.json` (what it holds, each file's size and sha256), the database under
`database/`, and every file of the media store (voice notes, prompts, clips; the folder or the S3 bucket)
under `media/`. The database is copied first, as one snapshot taken while the server keeps running: SQLite's
online backup API reads a single consistent state (in WAL mode beside the writers, without stopping them), and
`pg_dump` reads one repeatable-read snapshot. The media are copied afterwards, so every recording the snapshot
knows as complete is already final on disk (a note is marked complete only after its last chunk was written and synced);
an upload still under way is copied as far as it got, as the snapshot also records it (on S3 its parts are
left out: the phone sends that note again from the start, as after a failed check).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404: pg_dump and psql, with argument lists, never a shell
import tarfile
import tempfile
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..search.models import ENGINE_OWNED
from ..storage import media_store

FORMAT = "wijkstem-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/wijkstem.db"
POSTGRES_MEMBER = "database/wijkstem.sql"
#: Arguments of `pg_dump` for a dump that `psql` restores into an empty or a freshly migrated database.
PG_DUMP_ARGS = ["--format=plain", "--clean", "--if-exists", "--no-owner", "--no-privileges"]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# --- where things are ------------------------------------------------------------------------------------

def database_kind() -> str:
    return "sqlite" if db.engine.url.get_backend_name() == "sqlite" else "postgresql"


def sqlite_path() -> Path:
    return Path(db.engine.url.database)


def libpq_target() -> tuple[str, dict]:
    """The database as `pg_dump`/`psql` take it: a URL without its password, and the password in the env."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    return url.set(password=None).render_as_string(hide_password=False), env


def media_dir() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def media_description() -> str:
    """Where the media are, for a message: the local folder, or the bucket of an S3-compatible store."""
    if media_store().kind == "local":
        return f"the media folder {media_dir()}"
    return f"the media bucket {current_app.config['S3_BUCKET']}"


def media_files(root: Path) -> list[Path]:
    """Every regular file under the media folder, in a stable order."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def timestamp() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- backup ----------------------------------------------------------------------------------------------

def make_backup(target: Path) -> dict:
    """Write the archive to `target` (through a temporary file beside it, synced and renamed at the end); its
    manifest. Nothing is left at `target` or beside it when something fails."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="wijkstem-backup-") as work:
        database_file, member = snapshot_database(Path(work))
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds residents' voices
            with os.fdopen(fd, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as zipped, \
                        tarfile.open(fileobj=zipped, mode="w|") as archive:
                    manifest = write_archive(archive, database_file, member)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def write_archive(archive: tarfile.TarFile, database_file: Path, member: str) -> dict:
    """The database snapshot, then every media file, then the manifest that lists them all."""
    entries = [add_member(archive, member, database_file.read_bytes())]
    store = media_store()
    for item in store.files():
        data = None if item.part else store.read_bytes(item.name)
        if data is None:  # deleted (retention, erasure) since the snapshot: not needed; or part of an S3 upload
            continue
        entries.append(add_member(archive, "media/" + item.name, data))
    manifest = {"format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(),
                "database": database_kind(), "schema_revision": schema_revision(database_file),
                "files": entries}
    add_member(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
    return manifest


def add_member(archive: tarfile.TarFile, name: str, data: bytes) -> dict:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))
    return {"path": name, "size": len(data), "sha256": sha256(data)}


def snapshot_database(work: Path) -> tuple[Path, str]:
    """A consistent copy of the database in `work`: the file and its name in the archive."""
    if database_kind() == "sqlite":
        copy = work / "wijkstem.db"
        if not sqlite_path().is_file() or not holds_wijkstem(sqlite_path()):
            raise BackupError(f"there is no database at {sqlite_path()}: check DATABASE_URL (or run "
                              "`wijkstem db upgrade` there first)")
        try:
            sqlite_copy(sqlite_path(), copy)
        except sqlite3.Error as err:
            raise BackupError(f"could not copy the database {sqlite_path()}: {err}") from err
        return copy, SQLITE_MEMBER
    return pg_dump(work / "wijkstem.sql"), POSTGRES_MEMBER


def holds_wijkstem(database: Path) -> bool:
    """Whether the SQLite file is a Wijkstem database (the server makes an empty file before anything is in it)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as connection:
        return connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is not None


def sqlite_copy(database: Path, copy: Path) -> None:
    """SQLite's online backup API: every page in one step, so one read transaction and one state, while the
    server's writers carry on (WAL)."""
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    destination = sqlite3.connect(copy)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    os.chmod(copy, 0o600)


def pg_dump(path: Path) -> Path:
    url, env = libpq_target()
    binary = shutil.which("pg_dump")
    if binary is None:
        raise BackupError(
            "pg_dump is not on the PATH: install the PostgreSQL client tools of the server's version "
            "(Debian: apt install postgresql-client), or back up by hand with "
            f"`pg_dump {' '.join(PG_DUMP_ARGS)} --dbname=<database URL> > wijkstem.sql` "
            f"and a copy of {media_description()}")
    with path.open("wb") as out:
        done = subprocess.run([binary, *PG_DUMP_ARGS, f"--dbname={url}"], stdout=out,  # noqa: S603  (our own argument list)
                              stderr=subprocess.PIPE, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()}")
    return path


def schema_revision(database_file: Path) -> str | None:
    """The Alembic revision of the snapshot: read from the SQLite copy (a session here would queue for the
    server's write lock), or in a short connection of its own on PostgreSQL."""
    query = "SELECT version_num FROM alembic_version"
    try:
        if database_kind() == "sqlite":
            with closing(sqlite3.connect(database_file)) as copy:
                row = copy.execute(query).fetchone()
        else:
            with db.engine.connect() as conn:
                row = conn.execute(text(query)).first()
    except (sqlite3.Error, SQLAlchemyError):  # a database never migrated has no revision to record
        return None
    return row[0] if row else None


# --- restore ---------------------------------------------------------------------------------------------

def restore_backup(source: Path, overwrite: bool = False) -> dict:
    """Check every file of the archive against its manifest, then put database and media in place.

    :raise BackupError: the archive is damaged or not ours, its database is of the other kind, or the
        instance holds data and `overwrite` is not given. Nothing is changed then.
    """
    with tempfile.TemporaryDirectory(prefix="wijkstem-restore-") as work:
        manifest = unpack_verified(Path(source), Path(work))
        if manifest["database"] != database_kind():
            raise BackupError(f"this archive holds a {manifest['database']} database, but this instance uses "
                              f"{database_kind()}; point DATABASE_URL at a {manifest['database']} database")
        if not overwrite:
            refuse_if_in_use()
        restore_database(Path(work), manifest, overwrite)
        restore_media(Path(work) / "media", overwrite)
    return manifest


def unpack_verified(source: Path, work: Path) -> dict:
    """Extract the archive into `work`, checking each file's size and sha256 against the manifest."""
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            members = {m.name: m for m in archive.getmembers()}
            manifest = read_manifest(archive, members)
            listed = {entry["path"]: entry for entry in manifest["files"]}
            if set(members) - {MANIFEST} != set(listed):
                raise BackupError("the archive's files do not match its manifest: "
                                  f"{sorted(set(members) ^ set(listed) - {MANIFEST})[:5]}")
            for name, entry in listed.items():
                member = members[name]
                if not member.isfile() or not safe_member_name(name):
                    raise BackupError(f"refusing the archive entry {name!r}")
                data = archive.extractfile(member).read()
                if len(data) != entry["size"] or sha256(data) != entry["sha256"]:
                    raise BackupError(f"{name} is damaged: its sha256 does not match the manifest")
                destination = work / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(data)
    except (tarfile.TarError, OSError, EOFError, KeyError, ValueError) as err:
        raise BackupError(f"{source} is not a readable Wijkstem backup ({err})") from err
    return manifest


def read_manifest(archive: tarfile.TarFile, members: dict) -> dict:
    if MANIFEST not in members:
        raise BackupError("the archive has no manifest.json: it is not a Wijkstem backup")
    manifest = json.loads(archive.extractfile(members[MANIFEST]).read())
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("the archive is not a Wijkstem backup of a version this server reads")
    if manifest.get("database") not in ("sqlite", "postgresql") or not isinstance(manifest.get("files"), list):
        raise BackupError("the archive's manifest is incomplete")
    member = SQLITE_MEMBER if manifest["database"] == "sqlite" else POSTGRES_MEMBER
    if member not in {entry.get("path") for entry in manifest["files"]}:
        raise BackupError(f"the archive has no {member}")
    return manifest


def safe_member_name(name: str) -> bool:
    """Only the archive's own layout: the database file, or a relative path under `media/` without `..`."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return False
    return name in (SQLITE_MEMBER, POSTGRES_MEMBER) or (path.parts[0] == "media" and len(path.parts) > 1)


def tables_with_rows() -> list[str]:
    """The instance's tables that hold at least one row (Alembic's own bookkeeping, and the full-text engine's
    tables, which hold their settings even when empty, aside)."""
    names = [n for n in inspect(db.engine).get_table_names()
             if n != "alembic_version" and n not in ENGINE_OWNED["table"]]
    with db.engine.connect() as conn:
        return [n for n in names if conn.execute(select(text("1")).select_from(table(n)).limit(1)).first()]


def refuse_if_in_use() -> None:
    used = tables_with_rows()
    if used:
        raise BackupError(f"the database holds data (tables {', '.join(used[:5])}); restore into an empty "
                          "instance, or add --overwrite to replace it (its media folder is kept aside)")
    if next(media_store().files(), None) is not None:
        raise BackupError(f"the media store ({media_store().kind}) holds files; restore into an empty instance, or add "
                          "--overwrite")


def restore_database(work: Path, manifest: dict, overwrite: bool) -> None:
    db.session.remove()
    db.engine.dispose()
    if manifest["database"] == "sqlite":
        target = sqlite_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        if overwrite and target.exists():
            sqlite_copy(target, target.with_name(f"{target.name}.before-restore-{timestamp()}"))
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(work / SQLITE_MEMBER, staged)
        os.chmod(staged, 0o600)
        for suffix in ("-wal", "-shm"):  # the old database's log must not be replayed over the new one
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
        return
    psql(work / POSTGRES_MEMBER)


def psql(dump: Path) -> None:
    url, env = libpq_target()
    binary = shutil.which("psql")
    if binary is None:
        raise BackupError("psql is not on the PATH: install the PostgreSQL client tools (Debian: apt install "
                          f"postgresql-client), or run `psql --single-transaction -v ON_ERROR_STOP=1 "
                          f"--dbname=<database URL> -f wijkstem.sql` with the archive's {POSTGRES_MEMBER}")
    done = subprocess.run([binary, "-X", "-q", "--single-transaction", "-v", "ON_ERROR_STOP=1",  # noqa: S603  (our own argument list)
                           f"--dbname={url}", "-f", str(dump)], capture_output=True, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"psql could not restore the database: {done.stderr.decode(errors='replace').strip()}")


def restore_media(unpacked: Path, overwrite: bool) -> None:
    """The archive's media folder in place; with `overwrite`, the old one is moved aside first."""
    store = media_store()
    if store.kind != "local":  # an object store: the files are put there (with --overwrite, beside the old)
        for path in media_files(unpacked):
            store.put_bytes(path.relative_to(unpacked).as_posix(), path.read_bytes())
        return
    root = media_dir()
    if overwrite and root.exists() and media_files(root):
        aside = root.with_name(f"{root.name}.before-restore-{timestamp()}")
        os.replace(root, aside)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in media_files(unpacked):
        destination = root / path.relative_to(unpacked)
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(path.read_bytes())
