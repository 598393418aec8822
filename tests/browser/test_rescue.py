"""The rescue file: what a phone could not send, carried to the server by hand, stored once."""

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.responses.models import Response
from server.voice.models import VoiceNote

from .flows import answer_demo_in_dutch, enrol, eventually, recorded_audio, sha256, wait_until_offline_ready
from .server_state import count, fetch_all
from .test_field_app import enrolment_code

pytestmark = pytest.mark.browser


def import_rescue(app, path) -> str:
    result = app.test_cli_runner().invoke(args=["import-rescue", str(path)])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_rescue_file_imports_once_and_the_phone_then_syncs_without_duplicates(live_app, live_server,
                                                                               browser_context, tmp_path):
    context = browser_context("nl-NL")
    page = context.new_page()
    enrol(page, live_server.url, enrolment_code(live_app))
    wait_until_offline_ready(page)
    context.set_offline(True)
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    answer_demo_in_dutch(page, idea="Een bankje bij de bushalte", voice_seconds=2)
    page.get_by_role("button", name="Volgende bewoner", exact=True).click()
    answer_demo_in_dutch(page, idea="Minder hondenpoep")
    (recorded,) = recorded_audio(page).values()

    page.locator("#status-strip button").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Reddingsbestand bewaren", exact=True).click()
    expect(page.get_by_text("Reddingsbestand bewaard: 2 antwoorden, 1 opname.")).to_be_visible()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rescue = json.loads(path.read_text())
    ideas = [next(a["value"] for a in r["answers"] if a["question"] == "idee") for r in rescue["responses"]]
    assert ideas == ["Een bankje bij de bushalte", "Minder hondenpoep"]
    (note,) = rescue["voice_notes"]
    assert note["sha256"] == sha256(recorded) and note["size"] == len(recorded)
    assert rescue["device_id"]

    first, again = import_rescue(live_app, path), import_rescue(live_app, path)
    assert first == "created: 2, duplicate: 0, conflict: 0, invalid: 0, voice_notes: 1"
    assert again == "created: 0, duplicate: 2, conflict: 0, invalid: 0, voice_notes: 1"
    assert count(Response) == 2 and count(VoiceNote) == 1

    context.set_offline(False)
    page.get_by_role("button", name="Nu versturen", exact=True).click()
    expect(page.locator("#status-strip .waiting")).to_have_text("Alles is verstuurd", timeout=20000)
    eventually(page, lambda: count(Response) == 2)
    (note,) = fetch_all(select(VoiceNote))
    assert note.state == "complete" and note.sha256 == sha256(recorded)
    assert count(Response) == 2 and count(VoiceNote) == 1
