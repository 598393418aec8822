"""A field worker's day: enrol, collect offline with a voice note, survive reload and restart, sync once."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.extensions import db
from server.responses.models import Answer, Response
from server.storage import media_path
from server.util import sha256_hex
from server.voice.models import VoiceNote

from .flows import answer_demo_in_dutch, enrol, recorded_audio, sha256, wait_until_offline_ready, waiting_text
from .server_state import count, fetch_all

pytestmark = pytest.mark.browser


def enrolment_code(app) -> str:
    from server.demo import ensure_demo
    from server.devices.operations import make_enrolment_code

    team, _campaign = ensure_demo()
    code = make_enrolment_code(team, "Telefoon test")
    db.session.commit()
    return code


def test_offline_collection_survives_reload_and_restart_and_arrives_exactly_once(live_app, live_server,
                                                                                  persistent):
    context = persistent()
    page = context.pages[0]
    enrol(page, live_server.url, enrolment_code(live_app))
    wait_until_offline_ready(page)

    context.set_offline(True)
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    receipts = [answer_demo_in_dutch(page, idea="Meer bankjes bij de speeltuin", voice_seconds=2.5)]
    for idea in ("Een buurtmoestuin", "Betere verlichting"):
        page.get_by_role("button", name="Volgende bewoner", exact=True).click()
        receipts.append(answer_demo_in_dutch(page, idea=idea))
    expect(page.locator("#status-strip .waiting")).to_contain_text("3 antwoorden, 1 opname (")
    recordings = recorded_audio(page)
    assert len(recordings) == 1 and all(len(data) > 1000 for data in recordings.values())

    page.reload()
    expect(page.locator("#status-strip .waiting")).to_contain_text("3 antwoorden, 1 opname (")
    context.close()

    context = persistent(offline=True)
    page = context.pages[0]
    page.goto(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", name="Campagnes")).to_be_visible()
    expect(page.locator("#status-strip .waiting")).to_contain_text("3 antwoorden, 1 opname (")
    expect(page.locator("#status-strip .sync-error")).to_contain_text("Geen verbinding")
    assert count(Response) == 0

    context.set_offline(False)
    expect(page.locator("#status-strip .waiting")).to_have_text("Alles is verstuurd", timeout=30000)

    assert count(Response) == 3
    assert count(Answer) == 3 * 7
    assert {r.receipt_hash for r in fetch_all(select(Response))} == {sha256_hex(code) for code in receipts}
    (note,) = fetch_all(select(VoiceNote))
    (note_id, recorded), = recordings.items()
    assert str(note.id) == note_id
    assert note.state == "complete"
    assert note.sha256 == sha256(recorded)
    assert sha256(media_path(note.storage_name).read_bytes()) == sha256(recorded)
    assert note.content_type == "audio/webm" and note.container == "webm"
    assert "Alles is verstuurd" in waiting_text(page)
