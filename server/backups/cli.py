"""`wijkstem backup FILE` and `wijkstem restore FILE` (`archive.py`; docs/deployment.md says when and how)."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from .archive import BackupError, make_backup, restore_backup


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path):
    """Write one consistent archive (database, media, manifest with sha256) of this server, even while it runs."""
    try:
        manifest = make_backup(Path(path))
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    media = [entry for entry in manifest["files"] if entry["path"].startswith("media/")]
    click.echo(f"wrote {path}: the {manifest['database']} database and {len(media)} media files "
               f"({sum(entry['size'] for entry in media)} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--overwrite", is_flag=True,
              help="replace a database that holds data (SQLite's file and the media folder are kept aside)")
@with_appcontext
def restore_command(path, overwrite):
    """Check every file of a backup against its sha256, then restore it into this (empty) instance; stop the
    server first."""
    try:
        manifest = restore_backup(Path(path), overwrite=overwrite)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"restored the backup of {manifest['created_at']} ({len(manifest['files'])} files, every sha256 "
               "checked); run `wijkstem db upgrade` if this server is newer than the backup")
