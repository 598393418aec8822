"""Storage in an S3-compatible object store (MinIO, Garage, Ceph, a cloud's S3) through boto3.

Settings (`server.config`, environment ``WIJKSTEM_S3_*``): `S3_BUCKET`, `S3_ENDPOINT_URL` (empty: the cloud's
own), `S3_REGION`, `S3_ACCESS_KEY_ID` / `S3_SECRET_ACCESS_KEY` (empty: boto3's own chain: ``AWS_*`` variables,
``~/.aws``, an instance role), `S3_PREFIX` (keys under it, when several instances share a bucket),
`S3_ADDRESSING_STYLE` (``path`` or ``virtual``; ``path`` when an endpoint is given, as MinIO and Garage expect).

Resumable uploads across servers: each chunk of a voice note is an object of its own,
``<prefix>parts/<name>/<offset, 12 digits>``, written before the database commits the new offset (which the
row lock keeps to one writer). The last chunk puts the parts together: they are chained from offset 0 by their
sizes (a part left by a request that rolled back is at an offset the chain skips, or written over by the retry),
checked (sha256, container, length) and stored whole as ``<prefix><name>``; the parts are deleted after the
commit that marks the note whole. S3 multipart uploads were not used: every part but the last must be at least
5 MiB there, and the app sends 32 KiB chunks (`pwa/js/sync.js`).
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .base import StoredFile

try:  # the `s3` extra (boto3); a local-only install has no botocore, and never makes an S3Storage
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover
    class ClientError(Exception):
        """Stands in for botocore's, which a local-only install lacks."""

PARTS = "parts/"
MISSING = {"404", "NoSuchKey", "NotFound"}


def missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in MISSING


class S3Storage:
    """Objects in one bucket, under one prefix; the client is made per process (`media_store`)."""

    kind = "s3"

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_config(cls, config) -> "S3Storage":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE is 's3' but S3_BUCKET (WIJKSTEM_S3_BUCKET) is not set")
        try:  # reason: boto3 takes a quarter of a second to import; only an S3 deployment needs it
            import boto3
            from botocore.config import Config as BotoConfig
        except ImportError as error:
            raise RuntimeError("STORAGE is 's3' but boto3 is not installed: pip install 'wijkstem[s3]'") from error
        endpoint = config.get("S3_ENDPOINT_URL") or None
        style = config.get("S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
        options = BotoConfig(
            s3={"addressing_style": style}, signature_version="s3v4",
            retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5, read_timeout=30,
            max_pool_connections=int(config.get("S3_MAX_CONNECTIONS") or 20),
            # MinIO, Garage and Ceph releases before 2025 refuse the CRC checksums boto3 sends by default
            request_checksum_calculation="when_required", response_checksum_validation="when_required")
        client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None, config=options)
        return cls(client, config["S3_BUCKET"], config.get("S3_PREFIX") or "")

    def key(self, name: str) -> str:
        return self.prefix + name

    def part_key(self, name: str, offset: int) -> str:
        return f"{self.prefix}{PARTS}{name}/{offset:012d}"

    def keys(self, prefix: str) -> Iterator[dict]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            yield from page.get("Contents", [])

    # --- uploads --------------------------------------------------------------------------------------

    def write_at(self, name: str, offset: int, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.part_key(name, offset), Body=data)

    def parts(self, name: str) -> dict[int, int]:
        """Offset -> size of the parts stored for `name`."""
        prefix = f"{self.prefix}{PARTS}{name}/"
        return {int(item["Key"][len(prefix):]): item["Size"] for item in self.keys(prefix)}

    @contextlib.contextmanager
    def assembled(self, name: str) -> Iterator[Path]:
        parts = self.parts(name)
        with self.scratch() as path:
            with path.open("wb") as whole:
                offset = 0
                while offset in parts and parts[offset] > 0:
                    body = self.client.get_object(Bucket=self.bucket, Key=self.part_key(name, offset))["Body"]
                    with contextlib.closing(body):
                        for block in body.iter_chunks(1 << 16):
                            whole.write(block)
                    offset += parts[offset]
            yield path
            self.client.upload_file(str(path), self.bucket, self.key(name))

    def discard_parts(self, name: str) -> None:
        self.delete_keys([item["Key"] for item in self.keys(f"{self.prefix}{PARTS}{name}/")])

    def delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    # --- whole files ----------------------------------------------------------------------------------

    def put_bytes(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data)

    def put_file(self, name: str, path: Path) -> None:
        try:
            self.client.upload_file(str(path), self.bucket, self.key(name))
        finally:
            Path(path).unlink(missing_ok=True)

    def read_bytes(self, name: str) -> bytes | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(name))["Body"]
        except ClientError as error:
            if missing(error):
                return None
            raise
        with contextlib.closing(body):
            return body.read()

    @contextlib.contextmanager
    def local_copy(self, name: str) -> Iterator[Path]:
        with self.scratch() as path:
            try:
                self.client.download_file(self.bucket, self.key(name), str(path))
            except ClientError as error:
                if missing(error):
                    raise FileNotFoundError(name) from error
                raise
            yield path

    @contextlib.contextmanager
    def scratch(self) -> Iterator[Path]:
        """A private temporary file, deleted after use."""
        fd, path = tempfile.mkstemp(prefix="wijkstem-media-")
        os.close(fd)
        try:
            yield Path(path)
        finally:
            Path(path).unlink(missing_ok=True)

    def size(self, name: str) -> int | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(name))["ContentLength"]
        except ClientError as error:
            if missing(error):
                return None
            raise

    def stream(self, name: str, start: int, stop: int, block: int = 65536) -> Iterator[bytes]:
        if stop <= start:
            return
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(name),
                                      Range=f"bytes={start}-{stop - 1}")["Body"]
        with contextlib.closing(body):
            yield from body.iter_chunks(block)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(name))
        self.discard_parts(name)

    def files(self) -> Iterator[StoredFile]:
        parts = self.prefix + PARTS
        for item in self.keys(self.prefix):
            key = item["Key"]
            if key.startswith(parts):
                name, part = key[len(parts):].rsplit("/", 1)[0], True
            else:
                name, part = key[len(self.prefix):], False
            yield StoredFile(name, item["Size"], item["LastModified"], part)

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)
