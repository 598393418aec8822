"""The connection drops in the middle of a voice-note upload: the upload resumes where the server is."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.storage import media_path
from server.voice.models import VoiceNote

from .flows import NEXT, consent, eventually, record, recorded_audio, sha256
from .server_state import fetch_first

pytestmark = pytest.mark.browser
CHUNK = 32 * 1024  # pwa/js/sync.js CHUNK_BYTES


def voice_note() -> VoiceNote | None:
    return fetch_first(select(VoiceNote))


def test_upload_cut_after_the_first_chunk_resumes_from_the_servers_offset(live_server, browser_context,
                                                                           flyer_code):
    context = browser_context("nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
    context.set_offline(True)
    page.get_by_role("button", name="Beginnen", exact=True).click()
    consent(page)
    page.get_by_role("radio", name="Gaat wel", exact=True).check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    for _ in range(5):
        page.get_by_role("button", name="Overslaan", exact=True).click()
    record(page, 14)
    (recorded,) = recorded_audio(page).values()
    assert len(recorded) > CHUNK, "the recording must need more than one chunk"
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("button", name="Versturen", exact=True).click()
    expect(page.locator("#status-strip .waiting")).to_contain_text("1 opname (")

    offsets, cut = [], []

    def cut_second_chunk(route):
        if route.request.method != "PATCH":
            return route.continue_()
        offsets.append(int(route.request.headers["upload-offset"]))
        if len(offsets) == 2 and not cut:
            cut.append(offsets[-1])
            context.set_offline(True)  # the phone loses its connection while the second chunk is on its way
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route("**/api/v1/voice-notes/*", cut_second_chunk)
    context.set_offline(False)
    eventually(page, lambda: cut, timeout=20)

    note = voice_note()
    assert note.state == "uploading"
    assert note.received_bytes == CHUNK < note.size == len(recorded)
    expect(page.locator("#status-strip .waiting")).to_contain_text("0 antwoorden, 1 opname (")

    context.set_offline(False)
    eventually(page, lambda: voice_note().state == "complete", timeout=30)
    note = voice_note()
    assert offsets[0] == 0 and cut == [CHUNK]
    resumed = offsets[2:]
    assert resumed and set(resumed) == {CHUNK}, "after the cut the upload goes on from the server's offset"
    assert note.sha256 == sha256(recorded) == sha256(media_path(note.storage_name).read_bytes())
    expect(page.locator("#status-strip .waiting")).to_have_text("Alles is verstuurd")
