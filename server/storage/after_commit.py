"""Store work that must wait for the database: a file is deleted, or an upload's parts cleared away, only once
the transaction that stops needing it commits, so a request that fails never leaves a row without its file."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from . import media_store

#: Key in ``session.info`` of what waits for the commit: (method of the storage, name) pairs.
PENDING = "wijkstem.storage.after_commit"


def delete_after_commit(session, storage_name: str) -> None:
    session.info.setdefault(PENDING, []).append(("delete", storage_name))


def discard_parts_after_commit(session, storage_name: str) -> None:
    session.info.setdefault(PENDING, []).append(("discard_parts", storage_name))


@event.listens_for(Session, "after_commit")
def _run_pending(session) -> None:
    pending = session.info.pop(PENDING, [])
    if pending:
        store = media_store()
        for method, storage_name in pending:
            getattr(store, method)(storage_name)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session) -> None:
    session.info.pop(PENDING, None)
