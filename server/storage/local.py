"""The default storage: files in the media folder of one machine (`MEDIA_DIR`), readable by the owner only."""

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .base import StoredFile


def private_folder(path: Path) -> None:
    """Make `path` and its missing parents readable by the owner only (residents' voices)."""
    if path.is_dir():
        return
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):  # made at the same moment by another request
        path.mkdir(mode=0o700)


class LocalStorage:
    """Uploads are written in place (``pwrite`` at the offset, ``fsync``): the file is whole once the last
    chunk is written, so there are no parts to put together."""

    kind = "local"

    def __init__(self, root):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """The file's path, its folder made if missing."""
        path = self.root / name
        private_folder(path.parent)
        return path

    def write_at(self, name: str, offset: int, data: bytes) -> None:
        fd = os.open(self.path(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.ftruncate(fd, offset)
            os.pwrite(fd, data, offset)
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def assembled(self, name: str) -> Iterator[Path]:
        yield self.root / name

    def discard_parts(self, name: str) -> None:
        """Nothing to do: an upload is written in place."""

    def put_bytes(self, name: str, data: bytes) -> None:
        partial = self.path(name).with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, self.root / name)

    def put_file(self, name: str, path: Path) -> None:
        target = self.path(name)
        try:
            os.chmod(path, 0o600)  # made by another program (ffmpeg) with its umask
            os.replace(path, target)
        except OSError:  # another file system: copy, then drop the original
            self.put_bytes(name, Path(path).read_bytes())
            Path(path).unlink(missing_ok=True)

    def read_bytes(self, name: str) -> bytes | None:
        try:
            return (self.root / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    @contextlib.contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        path = self.root / name
        if not path.is_file():
            raise FileNotFoundError(name)
        yield path

    def size(self, name: str) -> int | None:
        try:
            return (self.root / name).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None

    def stream(self, name: str, start: int, stop: int, block: int = 65536) -> Iterator[bytes]:
        with (self.root / name).open("rb") as handle:
            handle.seek(start)
            left = stop - start
            while left > 0:
                data = handle.read(min(block, left))
                if not data:
                    return
                left -= len(data)
                yield data

    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)

    def files(self) -> Iterator[StoredFile]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                yield StoredFile(path.relative_to(self.root).as_posix(), stat.st_size,
                                 datetime.fromtimestamp(stat.st_mtime, UTC))

    def ping(self) -> None:
        """The folder exists (made, owner-only, on a fresh server) and this process may write in it."""
        private_folder(self.root)
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise OSError(f"{self.root} is not a writable folder")
