"""Where recordings live: one interface, two backends (`STORAGE`).

``local`` (the default): files under `MEDIA_DIR`, named by the server, never served as static files.
``s3``: objects in any S3-compatible store (MinIO, Garage, Ceph, a cloud's S3) through boto3, so that every
server process of a scaled-out deployment sees the same files (`server.storage.s3`, docs/deployment.md).

Voice notes, their playback copies, clips (campaign texts and voice packs) and the demo's clips all go through
`media_store()`; nothing else reads or writes the media folder, and nothing serves a file but the app
(`server.storage.serving`: permission checks and audit come first, then the bytes, with `Range`).
"""

import os

from flask import current_app

from ..util import utcnow, uuid7
from .base import Storage, StoredFile
from .local import LocalStorage
from .s3 import S3Storage

__all__ = ["Storage", "StoredFile", "delete_file", "media_path", "media_store", "new_storage_name",
           "write_at"]

#: Key of the app's storage in ``app.extensions``.
EXTENSION = "wijkstem.storage"


def media_store() -> Storage:
    """The current app's storage, made on first use (per process: an S3 client is never shared across a fork)."""
    stores = current_app.extensions.setdefault(EXTENSION, {})
    key = os.getpid()
    if key not in stores:
        stores.clear()
        stores[key] = make_storage(current_app.config)
    return stores[key]


def make_storage(config) -> Storage:
    """The backend the settings name; an unknown name is refused at the first use, loudly."""
    kind = (config.get("STORAGE") or "local").lower()
    if kind == "local":
        return LocalStorage(config["MEDIA_DIR"])
    if kind == "s3":
        return S3Storage.from_config(config)
    raise RuntimeError(f"STORAGE must be 'local' or 's3', not {kind!r}")


def media_path(storage_name: str):
    """The local backend's path of a file, its folder made if missing (the local store's own tests)."""
    store = media_store()
    if not isinstance(store, LocalStorage):
        raise RuntimeError("media_path is only for the local storage; use media_store()")
    return store.path(storage_name)


def new_storage_name(kind: str) -> str:
    """A server-made relative name such as ``voice/2026-11/0193....bin``."""
    return f"{kind}/{utcnow():%Y-%m}/{uuid7().hex}.bin"


def write_at(storage_name: str, offset: int, data: bytes) -> None:
    """Write `data` at `offset` of a file being uploaded, dropping anything after it; durable on return."""
    media_store().write_at(storage_name, offset, data)


def delete_file(storage_name: str) -> None:
    """Delete a stored file and any parts of its upload; a missing one is not an error."""
    media_store().delete(storage_name)
