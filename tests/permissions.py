"""What the permission matrices share: how a reply is classified, and proof that a refusal changed nothing."""

from sqlalchemy import select

from server.extensions import db


def outcome(reply) -> str:
    """``sign_in``, ``forbidden``, ``hidden`` or ``allowed`` for one reply of the workspace."""
    # login_required answers 302 (or 401 for JSON); a finished action answers 303
    to_sign_in = reply.status_code == 302 and "/workspace/sign-in" in reply.headers["Location"]
    if reply.status_code == 401 or to_sign_in:
        return "sign_in"
    return {403: "forbidden", 404: "hidden"}.get(reply.status_code, "allowed")


def fingerprint() -> list:
    """Every row of every table but the sessions' own bookkeeping, to prove a refusal changed nothing."""
    rows = [(table.name, sorted(map(repr, db.session.execute(select(table)).all())))
            for table in db.metadata.sorted_tables if table.name != "user_sessions"]
    db.session.rollback()
    return rows
