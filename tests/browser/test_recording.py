"""Recording twice in a row and re-recording (ODK Collect's most reported audio bugs), and a revoked phone."""

import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.devices.models import Device
from server.devices.operations import revoke_device
from server.extensions import db
from server.responses.models import Response
from server.storage import media_path
from server.voice.models import VoiceNote
from server.voice.timing import stored_file

from .flows import (
    NEXT,
    SKIP,
    answer_demo_in_dutch,
    consent,
    enrol,
    eventually,
    record,
    recorded_audio,
    sha256,
)
from .server_state import count, fetch_all
from .test_field_app import enrolment_code

pytestmark = pytest.mark.browser


def test_the_last_recording_kept_is_the_one_that_arrives(live_server, browser_context, flyer_code):
    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    page.get_by_role("button", name="Beginnen", exact=True).click()
    consent(page)
    page.get_by_role("button", name="Zeg het liever").click()
    record(page, 1)
    first = recorded_audio(page)
    page.get_by_role("button", name="Opnieuw opnemen").click()
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Stop met opnemen").click()
    expect(page.locator("#screen").get_by_text("Opgenomen")).to_be_visible()
    second = recorded_audio(page)
    assert len(first) == len(second) == 1 and first.keys() != second.keys()
    page.get_by_role("button", name=NEXT, exact=True).click()
    for _ in range(5):
        page.get_by_role("button", name=SKIP, exact=True).click()
    record(page, 1)  # the voice-only question: a second recording in the same interview
    page.get_by_role("button", name="Opname wissen").click()
    expect(page.get_by_role("button", name="Begin met opnemen")).to_be_visible()
    record(page, 1.2)
    kept = recorded_audio(page)
    assert len(kept) == 2 and set(second) < set(kept)
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("button", name="Versturen", exact=True).click()

    eventually(page, lambda: len(fetch_all(select(VoiceNote).where(VoiceNote.state == "complete"))) == 2)
    notes = fetch_all(select(VoiceNote))
    assert {str(n.id): n.sha256 for n in notes} == {note_id: sha256(data) for note_id, data in kept.items()}
    assert {n.question_key for n in notes} == {"wonen", "vertel"}
    eventually(page, lambda: recorded_audio(page) == {})  # the phone lets go once the reply arrives, after the commit


def test_a_revoked_phone_keeps_its_answers_and_says_so(live_app, live_server, browser_context):
    page = browser_context("nl-NL").new_page()
    enrol(page, live_server.url, enrolment_code(live_app))
    for device in db.session.scalars(select(Device)):
        revoke_device(device)
    db.session.commit()
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    answer_demo_in_dutch(page, idea="Een zebrapad")
    expect(page.locator("#status-strip .sync-error")).to_contain_text("niet meer gekoppeld")
    expect(page.locator("#status-strip .waiting")).to_contain_text("1 antwoord,")
    assert count(Response) == 0


def probed_seconds(path) -> float | None:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], check=True, capture_output=True, text=True).stdout.strip()
    return None if out in ("", "N/A") else float(out)


def test_a_recording_shows_and_keeps_its_length(live_app, live_server, browser_context, flyer_code):
    """Issue 12 §5: MediaRecorder's WebM states no duration; the resident's player showed 0:00, downloaded files
    no length. The player learns it, and the server keeps a remuxed copy that states it beside the original."""
    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/f/{flyer_code}")
    page.get_by_role("button", name="Beginnen", exact=True).click()
    consent(page)
    page.get_by_role("button", name="Zeg het liever").click()
    record(page, 2)
    player = page.get_by_label("Luister naar je opname")
    page.wait_for_function("() => Number.isFinite(document.querySelector('.voice-panel audio')?.duration)",
                           timeout=10000)
    seconds = player.evaluate("audio => audio.duration")
    assert 1.5 <= seconds <= 3.5
    assert player.evaluate("audio => audio.currentTime") == 0  # back at the start, ready to play
    [phone_file] = recorded_audio(page).values()
    page.get_by_role("button", name=NEXT, exact=True).click()
    for _ in range(5):
        page.get_by_role("button", name=SKIP, exact=True).click()
    page.get_by_role("button", name=SKIP, exact=True).click()
    page.get_by_role("button", name="Versturen", exact=True).click()

    # complete, and its timed copy made by the job its completion queued
    eventually(page, lambda: len(fetch_all(select(VoiceNote).where(VoiceNote.timed_name.is_not(None)))) == 1)
    [note] = fetch_all(select(VoiceNote))
    assert note.state == "complete"
    with live_app.app_context():
        original, handed_out = media_path(note.storage_name), media_path(stored_file(note)[0])
    assert original.read_bytes() == phone_file and note.sha256 == sha256(phone_file)
    assert probed_seconds(original) is None  # Chromium's own file
    assert handed_out != original and probed_seconds(handed_out) == pytest.approx(note.duration_ms / 1000, abs=0.1)
