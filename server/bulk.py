"""Bulk work straight through the database driver, for the sync path's hot spots.

Inserts: `COPY` on PostgreSQL, one executemany on SQLite. For the hundreds of answer rows of a sync batch,
SQLAlchemy's executemany spent more time building a parameter dict per row than the database spent storing
it, and on PostgreSQL it sent one INSERT per row. Lookups by a list of keys: one statement whose compiling
and binding cost SQLAlchemy ten times what the database spent answering it.
Values still pass through the columns' own types, so they are stored and read exactly as SQLAlchemy does.
Everything here runs on the session's connection, or on the Core connection that `on_connection` sets (the
sync of a small batch runs on one such connection, without the ORM session: `server/responses/views.py`).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import DBAPIError

from .extensions import db

_NOTHING = object()
#: Keys per `IN (...)` on SQLite, well under its limit on bound parameters.
SQLITE_KEYS_PER_STATEMENT = 500
#: Rows per INSERT statement of `insert_rows` in a PostgreSQL pipeline (where COPY cannot run).
PIPELINED_INSERT_ROWS = 50
#: The Core connection bulk work runs on instead of the session's (`on_connection`).
_connection: ContextVar = ContextVar("wijkstem_bulk_connection", default=None)
#: Whether the block runs in a PostgreSQL pipeline (`pipelined`).
_pipelined: ContextVar = ContextVar("wijkstem_bulk_pipelined", default=False)


def current_connection():
    """The connection bulk work runs on: the one `on_connection` set, else the session's."""
    connection = _connection.get()
    return db.session.connection() if connection is None else connection


def on_session() -> bool:
    """Whether bulk work runs on the session's connection (no `on_connection` in force)."""
    return _connection.get() is None


@contextmanager
def on_connection(connection):
    """Run the block's bulk work on `connection` (a Core connection, in its own transaction), not the session's."""
    token = _connection.set(connection)
    try:
        yield connection
    finally:
        _connection.reset(token)


@contextmanager
def pipelined():
    """On PostgreSQL, queue the block's statements in one pipeline: those whose results nobody reads at once
    (a small batch's inserts) travel with the next statement that is read, one round trip for all. A driver
    error (a key stored meanwhile) leaves as SQLAlchemy's, at the statement read next or at the block's end.
    Elsewhere the block runs as it is."""
    connection = current_connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    token = _pipelined.set(True)
    try:
        with driver_errors(connection, "pipeline") as driver, driver.pipeline():
            yield
    finally:
        _pipelined.reset(token)


def insert_rows(table: Table, columns: tuple[str, ...], rows: list[tuple], *, bound: bool = False) -> None:
    """Insert `rows` (Python values in the order of `columns`) in the transaction of `current_connection()`.

    `bound`: the rows hold the driver's values already, each made by the column's `value_binders`.

    :raise sqlalchemy.exc.IntegrityError: as SQLAlchemy's own insert would, e.g. for a key already stored.
    """
    if not rows:
        return
    connection = current_connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        if bound:
            raise NotImplementedError(f"bound rows on {dialect.name}")
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    if not bound:
        rows = bound_values(table, columns, rows, dialect)
    # Table and column names come from the models, never from a request; the values travel as parameters.
    quote = dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(column) for column in columns)})"
    if dialect.name == "postgresql" and _pipelined.get():  # COPY cannot run in a pipeline: multi-row INSERTs
        for start in range(0, len(rows), PIPELINED_INSERT_ROWS):  # full chunks, then one remainder
            chunk = rows[start:start + PIPELINED_INSERT_ROWS]
            statement = insert_statement(table, columns, dialect, len(chunk))
            with driver_errors(connection, statement) as driver:
                driver.execute(statement, [value for row in chunk for value in row])  # sent with the next one read
    elif dialect.name == "postgresql":
        copy_rows(connection, f"COPY {target} FROM STDIN", rows)
    else:
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {target} VALUES ({marks})"  # noqa: S608
        with driver_errors(connection, statement) as driver:
            driver.executemany(statement, rows)


@lru_cache(maxsize=256)
def insert_statement(table: Table, columns: tuple[str, ...], dialect, count: int) -> str:
    """``INSERT INTO table (columns) VALUES (...), ...`` for `count` rows, with psycopg's marks (a PostgreSQL
    pipeline's); made once per shape (one statement is cheaper for the driver than an executemany of a few rows)."""
    quote = dialect.identifier_preparer.quote
    values = f"({', '.join('%s' for _ in columns)})"
    # Table and column names come from the models, never from a request; the values travel as parameters.
    return (f"INSERT INTO {quote(table.name)} ({', '.join(quote(column) for column in columns)}) "  # noqa: S608
            f"VALUES {', '.join(values for _ in range(count))}")


def bound_values(table: Table, columns: tuple[str, ...], rows: list[tuple], dialect) -> list[tuple]:
    """The rows as the driver takes them: each value through its column type's bind processor."""
    processors = bind_processors(table, columns, dialect)
    if not any(processors):
        return rows
    by_column = [values if process is None else process_runs(process, values)
                 for process, values in zip(processors, zip(*rows, strict=True), strict=True)]
    return list(zip(*by_column, strict=True))


def process_runs(process, values) -> list:
    """`process` of each value, called once per run of the very same object (a response's answer rows
    repeat its id; a batch's rows share one received-at time)."""
    processed, last, last_processed = [], _NOTHING, None
    append = processed.append
    for value in values:
        if value is not last:
            last, last_processed = value, process(value)
        append(last_processed)
    return processed


def value_binders(table: Table, columns: tuple[str, ...]) -> tuple:
    """`bind_processors` for the session's database: per column, the function that turns a Python value into
    what the driver stores, or `None` where the driver takes the value as it is.

    For rows made ready for the driver as they are built, then stored by `insert_rows(..., bound=True)`.
    """
    return bind_processors(table, columns, db.engine.dialect)


def value_binder(table: Table, column: str):
    """`value_binders` of one column, as a function even where the driver takes the value as it is."""
    return value_binders(table, (column,))[0] or _as_is


def _as_is(value):
    return value


@lru_cache(maxsize=64)
def bind_processors(table: Table, columns: tuple[str, ...], dialect) -> tuple:
    """Per column, the function that turns a Python value into what the driver stores (or `None`)."""
    return tuple(table.c[column].type.dialect_impl(dialect).bind_processor(dialect) for column in columns)


def copy_rows(connection, statement: str, rows: list[tuple]) -> None:
    """psycopg's `COPY ... FROM STDIN`; driver errors leave as SQLAlchemy's (IntegrityError and friends)."""
    with driver_errors(connection, statement) as driver, driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def driver_errors(connection, statement: str):
    """The driver's own connection, whose errors leave as SQLAlchemy's (IntegrityError and friends).

    Straight to the driver, a sync batch's inserts skip SQLAlchemy's per-statement execution machinery.
    """
    dbapi = connection.dialect.loaded_dbapi
    driver = connection.connection.driver_connection
    try:
        yield driver
    except dbapi.Error as err:
        lost = connection.dialect.is_disconnect(err, driver, None)
        if lost:
            connection.invalidate(err)  # as SQLAlchemy does: the pool opens a new connection next time
        raise DBAPIError.instance(statement, None, err, dbapi.Error, connection_invalidated=lost) from err


def rows_with_keys(table: Table, key: str, columns: tuple[str, ...], keys: list, *,
                   driver_values: bool = False) -> list[tuple]:
    """`columns` of the rows of `table` whose `key` column is one of `keys` (any order), in the transaction of
    `current_connection()`; values come back as SQLAlchemy would load them.

    `driver_values`: the keys are the driver's values already (from `value_binders`), and the rows come back
    as the driver returns them, unconverted.
    """
    return rows_with_keys_together(KeyedQuery(table, key, columns, keys, driver_values))[0]


class KeyedQuery(NamedTuple):
    """The arguments of one `rows_with_keys`."""

    table: Table
    key: str
    columns: tuple
    keys: list
    driver_values: bool = False


def rows_with_keys_together(*queries: KeyedQuery) -> list[list[tuple]]:
    """`rows_with_keys` of each query, in order; in a PostgreSQL pipeline (`pipelined`) all are sent before
    any is read: one round trip for all."""
    connection = current_connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return [rows_with_keys_by_sqlalchemy(connection, *query) for query in queries]
    sent = [send_keyed_query(connection, *query) if query.keys else [] for query in queries]
    return [loaded_rows(connection, query, cursors) for query, cursors in zip(queries, sent, strict=True)]


def rows_with_keys_by_sqlalchemy(connection, table: Table, key: str, columns: tuple[str, ...], keys: list,
                                 driver_values: bool) -> list[tuple]:
    if not keys:
        return []
    if driver_values:
        raise NotImplementedError(f"driver values on {connection.dialect.name}")
    return [tuple(row) for row in connection.execute(
        select(*(table.c[column] for column in columns)).where(table.c[key].in_(keys)))]


def send_keyed_query(connection, table: Table, key: str, columns: tuple[str, ...], keys: list,
                     driver_values: bool) -> list:
    """The statements of one `rows_with_keys`, executed: their cursors, not read yet."""
    dialect = connection.dialect
    bind = None if driver_values else bind_processors(table, (key,), dialect)[0]
    keys = list(keys) if bind is None else [bind(value) for value in keys]
    if dialect.name == "postgresql":  # one key by `= %s`, several by `= ANY(%s)` with the list as one array
        one = len(keys) == 1
        statements = [(keyed_select(table, key, columns, dialect, one), keys if one else [keys])]
    else:
        chunks = [keys[start:start + SQLITE_KEYS_PER_STATEMENT]
                  for start in range(0, len(keys), SQLITE_KEYS_PER_STATEMENT)]
        statements = [(keyed_select(table, key, columns, dialect, len(chunk)), chunk) for chunk in chunks]
    cursors = []
    for statement, parameters in statements:
        with driver_errors(connection, statement) as driver:
            cursors.append((statement, driver.execute(statement, parameters)))
    return cursors


def loaded_rows(connection, query: KeyedQuery, cursors: list) -> list[tuple]:
    """What `send_keyed_query`'s cursors return, as `rows_with_keys` returns it."""
    rows = []
    for statement, cursor in cursors:
        with driver_errors(connection, statement):
            rows += cursor.fetchall()
    processors = () if query.driver_values else result_processors(query.table, query.columns, connection.dialect)
    if not any(processors):
        return [tuple(row) for row in rows]
    return [tuple(value if process is None or value is None else process(value)
                  for process, value in zip(processors, row, strict=True)) for row in rows]


@lru_cache(maxsize=256)
def keyed_select(table: Table, key: str, columns: tuple[str, ...], dialect, count: int) -> str:
    """``SELECT columns FROM table WHERE key`` is one of the keys: ``= ANY(%s)`` on PostgreSQL (``= %s`` when
    `count` is 1), ``IN`` with `count` marks on SQLite; made once per shape."""
    quote = dialect.identifier_preparer.quote
    # Table and column names come from the models, never from a request; the keys travel as parameters.
    wanted = f"SELECT {', '.join(quote(column) for column in columns)} FROM {quote(table.name)}"  # noqa: S608
    if dialect.name == "postgresql":
        return f"{wanted} WHERE {quote(key)} = {'%s' if count == 1 else 'ANY(%s)'}"
    return f"{wanted} WHERE {quote(key)} IN ({', '.join('?' for _ in range(count))})"


def update_row(table: Table, key: str, key_value, values: dict, unless_set: tuple[str, ...] = ()) -> int:
    """Set `values` on the row whose `key` is `key_value`, unless one of the `unless_set` columns holds a
    value, in the transaction of `current_connection()`; the number of rows updated (0 or 1)."""
    connection = current_connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        condition = [table.c[key] == key_value, *(table.c[column].is_(None) for column in unless_set)]
        return connection.execute(table.update().where(*condition).values(values)).rowcount
    statement, bound = bound_update(connection, table, key, key_value, values, unless_set)
    if _pipelined.get():  # the count is known once the statement's result is read
        statement = f"{statement} RETURNING 1"
        with driver_errors(connection, statement) as driver:
            return len(driver.execute(statement, bound).fetchall())
    with driver_errors(connection, statement) as driver:
        return driver.execute(statement, bound).rowcount


def bound_update(connection, table: Table, key: str, key_value, values: dict, unless_set: tuple[str, ...]):
    """`update_statement` and its parameters, bound for the driver."""
    columns = (*values, key)
    bound = tuple(value if bind is None else bind(value) for bind, value in zip(
        bind_processors(table, columns, connection.dialect), (*values.values(), key_value), strict=True))
    return update_statement(table, columns, unless_set, connection.dialect), bound


@lru_cache(maxsize=64)
def update_statement(table: Table, columns: tuple[str, ...], unless_set: tuple[str, ...], dialect) -> str:
    """``UPDATE table SET columns[:-1] WHERE columns[-1] = ...``, unless a column of `unless_set` is set."""
    *values, key = columns
    quote, mark = dialect.identifier_preparer.quote, "%s" if dialect.name == "postgresql" else "?"
    # Table and column names come from the models, never from a request; the values travel as parameters.
    return (f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {mark}' for c in values)} "  # noqa: S608
            f"WHERE {quote(key)} = {mark}" + "".join(f" AND {quote(c)} IS NULL" for c in unless_set))


def loaded_values(table: Table, column: str, values: list) -> list:
    """Values of `column` as the driver returned them (`driver_values`), loaded as SQLAlchemy loads them."""
    process = result_processors(table, (column,), db.engine.dialect)[0]
    return list(values) if process is None else [None if value is None else process(value) for value in values]


@lru_cache(maxsize=64)
def result_processors(table: Table, columns: tuple[str, ...], dialect) -> tuple:
    """Per column, the function that turns what the driver returns into the Python value (or `None`)."""
    return tuple(table.c[column].type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
