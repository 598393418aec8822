"""What every storage backend does (`server.storage.local`, `server.storage.s3`)."""

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StoredFile:
    """One file (or one part of an upload) as the store lists it."""

    #: The server-made name (`new_storage_name`); for a part, the name of the file it belongs to.
    name: str
    size: int
    modified: datetime
    #: A part of an upload not yet put together (S3 only), else ``False``.
    part: bool = False


class Storage(Protocol):
    """Files named by the server. Every method takes the relative name the database row keeps."""

    #: ``local`` or ``s3``.
    kind: str

    def write_at(self, name: str, offset: int, data: bytes) -> None:
        """One chunk of an upload at `offset` (the offset the database holds), durable on return; anything
        written after `offset` before is dropped."""

    def assembled(self, name: str) -> AbstractContextManager[Path]:
        """The whole upload as a local file, to check; kept as `name` when the block ends without an error."""

    def discard_parts(self, name: str) -> None:
        """Delete what an upload left beside the whole file (call after the commit that marks it whole)."""

    def put_bytes(self, name: str, data: bytes) -> None:
        """Store `data` as `name`, durable on return."""

    def put_file(self, name: str, path: Path) -> None:
        """Store the local file at `path` as `name` (the local file is consumed: moved or deleted)."""

    def read_bytes(self, name: str) -> bytes | None:
        """The whole file, or ``None`` when there is none (small files: clips)."""

    def local_copy(self, name: str) -> AbstractContextManager[Path]:
        """The file as a local path for a program that needs one (ffmpeg, a transcription backend).

        :raise FileNotFoundError: there is no such file.
        """

    def size(self, name: str) -> int | None:
        """Its size in bytes, or ``None`` when there is no such file."""

    def stream(self, name: str, start: int, stop: int, block: int = 65536) -> Iterator[bytes]:
        """Bytes ``[start, stop)`` in blocks, read as they are sent."""

    def delete(self, name: str) -> None:
        """Delete the file and any parts of its upload; a missing one is not an error."""

    def files(self) -> Iterator[StoredFile]:
        """Every stored file and upload part (`wijkstem storage check`, backups)."""

    def ping(self) -> None:
        """Raise when the store cannot be reached (readiness)."""
