"""Bulk inserts straight through the database driver: `COPY` on PostgreSQL, one executemany on SQLite.

For the hundreds of answer rows of a sync batch, SQLAlchemy's executemany spent more time building a
parameter dict per row than the database spent storing it, and on PostgreSQL it sent one INSERT per row.
Values still pass through the columns' own types, so they are stored exactly as SQLAlchemy stores them.
"""

from functools import lru_cache

from sqlalchemy import Table, insert
from sqlalchemy.exc import DBAPIError

from .extensions import db


def insert_rows(table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert `rows` (Python values in the order of `columns`) in the session's transaction.

    :raise sqlalchemy.exc.IntegrityError: as SQLAlchemy's own insert would, e.g. for a key already stored.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    rows = bound_values(table, columns, rows, dialect)
    # Table and column names come from the models, never from a request; the values travel as parameters.
    quote = dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(column) for column in columns)})"
    if dialect.name == "postgresql":
        copy_rows(connection, f"COPY {target} FROM STDIN", rows)
    else:
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", rows)  # noqa: S608


def bound_values(table: Table, columns: tuple[str, ...], rows: list[tuple], dialect) -> list[tuple]:
    """The rows as the driver takes them: each value through its column type's bind processor."""
    processors = bind_processors(table, columns, dialect)
    if not any(processors):
        return rows
    by_column = [values if process is None else list(map(process, values))
                 for process, values in zip(processors, zip(*rows, strict=True), strict=True)]
    return list(zip(*by_column, strict=True))


@lru_cache(maxsize=64)
def bind_processors(table: Table, columns: tuple[str, ...], dialect) -> tuple:
    """Per column, the function that turns a Python value into what the driver stores (or `None`)."""
    return tuple(table.c[column].type.dialect_impl(dialect).bind_processor(dialect) for column in columns)


def copy_rows(connection, statement: str, rows: list[tuple]) -> None:
    """psycopg's `COPY ... FROM STDIN`; driver errors leave as SQLAlchemy's (IntegrityError and friends)."""
    dbapi = connection.dialect.loaded_dbapi
    try:
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except dbapi.Error as err:
        raise DBAPIError.instance(statement, None, err, dbapi.Error) from err
