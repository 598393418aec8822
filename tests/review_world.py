"""Fixtures for the review, export and privacy tests: a coordinator's browser and responses synced for real.

Import the fixtures a test module needs from here; responses go through the device API (sync and resumable
voice-note upload), exactly as a phone sends them.
"""

import uuid

import pytest

from server.extensions import db
from tests.factories import response_body, voice_declaration, wav_bytes


@pytest.fixture
def coordinator(make_user, team):
    return make_user("coordinator", [team])


@pytest.fixture
def reviewer(web_as, coordinator):
    """A signed-in coordinator of the demo team."""
    return web_as(coordinator)


@pytest.fixture
def sync(client, auth):
    """Sync response bodies through the API: ``sync(body, ...)`` -> their ids."""

    def send(*bodies):
        reply = client.post("/api/v1/sync", json={"responses": list(bodies)}, headers=auth)
        assert reply.status_code == 200, reply.json
        assert [r["status"] for r in reply.json["results"]] == ["created"] * len(bodies), reply.json
        return [uuid.UUID(body["id"]) for body in bodies]

    return send


@pytest.fixture
def upload_voice(client, auth):
    """Upload a voice note for a response through the resumable API: ``upload_voice(response_id)`` -> its id."""

    def upload(response_id, data: bytes | None = None, content_type: str = "audio/wav", note_id=None):
        data = data if data is not None else wav_bytes(1.0)
        body = voice_declaration(response_id, data, content_type)
        if note_id is not None:
            body["id"] = str(note_id)
        reply = client.post("/api/v1/voice-notes", json=body, headers=auth)
        assert reply.status_code in (200, 201), reply.json
        reply = client.patch(f"/api/v1/voice-notes/{body['id']}", data=data,
                             headers={**auth, "Upload-Offset": "0",
                                      "Content-Type": "application/offset+octet-stream"})
        assert reply.status_code == 200 and reply.json["state"] == "complete", reply.json
        return uuid.UUID(body["id"])

    return upload


@pytest.fixture
def without_playback_copies(app):
    """No playback copies are made, as on a server without ffmpeg: for tests that never play a recording (list
    it before `voiced_response`); the recording itself is uploaded and checked for real."""
    app.config["FFMPEG_BINARY"] = None


@pytest.fixture
def voiced_response(campaign, sync, upload_voice):
    """A Turkish door-to-door response with a one-second voice note: (response id, note id)."""
    from server.util import uuid7

    note_id = uuid7()
    body = response_body(campaign, language="tr", voice_notes=[{"id": str(note_id), "question": "vertel"}],
                         receipt="K7M2QXH4PA")
    (response_id,) = sync(body)
    upload_voice(response_id, note_id=note_id)
    db.session.expire_all()
    return response_id, note_id


class EchoLengthBackend:
    """A transcription backend for tests: it 'hears' how long the recording is, read from the real file."""

    name = "test-backend"

    def __init__(self, prefix: str = "Opname van"):
        self.prefix = prefix

    def transcribe(self, path, content_type, language):
        from server.review.transcription import Transcript
        from server.voice.audio import duration_ms, sniff_container

        with open(path, "rb") as audio:
            container = sniff_container(audio.read(4096))
        milliseconds = duration_ms(path, container) if container else None
        return Transcript(f"{self.prefix} {milliseconds} ms ({language})", language)


def make_test_backend(**options):
    return EchoLengthBackend(**options)


# --- a real server and a real browser ----------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture
def review_server(app):
    """The test app served by werkzeug on a free port in a thread: its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser_page(browser):
    """A fresh browser context (own cookies and storage) with microphone permission, and its page; `browser`
    is the session's Chromium from tests/browser/conftest.py (one Playwright per process)."""
    context = browser.new_context(permissions=["microphone"], locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
