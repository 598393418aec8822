"""`GET /healthz`, `GET /readyz` and `GET /metrics`: what a load balancer and an operator ask.

- ``/healthz``: the process answers (no database, nothing else): restart it if this fails.
- ``/readyz``: the database answers, Redis answers (when the jobs or the rate limits use it), the media
  store can be written (the local folder) or answers (the S3 bucket): send it requests only if this says 200.
  Each check is cheap (``SELECT 1``, ``PING``, a folder's status or ``HeadBucket``); the reply names the
  checks, never an error's text.
- ``/metrics``: Prometheus' text format (`server.metrics`), for a request that bears `METRICS_TOKEN` or comes
  from `METRICS_ALLOW`; 404 when neither is set, so it is off by default.

All three are unauthenticated (no session, no CSRF, no rate limit) and never cached.
"""

import hmac
import logging
from ipaddress import ip_address

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text

from .database import reading_only
from .extensions import db
from .metrics import exposition
from .proxies import parse_networks
from .storage import media_store

log = logging.getLogger(__name__)
health_blueprint = Blueprint("health", __name__)
REDIS_TIMEOUT_SECONDS = 1.0


def no_store(reply):
    reply.headers["Cache-Control"] = "no-store"
    return reply


@health_blueprint.get("/healthz")
def healthz():
    return no_store(jsonify(status="ok"))


def database_ready() -> bool:
    """``SELECT 1`` as a read (on SQLite: without waiting for the writers' turn)."""
    try:
        with reading_only():
            db.session.execute(text("SELECT 1"))
        return True
    finally:
        db.session.rollback()


def redis_urls() -> list[str]:
    """The Redis servers this process depends on: the jobs' and the rate limits' (when they are Redis)."""
    urls = [current_app.config.get("REDIS_URL"), current_app.config.get("RATELIMIT_STORAGE_URI")]
    return list(dict.fromkeys(url for url in urls if url and url.startswith(("redis://", "rediss://"))))


def redis_ready() -> bool:
    from redis import Redis  # reason: only a server that uses Redis needs the redis package

    for url in redis_urls():
        client = Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        try:
            client.ping()
        finally:
            client.close()
    return True


def storage_ready() -> bool:
    """The media store answers (`Storage.ping`): the local folder exists (made, owner-only, on a fresh server)
    and this process may write in it; the S3 bucket answers (``HeadBucket``)."""
    media_store().ping()
    return True


def readiness_checks() -> dict:
    checks = {"database": database_ready, "storage": storage_ready}
    if redis_urls():
        checks["redis"] = redis_ready
    return checks


@health_blueprint.get("/readyz")
def readyz():
    results = {}
    for name, check in readiness_checks().items():
        try:
            results[name] = "ok" if check() else "failed"
        except Exception as err:  # whatever a down dependency raises: not ready, and why goes to the log
            log.warning("readiness check %s failed: %s", name, type(err).__name__)
            results[name] = "failed"
    ready = all(value == "ok" for value in results.values())
    reply = jsonify(status="ready" if ready else "not_ready", checks=results)
    reply.status_code = 200 if ready else 503
    return no_store(reply)


def metrics_allowed() -> bool:
    """The request bears `METRICS_TOKEN` (``Authorization: Bearer ...``) or comes from `METRICS_ALLOW`."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return True
    networks = parse_networks(config.get("METRICS_ALLOW") or "")
    if networks and request.remote_addr:
        try:
            address = ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in network for network in networks)
    return False


@health_blueprint.get("/metrics")
def metrics():
    config = current_app.config
    if not config.get("METRICS_TOKEN") and not config.get("METRICS_ALLOW"):
        return no_store(Response("not found\n", status=404, mimetype="text/plain"))
    if not metrics_allowed():
        reply = Response("forbidden\n", status=403, mimetype="text/plain")
        reply.headers["WWW-Authenticate"] = "Bearer"
        return no_store(reply)
    try:
        with reading_only():  # the job counts are a read: on SQLite, no waiting for the writers' turn
            body = exposition()
    finally:
        db.session.rollback()
    return no_store(Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8"))
