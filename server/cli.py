"""The `wijkstem` command group (also available as `flask --app server ...`); its commands: `commands.py`."""

import sys

import click
from flask.cli import FlaskGroup

from . import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli():
    """Wijkstem: polls and voice notes for the neighbourhood."""


def main() -> None:
    cli(prog_name="wijkstem", args=sys.argv[1:])
