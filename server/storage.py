"""Files under the media folder, named by the server, never served as static files."""

import contextlib
import os
from pathlib import Path

from flask import current_app

from .util import utcnow, uuid7


def media_root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def new_storage_name(kind: str) -> str:
    """A server-made relative path such as ``voice/2026-11/0193....bin``."""
    return f"{kind}/{utcnow():%Y-%m}/{uuid7().hex}.bin"


def media_path(storage_name: str) -> Path:
    path = media_root() / storage_name
    private_folder(path.parent)
    return path


def private_folder(path: Path) -> None:
    """Make `path` and its missing parents readable by the owner only (residents' voices)."""
    if path.is_dir():
        return
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):  # made at the same moment by another request
        path.mkdir(mode=0o700)


def write_at(storage_name: str, offset: int, data: bytes) -> None:
    """Write `data` at `offset`, dropping anything after it, and make it durable before returning."""
    path = media_path(storage_name)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, offset)
        os.pwrite(fd, data, offset)
        os.fsync(fd)
    finally:
        os.close(fd)


def delete_file(storage_name: str) -> None:
    (media_root() / storage_name).unlink(missing_ok=True)
