"""The `wijkstem` commands, in one list that the app factory registers (`wijkstem --help` shows them).

The commands of one domain live in its `cli.py`; those of the whole server (demo, serve, i18n, import-rescue)
live here.
"""

import gc
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from gunicorn.app.base import BaseApplication
from sqlalchemy import select

from .accounts.cli import create_admin, grant_server_admin, revoke_server_admin
from .backups.cli import backup_command, restore_command
from .campaigns.models import Source
from .demo import (
    DEMO_COORDINATOR,
    DEMO_PARTNER,
    demo_coordinator_password,
    demo_partner_password,
    ensure_demo,
    ensure_demo_partner,
)
from .devices.cli import enrol_code, revoke_device_command
from .devices.operations import make_enrolment_code
from .extensions import db
from .i18n_status import STATUS_FILE, all_statuses, stats_lines, status_markdown
from .i18n_tools import compile_all, extract, update
from .jobs.periodic import start_periodic_jobs, stop_periodic_jobs
from .jobs.queue import runner_name, stop_runner
from .jobs.worker import worker_command
from .privacy.cli import audit_log_command
from .privacy.views import retention_command
from .pwa_views import warm_app_files
from .qr import public_url
from .rescue import RescueError, import_rescue_file
from .results.cli import results_group
from .storage.cli import storage_group
from .teams.cli import create_team


@click.command("demo")
@with_appcontext
def demo_command():
    """Create the demo team, campaign and flyers (once) and print where to find them."""
    print_demo_urls(public_url())


def print_demo_urls(root: str) -> None:
    team, campaign = ensure_demo()
    code = make_enrolment_code(team, "Demo phone")
    password = demo_coordinator_password(team)
    partnership = ensure_demo_partner(team, campaign)
    partner_password = demo_partner_password(partnership)
    db.session.commit()
    click.echo(f"\nWijkstem is running at {root}/\n")
    click.echo(f"  Field app:          {root}/app/")
    click.echo(f"  Enrol a phone:      {root}/app/#enrol={code}   (one-time, 15 minutes)")
    click.echo(f"  Demo team:          {team.slug}   (more phones: wijkstem enrol-code --team {team.slug})")
    for source in db.session.scalars(select(Source).where(Source.campaign_id == campaign.id)):
        if source.kind == "flyer":
            click.echo(f"  Flyer {source.name + ':':<18} {root}/f/{source.code}")
    click.echo(f"  API description:    {root}/api/openapi.json")
    click.echo(f"  Workspace:          {root}/workspace/")
    click.echo(f"    sign in as {DEMO_COORDINATOR} with password {password}   (new at every demo start)")
    click.echo(f"    recording studio: {root}/workspace/campaigns/{campaign.id}/studio/nl   (synthetic demo voice)")
    click.echo(f"    the municipality, partner of the initiative: {DEMO_PARTNER} with password {partner_password}")
    click.echo(f"    the partnership (what it may do, and did): {root}/workspace/partnerships/{partnership.id}")
    click.echo("    an admin account of your own: wijkstem create-admin EMAIL\n")


@click.command("serve")
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="request threads per worker (more lets a slow export share its worker, at a cost)")
@click.option("--demo", is_flag=True, help="migrate, create the demo campaign and print its URLs first")
@with_appcontext
def serve(bind, workers, threads, demo):
    """Run the production WSGI server (gunicorn)."""
    if demo:
        upgrade()
        print_demo_urls(public_url(base=f"http://{bind}"))
    warm_app_files(current_app)  # the field app's compressed files are made once, before the first phone asks
    db.session.remove()
    db.engine.dispose()  # the workers open their own connections; hold no lock here
    # with JSON logs the app writes one line per request itself (without the path, which may hold a code)
    run_gunicorn(bind, workers, threads, access_log=(current_app.config.get("LOG_FORMAT") or "") != "json")


def freeze_loaded_objects(_worker) -> None:
    """Leave the objects of the loaded app out of garbage collection (gunicorn's `post_worker_init`).

    They live as long as the worker, yet every full collection walked all of them: a quarter of the CPU
    that syncing a batch cost (docs/performance.md).
    """
    gc.collect()
    gc.freeze()


def start_worker(worker) -> None:
    """gunicorn's `post_worker_init`: freeze the loaded app's objects; without Redis, start the worker's clock
    of periodic jobs (its job thread starts with the first job). With Redis, `wijkstem worker` does both."""
    freeze_loaded_objects(worker)
    if runner_name(worker.wsgi) != "rq":
        start_periodic_jobs(worker.wsgi)


def stop_worker(_arbiter, worker) -> None:
    """gunicorn's `worker_exit`: stop the clock, let a job under way finish (queued ones stay pending in the
    database and are queued again by the next clock's tick, `server.jobs.queue.recover_stale`)."""
    if getattr(worker, "wsgi", None) is not None:
        stop_periodic_jobs(worker.wsgi)
        stop_runner(worker.wsgi)


#: Where gunicorn's workers keep their heartbeat files, if the system has it.
SHARED_MEMORY = "/dev/shm"  # noqa: S108  (gunicorn makes its files there with mkstemp and unlinks them)


def gunicorn_settings(bind: str, workers: int, threads: int = 1, access_log: bool = True) -> dict:
    """`wijkstem serve`'s gunicorn settings (also read by `bench/end_to_end.py --one` for its bare app).

    gthread: the worker's main loop keeps reporting alive while a thread streams a long export (a sync worker
    busy for more than `timeout` seconds is killed, and a million-row CSV takes longer). One thread by default:
    with four, the threads of a worker fought over the GIL, and eight syncing phones cost 50% more CPU per batch
    and waited several times longer (docs/performance.md). No keep-alive, and a worker takes a connection only
    when a thread is free: requests then queue once, in the listening socket, for whichever worker frees first.
    With keep-alive each connection stayed with the worker that accepted it, and one worker served most phones
    while the other idled. gunicorn touches a heartbeat file at every turn of a worker's loop: in memory, not
    on a journaled disk.
    """
    settings = {"bind": bind, "workers": workers, "worker_class": "gthread", "threads": threads,
                "timeout": 60, "graceful_timeout": 20, "keepalive": 0, "worker_connections": threads,
                "accesslog": "-" if access_log else None,
                "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms', "limit_request_line": 8190}
    if os.path.isdir(SHARED_MEMORY):
        settings["worker_tmp_dir"] = SHARED_MEMORY
    return settings


def run_gunicorn(bind: str, workers: int, threads: int = 1, access_log: bool = True) -> None:
    class Server(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_settings(bind, workers, threads, access_log).items():
                self.cfg.set(key, value)
            self.cfg.set("post_worker_init", start_worker)
            self.cfg.set("worker_exit", stop_worker)
            if "control_socket_disable" in self.cfg.settings:  # gunicorn >= 25.1: one socket per user, not ours
                self.cfg.set("control_socket_disable", True)

        def load(self):
            from . import create_app  # reason: each worker builds its own app, whose factory lists this command

            return create_app()

    Server().run()


@click.group("i18n")
def i18n_group():
    """Extract, update, compile and count the translations."""


@i18n_group.command("extract")
def i18n_extract():
    """Collect the message ids into messages.pot and list the resident-facing ones (resident-msgids.txt)."""
    extract()


@i18n_group.command("update")
@click.option("--lang", "languages", multiple=True, help="only this language (repeatable); default: all but en")
def i18n_update(languages):
    """Merge messages.pot into the catalogs, creating the missing ones."""
    try:
        update(tuple(languages))
    except ValueError as err:
        raise click.ClickException(str(err)) from err


@i18n_group.command("compile")
def i18n_compile():
    """Compile every catalog (.po) to the .mo files gettext reads."""
    compile_all()


@i18n_group.command("stats")
@click.option("--write", is_flag=True, help="also rewrite translations/STATUS.md")
def i18n_stats(write):
    """Per language: resident-facing and workspace completeness, and whether a native speaker reviewed it."""
    statuses = all_statuses()
    for line in stats_lines(statuses):
        click.echo(line)
    if write:
        STATUS_FILE.write_text(status_markdown(statuses), encoding="utf-8")
        click.echo(f"wrote {STATUS_FILE}")


@click.command("import-rescue")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--allow-revoked", is_flag=True,
              help="also import a file from a revoked phone (the audit log records that you did)")
@with_appcontext
def import_rescue(path, allow_revoked):
    """Import a rescue file exported from a phone, whole or not at all; what is already stored is not duplicated.

    The file is checked first; a file from a revoked phone is refused unless --allow-revoked is given."""
    try:
        summary = import_rescue_file(path, allow_revoked=allow_revoked)
    except RescueError as err:
        raise click.ClickException(str(err))
    click.echo(", ".join(f"{key}: {value}" for key, value in summary.items()))


#: Every command of `wijkstem` (and of `flask --app server`).
COMMANDS = [create_team, create_admin, grant_server_admin, revoke_server_admin, enrol_code, revoke_device_command,
            demo_command, serve, import_rescue, retention_command, audit_log_command, results_group, i18n_group,
            backup_command, restore_command, worker_command, storage_group]
