"""Wijkstem's Flask application."""

import contextlib
import os
import secrets
import time
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from . import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
from .accounts.auth import WorkspaceSessionInterface, public_url_is_https
from .accounts.views import accounts_blueprint
from .api import api_blueprint
from .commands import COMMANDS
from .config import Config, environment_overrides, normalise_database_url
from .csrf import protect_from_csrf
from .database import tune_engine
from .errors import register_error_handlers
from .exports.views import exports_blueprint
from .extensions import babel, db, limiter, migrate
from .health import health_blueprint
from .i18n import compile_stale_catalogs, select_locale
from .jobs import tasks  # noqa: F401  (every job registered, as `models` does for tables)
from .jobs.queue import listen_for_commits
from .jobs.views import jobs_blueprint
from .jsonio import OrjsonProvider
from .logs import configure_logging
from .metrics import instrument
from .partners.views import partners_blueprint
from .paths import MIGRATIONS_DIR, TRANSLATIONS_DIR
from .privacy.views import privacy_blueprint
from .proxies import trust_proxies
from .pwa_views import pwa_blueprint
from .ratelimit_storage import storage_uri
from .reach.views import reach_blueprint
from .reporting.views import public_blueprint, reporting_blueprint
from .results.rollup import take_deletes_off_totals
from .results.sql import add_sql_functions
from .results.views import results_blueprint
from .review.views import review_blueprint
from .templating import template_globals
from .themes.views import themes_blueprint
from .workspace.views import workspace_blueprint


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, database events, blueprints, pages, errors, commands, headers,
    the reverse proxies to believe."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    configure(app, config or {})
    register_extensions(app)
    register_database_events(app)
    register_blueprints(app)
    register_pages(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security_headers(app)
    register_observability(app)
    trust_proxies(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    """Defaults, then the environment, then what the caller passed."""
    app.config.from_object(Config)
    app.config.update(environment_overrides())
    app.config.update(overrides)
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only: it holds the key and the data
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'wijkstem.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["MEDIA_DIR"] = str(app.config["MEDIA_DIR"] or instance / "media")
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or instance_secret(instance)
    app.config["RATELIMIT_STORAGE_URI"] = (app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"]
                                           or storage_uri(instance / "ratelimits.db"))


def instance_secret(instance: Path) -> str:
    """A random secret kept in the instance folder, made on first start readable by the owner only: the file
    is created with mode 0600 (never world-readable, not even for an instant), by one process only."""
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made before, or by another worker starting at the same moment
    else:
        with os.fdopen(fd, "w") as secret:
            secret.write(secrets.token_urlsafe(48))
    for _attempt in range(200):  # another worker may have created the file and be writing it
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it, or set WIJKSTEM_SECRET_KEY")


def private_sqlite_file(url: str) -> None:
    """Create a missing SQLite database file readable by the owner only (SQLite gives its journal and WAL
    files the database file's mode); left alone when it exists or its folder does not."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:" \
            or parsed.database.startswith("file:"):
        return
    path = Path(parsed.database)
    if path.parent.is_dir() and not path.exists():
        with contextlib.suppress(FileExistsError):  # made at the same moment by another worker
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def register_extensions(app: Flask) -> None:
    """Bind the bare extension instances to this app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    compile_stale_catalogs(TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS_DIR))
    limiter.init_app(app)


def register_database_events(app: Flask) -> None:
    """This app's engine and Wijkstem's session, and nothing else in the process: per-database tuning, the SQL
    functions the results need, deleted responses taken off the running totals."""
    with app.app_context():
        tune_engine(db.engine, app.config["DATABASE_PREPARED_STATEMENTS"])
        add_sql_functions(db.engine)
    take_deletes_off_totals(db.session)
    listen_for_commits(db.session)


#: Every blueprint, each with the domain's url prefix: the device API (with its parts, `api.py`), the PWA, the
#: coordinators' workspace (with its parts, `workspace/views.py`), review, exports, privacy, results, reach,
#: reporting, the public results page, the background jobs' failures, and health and metrics.
BLUEPRINTS = (api_blueprint, pwa_blueprint, accounts_blueprint, workspace_blueprint, review_blueprint,
              exports_blueprint, privacy_blueprint, results_blueprint, reach_blueprint, reporting_blueprint,
              public_blueprint, themes_blueprint, jobs_blueprint, health_blueprint, partners_blueprint)


def register_blueprints(app: Flask) -> None:
    """Every blueprint (`BLUEPRINTS`); `server.models` has made every table known to SQLAlchemy and Alembic."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def register_pages(app: Flask) -> None:
    """What server-rendered pages share: the session cookie, one CSRF gate for every form, template helpers."""
    app.session_interface = WorkspaceSessionInterface()
    app.before_request(protect_from_csrf)
    app.jinja_env.globals.update(template_globals())


def register_errorhandlers(app: Flask) -> None:
    """Every error leaves as JSON with a stable code and a translated message."""
    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """The `wijkstem` commands (`commands.py`), also reachable as `flask ...`."""
    for command in COMMANDS:
        app.cli.add_command(command)


def register_observability(app: Flask) -> None:
    """Metrics for every request (`metrics.py`) and, when configured, JSON log lines (`logs.py`)."""
    instrument(app)
    configure_logging(app)


def register_security_headers(app: Flask) -> None:
    """A strict CSP and friends on every response."""

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Permissions-Policy", "microphone=(self), geolocation=(), camera=()")
        if public_url_is_https():
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
