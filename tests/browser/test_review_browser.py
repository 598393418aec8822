"""A coordinator reviews in Chromium: a voice note recorded with the fake microphone and uploaded through the
device API is played (with a duration) and transcribed; tags, states (keyboard only) and filters; exports;
a resident erases their answers. Each page is checked with axe-core."""

import hashlib
import json
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from server.extensions import db
from server.privacy.models import AuditEvent
from server.responses.models import Response
from server.review.models import Tag
from server.util import uuid7
from server.voice.models import VoiceNote
from tests.conftest import PASSWORD
from tests.factories import response_body

pytestmark = pytest.mark.browser

RECORD_SCRIPT = """async (seconds) => {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const recorder = new MediaRecorder(stream, {mimeType: "audio/webm;codecs=opus", audioBitsPerSecond: 24000});
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  recorder.stop();
  await stopped;
  stream.getTracks().forEach((track) => track.stop());
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  return {type: recorder.mimeType, bytes: Array.from(bytes)};
}"""

UPLOAD_SCRIPT = """async ({declaration, bytes, token}) => {
  const auth = {"Authorization": "Bearer " + token};
  let reply = await fetch("/api/v1/voice-notes", {method: "POST", body: JSON.stringify(declaration),
    headers: {...auth, "Content-Type": "application/json"}});
  if (!reply.ok) return {step: "declare", status: reply.status, body: await reply.text()};
  reply = await fetch("/api/v1/voice-notes/" + declaration.id, {method: "PATCH", body: new Uint8Array(bytes),
    headers: {...auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}});
  return {step: "upload", status: reply.status, body: await reply.json()};
}"""


@pytest.fixture
def recorded_note(app, client, team, campaign, review_server, browser_page, backend):
    """A Turkish response whose voice note Chromium recorded (fake microphone) and uploaded like a phone."""
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    from server.devices.operations import make_enrolment_code

    code = make_enrolment_code(team, "Browser phone")
    db.session.commit()
    token = client.post("/api/v1/devices/enrol", json={"code": code}).json["token"]
    page = browser_page
    page.goto(review_server + "/erase")
    recording = page.evaluate(RECORD_SCRIPT, 1.5)
    data = bytes(recording["bytes"])
    assert recording["type"].startswith("audio/webm") and data[:4] == b"\x1a\x45\xdf\xa3"
    note_id = uuid7()
    body = response_body(campaign, language="tr", receipt="K7M2QXH4PA",
                         voice_notes=[{"id": str(note_id), "question": "vertel"}])
    reply = client.post("/api/v1/sync", json={"responses": [body]}, headers={"Authorization": f"Bearer {token}"})
    assert reply.json["results"][0]["status"] == "created"
    declaration = {"id": str(note_id), "response_id": body["id"], "question": "vertel", "size": len(data),
                   "content_type": recording["type"], "sha256": hashlib.sha256(data).hexdigest()}
    release()
    upload = page.evaluate(UPLOAD_SCRIPT, {"declaration": declaration, "bytes": list(data), "token": token})
    assert upload["status"] == 200 and upload["body"]["state"] == "complete", upload
    release()
    return uuid.UUID(body["id"]), note_id


def release() -> None:
    """End the test's own transaction: on SQLite it would hold the write lock the server needs."""
    db.session.commit()


def sign_in(page, base: str, user) -> None:
    email = user.email
    release()
    page.goto(base + "/workspace/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:not(.secondary)")
    page.wait_for_url(re.compile(r"/workspace/$"))


def assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)[:3000]


def test_review_a_recorded_voice_note(app, review_server, browser_page, campaign, coordinator, recorded_note):
    app.config["TRANSCRIPTION_BACKEND"] = "tests.review_world:make_test_backend"
    response_id, note_id = recorded_note
    campaign_id = campaign.id
    page = browser_page
    sign_in(page, review_server, coordinator)
    page.click("nav >> text=Reacties")
    page.click(f"a[href='/workspace/campaigns/{campaign_id}/responses']")
    assert_accessible(page)
    page.click(f"a[href*='/responses/{response_id}']")
    assert_accessible(page)
    # the duration is shown on the page and known to the player (Chromium's own WebM carries none)
    shown = page.text_content(".voice-note .duration")
    assert re.search(r"0:0[12]", shown)
    page.wait_for_function("() => document.querySelector('audio').readyState >= 1")
    duration = page.evaluate("document.querySelector('audio').duration")
    assert 1.2 < duration < 2.0
    page.evaluate("document.querySelector('audio').play()")
    page.wait_for_function("() => document.querySelector('audio').currentTime > 0.3")
    # automatic transcription through the configured backend
    page.click("text=Automatisch uitschrijven")
    page.wait_for_load_state()
    transcript = page.input_value(f"#transcript-{note_id}")
    assert re.fullmatch(r"Opname van 1\d{3} ms \(tr\)", transcript), transcript
    # the team corrects it and adds a translation
    page.fill(f"#transcript-{note_id}", "Parkta daha fazla bank olsun")
    page.fill(f"#note-translation-{note_id}", "Meer bankjes in het park")
    page.click("text=Uitgeschreven tekst opslaan")
    page.wait_for_load_state()
    db.session.expire_all()
    note = db.session.get(VoiceNote, note_id)
    assert (note.transcript, note.translation) == ("Parkta daha fazla bank olsun", "Meer bankjes in het park")
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "voice_note")
                                                    .order_by(AuditEvent.id))]
    assert actions[:2] == ["listen", "transcribe"]
    release()


def test_tag_filter_and_review_with_the_keyboard(review_server, browser_page, campaign, coordinator, sync, backend):
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    (plain,) = sync(response_body(campaign, language="nl"))
    (tagged,) = sync(response_body(campaign, language="tr"))  # newer: "the next" after it is `plain`
    campaign_id = campaign.id
    page = browser_page
    sign_in(page, review_server, coordinator)
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/responses/{tagged}")
    page.fill("#new-tag", "groen")
    page.press("#new-tag", "Enter")
    page.wait_for_selector(".tags .tag >> text=groen")
    # review state with the keyboard alone: Tab into the radio group, arrow to "Reviewed", Tab to the button
    page.focus("#new-comment")
    page.keyboard.press("Shift+Tab")
    for _ in range(40):
        if page.evaluate("document.activeElement.name") == "state":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "state-new"
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.id") == "state-reviewed"
    page.keyboard.press("Tab")
    assert "Opslaan en naar de volgende" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/responses/{plain}$"))
    db.session.expire_all()
    assert db.session.get(Response, tagged).review_state == "reviewed"
    tag_id = db.session.scalars(select(Tag)).one().id
    release()
    # filter the inbox by the tag
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/responses")
    page.select_option("#f-tag", str(tag_id))
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"tag="))
    links = page.eval_on_selector_all("table.inbox a", "links => links.map(a => a.href)")
    assert len(links) == 1 and str(tagged) in links[0]
    # and export what the filter shows
    with page.expect_download() as download_info:
        page.get_by_role("button", name="CSV downloaden").click()
    path = download_info.value.path()
    text = Path(path).read_text(encoding="utf-8-sig")
    assert str(tagged) in text and str(plain) not in text
    # the privacy page and the audit log that now holds the export
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/privacy")
    assert_accessible(page)
    page.fill("#f-days", "30")
    page.click("main form button[type=submit]")
    page.wait_for_selector("[role=status]")
    page.click("nav.subnav >> text=Logboek")
    page.wait_for_selector("table.audit td >> text=exporteerde")
    assert_accessible(page)


def test_resident_erases_their_answers(review_server, browser_page, recorded_note):
    response_id, note_id = recorded_note
    page = browser_page
    page.goto(review_server + "/erase?lang=tr")
    assert page.get_attribute("html", "lang") == "tr"
    assert_accessible(page)
    page.fill("#f-receipt", "k7m2 qxh4 pa")
    page.click("button[type=submit]")
    page.wait_for_selector("[role=status]")
    db.session.expire_all()
    assert db.session.get(Response, response_id) is None and db.session.get(VoiceNote, note_id) is None
