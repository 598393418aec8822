"""Logs as JSON lines (`LOG_FORMAT = "json"`): every record, and one line per request.

A request's line holds its id (the `X-Request-Id` it came with when that looks like one, else a new one; sent
back in the reply), the method, the endpoint's *name* (``responses.sync``), the status and the duration. Never
the path or the query (a flyer's code is in `/f/<code>`, a report's in `/r/<code>`), never a header, a body, a
token, a receipt code or an answer: `tests/server/test_health.py` sends all of them and looks.
"""

import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

import orjson
from flask import Flask, g, request
from flask.logging import default_handler

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
#: The request line's fields, copied from a record's `extra`.
FIELDS = ("request_id", "method", "endpoint", "status", "duration_ms")
request_log = logging.getLogger("wijkstem.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update({field: getattr(record, field) for field in FIELDS if hasattr(record, field)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the moment (a test may capture it)."""

    def emit(self, record):
        self.stream = sys.stderr
        super().emit(record)


def json_handler() -> logging.Handler | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, StderrHandler)), None)


def install_json_logging() -> logging.Handler:
    """One JSON handler on the root logger (once per process), at level INFO."""
    root = logging.getLogger()
    handler = json_handler()
    if handler is None:
        handler = StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler


def remove_json_logging() -> None:
    handler = json_handler()
    if handler is not None:
        logging.getLogger().removeHandler(handler)


def start_request() -> None:
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_log_started = time.perf_counter()


def log_request(response):
    started = g.get("request_log_started")
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-Id"] = request_id
    request_log.info("request", extra={
        "request_id": request_id, "method": request.method, "endpoint": request.endpoint or "unmatched",
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started is not None else None})
    return response


def configure_logging(app: Flask) -> None:
    """JSON lines when `LOG_FORMAT` is ``json``; otherwise logging stays as it was."""
    if (app.config.get("LOG_FORMAT") or "").lower() != "json":
        return
    install_json_logging()
    app.logger.removeHandler(default_handler)  # its records reach the root logger's JSON handler
    app.before_request(start_request)
    app.after_request(log_request)
