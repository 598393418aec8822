"""The review inbox, a response's page, tags, states, comments, transcripts and voice-note playback."""

import re
import shutil
import struct
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.extensions import db
from server.privacy.models import AuditEvent
from server.responses.models import Answer, Response
from server.review.models import ResponseTag, ReviewComment, Tag
from server.storage import media_path
from server.util import uuid7
from server.voice.models import VoiceNote
from tests.factories import response_body


def inbox_ids(reply) -> list[str]:
    """The response ids the inbox page links to, in page order."""
    return re.findall(r"/responses/([0-9a-f-]{36})", reply.get_data(as_text=True))


def inbox_url(campaign, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/workspace/campaigns/{campaign.id}/responses" + (f"?{query}" if query else "")


# --- the inbox ---------------------------------------------------------------------------------------

def test_inbox_lists_newest_first(reviewer, campaign, sync, backend):
    first = sync(response_body(campaign))
    second = sync(response_body(campaign))
    reply = reviewer.get(inbox_url(campaign))
    assert reply.status_code == 200
    assert inbox_ids(reply) == [str(second[0]), str(first[0])]
    assert "Meer bankjes bij de speeltuin" in reply.get_data(as_text=True)


@pytest.fixture
def varied(campaign, flyer, sync):
    """Five responses that differ in one filtered property each from a plain Dutch door-to-door one."""
    plain = response_body(campaign)
    bodies = {
        "plain": plain,
        "turkish": response_body(campaign, language="tr"),
        "flyer": response_body(campaign, channel="flyer", source=flyer.code),
        "zuid": response_body(campaign, meta={"buurt": "Zuid", "age_bracket": "27-40"}),
        "older": response_body(campaign, meta={"buurt": "Noord", "age_bracket": "66-79"}),
    }
    ids = dict(zip(bodies, sync(*bodies.values()), strict=True))
    return {name: str(value) for name, value in ids.items()}


@pytest.mark.parametrize(("args", "expected"), [
    ({"language": "tr"}, {"turkish"}),
    ({"channel": "flyer"}, {"flyer"}),
    ({"buurt": "Zuid"}, {"zuid"}),
    ({"age_bracket": "66-79"}, {"older"}),
    ({"channel": "door_to_door", "buurt": "Noord", "age_bracket": "27-40", "language": "nl"}, {"plain"}),
])
def test_inbox_filters(reviewer, campaign, varied, args, expected, backend):
    reply = reviewer.get(inbox_url(campaign, **args))
    assert reply.status_code == 200
    assert set(inbox_ids(reply)) == {varied[name] for name in expected}


def test_inbox_filters_by_source(reviewer, campaign, flyer, varied, backend):
    reply = reviewer.get(inbox_url(campaign, source=flyer.id))
    assert set(inbox_ids(reply)) == {varied["flyer"]}


def test_inbox_filters_by_state_tag_and_date(reviewer, campaign, varied, backend):
    tagged, flagged, hidden = varied["turkish"], varied["zuid"], varied["older"]
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{tagged}/tags", {"name": "groen"})
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{flagged}/state", {"state": "flagged"})
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{hidden}/state", {"state": "hidden"})
    tag = db.session.scalars(select(Tag)).one()
    by_tag = reviewer.get(inbox_url(campaign, tag=tag.id))
    assert set(inbox_ids(by_tag)) == {tagged}
    assert '<span class="tag">groen</span>' in by_tag.get_data(as_text=True)
    assert set(inbox_ids(reviewer.get(inbox_url(campaign, state="flagged")))) == {flagged}
    assert hidden not in inbox_ids(reviewer.get(inbox_url(campaign)))
    assert set(inbox_ids(reviewer.get(inbox_url(campaign, state="hidden")))) == {hidden}
    assert len(inbox_ids(reviewer.get(inbox_url(campaign, state="all")))) == 5
    received = db.session.get(Response, uuid.UUID(hidden)).received_at
    today, tomorrow = received.date(), received.date() + timedelta(days=1)
    assert len(inbox_ids(reviewer.get(inbox_url(campaign, state="all", received_from=today - timedelta(days=1),
                                               received_to=tomorrow)))) == 5
    assert inbox_ids(reviewer.get(inbox_url(campaign, received_from=tomorrow + timedelta(days=1)))) == []


def test_keyset_pages_cover_every_response_once(app, reviewer, campaign, sync, backend):
    """Responses of one batch share their received time: pages must still neither skip nor repeat one."""
    app.config["INBOX_PAGE_SIZE"] = 2
    ids = sync(*[response_body(campaign) for _ in range(5)])
    seen, url = [], inbox_url(campaign)
    for _ in range(5):
        reply = reviewer.get(url)
        seen += inbox_ids(reply)
        older = re.search(r'rel="next" href="([^"]+)"', reply.get_data(as_text=True))
        if older is None:
            break
        url = older.group(1).replace("&amp;", "&")
    assert sorted(seen) == sorted(str(i) for i in ids)
    assert len(seen) == 5
    newer = re.search(r'rel="prev" href="([^"]+)"', reply.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert inbox_ids(reviewer.get(newer)) == seen[2:4]


@pytest.mark.parametrize("args", [{"state": "gone"}, {"after": "yesterday~zz"}, {"source": "x"},
                                  {"received_from": "2026-13-01"},
                                  {"received_from": "2026-11-02", "received_to": "2026-11-01"}])
def test_invalid_filters_are_named(reviewer, campaign, sync, args, backend):
    sync(response_body(campaign))
    reply = reviewer.get(inbox_url(campaign, **args))
    assert reply.status_code == 422
    assert "error-summary" in reply.get_data(as_text=True)


# --- one response ------------------------------------------------------------------------------------

def test_answers_shown_in_the_readers_language_and_as_given(reviewer, campaign, voiced_response, backend):
    response_id, note_id = voiced_response
    reply = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}?lang=en")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "What do you miss most?" in page and "En çok neyin eksikliğini hissediyorsunuz?" in page
    assert "Green and trees" in page and "Yeşillik ve ağaçlar" in page
    assert "Meer bankjes bij de speeltuin" in page
    assert f"/voice-notes/{note_id}/audio" in page
    assert "0:01" in page  # the one-second note's duration


def test_choice_labels_come_from_the_version_answered(reviewer, campaign, sync, backend):
    """Editing the draft after publication does not change what an earlier response shows."""
    (response_id,) = sync(response_body(campaign))
    definition = dict(campaign.definition)
    definition["questions"] = [
        {**q, "choices": [{**c, "label": {**c["label"], "nl": "Iets heel anders"}} for c in q["choices"]]}
        if q["key"] == "missen" else q for q in definition["questions"]]
    campaign.definition = definition
    db.session.commit()
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}?lang=nl").get_data(
        as_text=True)
    assert "Groen en bomen" in page and "Iets heel anders" not in page


def test_review_state_tags_and_comments(reviewer, campaign, coordinator, sync, backend):
    (response_id,) = sync(response_body(campaign))
    base = f"/workspace/campaigns/{campaign.id}/responses/{response_id}"
    assert reviewer.post(f"{base}/state", {"state": "reviewed"}).status_code == 303
    assert reviewer.post(f"{base}/tags", {"name": "  verkeer  "}).status_code == 303
    assert reviewer.post(f"{base}/tags", {"name": "verkeer"}).status_code == 303  # twice: still one
    assert reviewer.post(f"{base}/comments", {"body": "Bellen over de bankjes"}).status_code == 303
    response = db.session.get(Response, response_id)
    assert response.review_state == "reviewed"
    tag = db.session.scalars(select(Tag)).one()
    assert tag.name == "verkeer"
    assert db.session.scalars(select(ResponseTag)).all()[0].tag_id == tag.id
    comment = db.session.scalars(select(ReviewComment)).one()
    assert (comment.body, comment.user_id) == ("Bellen over de bankjes", coordinator.id)
    page = reviewer.get(base).get_data(as_text=True)
    assert "verkeer" in page and "Bellen over de bankjes" in page
    assert reviewer.post(f"{base}/tags/{tag.id}/remove").status_code == 303
    assert db.session.scalars(select(ResponseTag)).all() == []


def test_save_and_next_goes_to_the_next_older_response(reviewer, campaign, sync, backend):
    (older,) = sync(response_body(campaign))
    (newer,) = sync(response_body(campaign))
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{newer}").get_data(as_text=True)
    next_url = re.search(r'name="return_to" value="([^"]+)">[^<]*Save and go', page) or \
        re.search(r'<button type="submit" name="return_to" value="([^"]+)"', page)
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{newer}/state",
                          {"state": "reviewed", "return_to": next_url.group(1)})
    assert reply.headers["Location"].endswith(f"/responses/{older}")


def test_return_to_must_stay_on_the_site(reviewer, campaign, sync, backend):
    (response_id,) = sync(response_body(campaign))
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/state",
                          {"state": "flagged", "return_to": "https://evil.example/"})
    assert reply.headers["Location"].endswith(f"/responses/{response_id}")


@pytest.mark.parametrize(("path", "data"), [
    ("state", {"state": "deleted"}), ("tags", {"name": ""}), ("tags", {"name": "x" * 41}),
    ("comments", {"body": ""}), ("comments", {"body": "x" * 2001}),
])
def test_invalid_review_forms_are_refused(reviewer, campaign, sync, path, data, backend):
    (response_id,) = sync(response_body(campaign))
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/{path}", data)
    assert reply.status_code == 422
    assert db.session.get(Response, response_id).review_state == "new"
    assert db.session.scalars(select(Tag)).all() == [] and db.session.scalars(select(ReviewComment)).all() == []


def test_translation_of_a_typed_answer(reviewer, campaign, sync, backend):
    (response_id,) = sync(response_body(campaign))
    answer = db.session.scalars(select(Answer).where(Answer.response_id == response_id,
                                                     Answer.text.is_not(None))).one()
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/answers/{answer.id}/"
                          "translation", {"translation": "More benches by the playground"})
    assert reply.status_code == 303
    db.session.expire_all()
    assert db.session.get(Answer, answer.id).translation == "More benches by the playground"


def test_csrf_is_required(reviewer, campaign, sync, backend):
    (response_id,) = sync(response_body(campaign))
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/state",
                          {"state": "hidden"}, csrf=False)
    assert reply.status_code == 400
    assert db.session.get(Response, response_id).review_state == "new"


# --- voice notes -------------------------------------------------------------------------------------

def mp4_duration_ms(data: bytes) -> int:
    index = data.find(b"mvhd")
    timescale, duration = struct.unpack_from(">II", data, index + 16)
    return round(duration * 1000 / timescale)


def fetch(browser, url, **kwargs):
    """GET a file and close the reply (file replies hold their file open until closed)."""
    reply = browser.get(url, **kwargs)
    reply.get_data()
    reply.close()
    return reply


def audit_actions() -> list[tuple]:
    db.session.expire_all()
    return [(e.action, e.object_id) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "voice_note").order_by(AuditEvent.id))]


needs_ffmpeg = pytest.mark.skipif(shutil.which("/usr/bin/ffmpeg") is None, reason="ffmpeg is not installed")


@needs_ffmpeg
def test_playback_is_normalised_to_mp4_and_logged(reviewer, campaign, voiced_response, coordinator, backend):
    _response_id, note_id = voiced_response
    url = f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio"
    reply = fetch(reviewer, url)
    assert reply.status_code == 200
    assert reply.mimetype == "audio/mp4"
    assert reply.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in reply.headers["Cache-Control"]
    assert abs(mp4_duration_ms(reply.data) - 1000) < 100
    assert audit_actions() == [("listen", str(note_id))]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "listen")).one()
    assert (event.user_id, event.actor, event.campaign_id) == (coordinator.id, coordinator.email, campaign.id)
    # a seek fetches a later range: served, not logged as another listen
    partial = fetch(reviewer, url, headers={"Range": "bytes=100-"})
    assert partial.status_code == 206
    assert audit_actions() == [("listen", str(note_id))]
    # the copy is made once and kept
    note = db.session.get(VoiceNote, note_id)
    assert note.playback_name and media_path(note.playback_name).exists()
    download = fetch(reviewer, url + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert audit_actions()[-1] == ("download", str(note_id))


@needs_ffmpeg
def test_playback_copy_of_a_webkit_recording_has_no_garbage_frames(reviewer, campaign, sync, upload_voice,
                                                                   tmp_path, backend):
    """WebKit writes its last fragment twice; a plain remux kept the empty copy's 34 frames of noise."""
    note_id = uuid7()
    (response_id,) = sync(response_body(campaign, voice_notes=[{"id": str(note_id), "question": "vertel"}]))
    recording = (Path(__file__).parent / "data" / "webkit-recording.mp4").read_bytes()
    upload_voice(response_id, recording, "audio/mp4", note_id=note_id)
    reply = fetch(reviewer, f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200 and reply.mimetype == "audio/mp4"
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(reply.data)
    decoded = subprocess.run(["/usr/bin/ffmpeg", "-v", "error", "-i", str(copy), "-f", "null", "-"],
                             capture_output=True, text=True, check=True)
    assert decoded.stderr == ""
    assert abs(mp4_duration_ms(reply.data) - 2879) < 50


@pytest.mark.parametrize("range_header", ["bytes=00-", "bytes=1-", "bytes=0000-99999999", "bytes=-10"])
def test_every_fetch_of_a_recording_is_audited_whatever_its_range(app, reviewer, campaign, voiced_response,
                                                                   coordinator, web_as, make_user, team,
                                                                   range_header, backend):
    """Issue 11 §2: `Range: bytes=00-` fetched the whole file without an audit event. Once per person, note
    and day is enough."""
    app.config["FFMPEG_BINARY"] = "/nonexistent/ffmpeg"
    _response_id, note_id = voiced_response
    url = f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio"
    reply = fetch(reviewer, url, headers={"Range": range_header})
    assert reply.status_code in (200, 206)
    assert audit_actions() == [("listen", str(note_id))]
    fetch(reviewer, url, headers={"Range": range_header})
    fetch(reviewer, url)
    assert audit_actions() == [("listen", str(note_id))]  # the same person, note and day: once
    fetch(reviewer, url + "?download=1", headers={"Range": range_header})
    colleague = web_as(make_user("coordinator", [team]))
    fetch(colleague, url, headers={"Range": range_header})
    assert audit_actions() == [("listen", str(note_id)), ("download", str(note_id)), ("listen", str(note_id))]
    # the next day counts again
    for event in db.session.scalars(select(AuditEvent)):
        event.created_at -= timedelta(days=1)
    db.session.commit()
    fetch(reviewer, url, headers={"Range": range_header})
    assert len(audit_actions()) == 4


@pytest.fixture
def without_ffmpeg(app):
    """No ffmpeg from the start: no playback copy is made when the note arrives (`voiced_response`)."""
    app.config["FFMPEG_BINARY"] = "/nonexistent/ffmpeg"


def test_playback_without_ffmpeg_serves_the_recording(app, without_ffmpeg, reviewer, campaign, voiced_response,
                                                       backend):
    _response_id, note_id = voiced_response
    reply = fetch(reviewer, f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200
    assert reply.mimetype == "audio/wav"
    assert reply.data[:4] == b"RIFF"


def test_transcript_and_translation_are_saved(reviewer, campaign, voiced_response, backend):
    response_id, note_id = voiced_response
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcript",
                          {"transcript": "Parkta daha fazla bank", "translation": "Meer bankjes in het park"})
    assert reply.status_code == 303
    note = db.session.get(VoiceNote, note_id)
    db.session.refresh(note)
    assert (note.transcript, note.translation, note.transcript_source) == (
        "Parkta daha fazla bank", "Meer bankjes in het park", "manual")
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert "Parkta daha fazla bank" in page


def test_automatic_transcription_needs_a_backend(reviewer, campaign, voiced_response, backend):
    _response_id, note_id = voiced_response
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe")
    assert reply.status_code == 409
    assert db.session.get(VoiceNote, note_id).transcript is None


def test_automatic_transcription_with_a_configured_backend(app, reviewer, campaign, voiced_response, backend):
    app.config["TRANSCRIPTION_BACKEND"] = "tests.review_world:make_test_backend"
    app.config["TRANSCRIPTION_OPTIONS"] = {"prefix": "Gehoord:"}
    response_id, note_id = voiced_response
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert "Automatisch uitschrijven" in page  # Dutch, the default
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe")
    assert reply.status_code == 303
    note = db.session.get(VoiceNote, note_id)
    db.session.refresh(note)
    assert (note.transcript, note.transcript_source) == ("Gehoord: 1000 ms (tr)", "test-backend")
    assert audit_actions() == [("transcribe", str(note_id))]


def test_registered_backend_by_name(app, reviewer, campaign, voiced_response, backend):
    from server.review.transcription import register_backend
    from tests.review_world import EchoLengthBackend

    register_backend("echo-length", EchoLengthBackend)
    app.config["TRANSCRIPTION_BACKEND"] = "echo-length"
    _response_id, note_id = voiced_response
    reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe")
    assert db.session.get(VoiceNote, note_id).transcript == "Opname van 1000 ms (tr)"


@needs_ffmpeg
def test_deleting_a_recording_keeps_its_transcript(reviewer, campaign, voiced_response, backend):
    _response_id, note_id = voiced_response
    base = f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}"
    reviewer.post(f"{base}/transcript", {"transcript": "Bir bank"})
    fetch(reviewer, f"{base}/audio")
    note = db.session.get(VoiceNote, note_id)
    files = [media_path(note.storage_name), media_path(note.playback_name)]
    assert reviewer.post(f"{base}/delete-audio").status_code == 303
    db.session.expire_all()
    note = db.session.get(VoiceNote, note_id)
    assert note.audio_deleted_at is not None and note.transcript == "Bir bank"
    assert not any(path.exists() for path in files)
    assert reviewer.get(f"{base}/audio").status_code == 410
    assert [action for action, _id in audit_actions()] == ["listen", "delete_voice"]


def test_voice_note_of_another_campaign_is_not_found(reviewer, campaign, voiced_response, team, backend):
    from server.campaigns.operations import create_campaign, publish_campaign
    from server.demo import DEMO_DEFINITION

    other = create_campaign(team, DEMO_DEFINITION)
    publish_campaign(other)
    db.session.commit()
    response_id, note_id = voiced_response
    assert reviewer.get(f"/workspace/campaigns/{other.id}/voice-notes/{note_id}/audio").status_code == 404
    assert reviewer.get(f"/workspace/campaigns/{other.id}/responses/{response_id}").status_code == 404
    assert audit_actions() == []
