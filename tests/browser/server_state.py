"""Reading the live server's database from a test without blocking it.

With SQLite every transaction starts with BEGIN IMMEDIATE, so a test that kept one open would stall the
server it is watching. These helpers end each read at once and hand back detached, fully loaded objects."""

from sqlalchemy import func, select

from server.extensions import db


def fetch_all(statement) -> list:
    try:
        rows = db.session.scalars(statement).all()
        db.session.expunge_all()
        return rows
    finally:
        db.session.rollback()


def fetch_first(statement):
    rows = fetch_all(statement.limit(1))
    return rows[0] if rows else None


def count(model) -> int:
    try:
        return db.session.scalar(select(func.count()).select_from(model))
    finally:
        db.session.rollback()
