"""SQL that differs between PostgreSQL and SQLite: the local day of a timestamp, and upserts."""

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Date, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SQLITE_LOCAL_DATE = "wijkstem_local_date"


class local_date(FunctionElement):
    """``local_date(timestamp, "Europe/Amsterdam")``: the calendar day of a UTC timestamp in a time zone."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "postgresql")
def _local_date_postgresql(element, compiler, **kw):
    timestamp, zone = list(element.clauses)
    return f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(timestamp, **kw)}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"{SQLITE_LOCAL_DATE}({compiler.process(element.clauses, **kw)})"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def sqlite_local_date(stored: str | None, zone: str) -> str | None:
    """SQLite's side of `local_date`: timestamps are stored as naive UTC text."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(_zone(zone)).date().isoformat()


def add_sql_functions(engine: Engine) -> None:
    """Give every SQLite connection of `engine` (the app's) the functions `local_date` compiles to."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _add_sqlite_functions):
        event.listen(engine, "connect", _add_sqlite_functions)


def _add_sqlite_functions(dbapi_connection, _record):
    dbapi_connection.create_function(SQLITE_LOCAL_DATE, 2, sqlite_local_date, deterministic=True)


def upsert(session, table):
    """An INSERT that can add to the row it collides with (`on_conflict_do_update`), for this database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"results need PostgreSQL or SQLite, not {name}")
