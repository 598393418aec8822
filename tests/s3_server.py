"""A real S3-compatible server for the tests: moto's S3 server in a process of its own, over real HTTP on a free
port (no S3 server can be installed from the package registries here; MinIO or Garage take its place in
production, docs/deployment.md). Each test gets a bucket of its own."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

#: Keys moto accepts (any); never real ones.
S3_KEYS = {"S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret", "S3_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the S3 server stopped at once: {log.read().decode(errors='replace')}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the S3 server did not start")


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a moto S3 server started for this test run (for each xdist worker)."""
    pytest.importorskip("boto3")
    port = free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true", "PYTHONWARNINGS": "ignore"}
    # its log goes to a file: a pipe nobody reads fills up after some thousand requests, and the server then
    # stops answering in the middle of a run
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            wait_for_port(port, process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def s3_settings(endpoint: str, bucket: str | None = None) -> dict:
    """Settings of an app that stores in a new bucket of the test server (made here)."""
    import boto3  # reason: only the S3 tests need it

    bucket = bucket or f"wijkstem-{uuid.uuid4().hex[:12]}"
    settings = {"STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, **S3_KEYS}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test-key", aws_secret_access_key="test-secret")
    client.create_bucket(Bucket=bucket)
    client.close()
    return settings
