"""Wijkstem's Flask application."""

import secrets
from pathlib import Path

from flask import Flask

from .config import Config, environment_overrides, normalise_database_url
from .extensions import babel, db, limiter, migrate
from .jsonio import OrjsonProvider
from .paths import MIGRATIONS_DIR


def create_app(config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, error handlers, commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.json = OrjsonProvider(app)
    configure(app, config or {})
    register_extensions(app)
    register_database_events(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    """Defaults, then the environment, then what the caller passed."""
    app.config.from_object(Config)
    app.config.update(environment_overrides())
    app.config.update(overrides)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'wijkstem.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["MEDIA_DIR"] = str(app.config["MEDIA_DIR"] or instance / "media")
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or instance_secret(instance)


def instance_secret(instance: Path) -> str:
    """A random secret kept in the instance folder, made on first start."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    """Bind the bare extension instances to this app."""
    from .i18n import compile_stale_catalogs, select_locale
    from .paths import TRANSLATIONS_DIR

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    compile_stale_catalogs(TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS_DIR))
    limiter.init_app(app)


def register_database_events(app: Flask) -> None:
    """This app's engine and Wijkstem's session, and nothing else in the process: per-database tuning, the SQL
    functions the results need, deleted responses taken off the running totals."""
    from .database import tune_engine
    from .results.rollup import take_deletes_off_totals
    from .results.sql import add_sql_functions

    with app.app_context():
        tune_engine(db.engine)
        add_sql_functions(db.engine)
    take_deletes_off_totals(db.session)


def register_blueprints(app: Flask) -> None:
    """The device API, the media downloads, the PWA and the coordinators' workspace."""
    from . import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from .accounts.views import accounts_blueprint
    from .api import api_blueprint
    from .pwa_views import pwa_blueprint
    from .workspace.views import workspace_blueprint

    app.register_blueprint(api_blueprint)
    app.register_blueprint(pwa_blueprint)
    app.register_blueprint(accounts_blueprint)
    app.register_blueprint(workspace_blueprint)
    register_review_blueprints(app)
    register_results_blueprints(app)


def register_review_blueprints(app: Flask) -> None:
    """Review, exports and privacy (the audit log, retention, residents' erasure)."""
    from .exports.views import exports_blueprint
    from .privacy.views import privacy_blueprint
    from .review.views import review_blueprint

    for blueprint in (review_blueprint, exports_blueprint, privacy_blueprint):
        app.register_blueprint(blueprint)


def register_results_blueprints(app: Flask) -> None:
    """Results, reach and reporting back (the workspace pages and the public results page)."""
    from .reach.views import reach_blueprint
    from .reporting.views import public_blueprint, reporting_blueprint
    from .results.views import results_blueprint

    for blueprint in (results_blueprint, reach_blueprint, reporting_blueprint, public_blueprint):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    """Every error leaves as JSON with a stable code and a translated message."""
    from .errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """The `wijkstem` command group, also reachable as `flask ...`."""
    from .cli import register_cli

    register_cli(app)


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
        return response
