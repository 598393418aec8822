"""`wijkstem storage check`: the store against the database (`server.storage.check`)."""

from datetime import timedelta

import click
from flask.cli import with_appcontext

from . import media_store
from .check import check_storage, delete_orphans


@click.group("storage")
def storage_group():
    """The media store (the local folder or an S3 bucket) against the database."""


@storage_group.command("check")
@click.option("--delete-orphans", "delete", is_flag=True,
              help="delete the files no row names (only those older than --older-than-hours)")
@click.option("--older-than-hours", default=24, show_default=True, type=click.IntRange(1))
@with_appcontext
def check_command(delete, older_than_hours):
    """List files without a row and rows without a file; exit status 1 when there are any."""
    report = check_storage()
    click.echo(f"storage: {media_store().kind}")
    for item in report.orphans:
        kind = "upload part" if item.part else "file"
        click.echo(f"{kind} without a row: {item.name} ({item.size} bytes, {item.modified:%Y-%m-%d %H:%M})")
    for table, row, name in report.missing:
        click.echo(f"row without a file: {table} {row}: {name}")
    click.echo(f"{len(report.orphans)} files without a row, {len(report.missing)} rows without a file")
    if delete and report.orphans:
        count = delete_orphans(report, timedelta(hours=older_than_hours))
        click.echo(f"deleted {count} files without a row")
    if not report.clean:
        raise SystemExit(1)
