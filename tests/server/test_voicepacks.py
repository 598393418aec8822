"""Clips: the phrase list, normalisation with ffmpeg on real speech, freshness, the download map and its ETag,
the clip download, and the recording studio's access checks."""

import copy
import io
import json
import re
import subprocess
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from server.campaigns.models import Campaign
from server.campaigns.operations import publish_campaign
from server.errors import ApiError
from server.extensions import db
from server.jobs.models import Job
from server.jobs.queue import drain, enqueue, job
from server.paths import PWA_DIR
from server.privacy.operations import apply_retention
from server.storage import media_store
from server.storage.check import check_storage
from server.util import utcnow
from server.voicepacks import normalise as normalising
from server.voicepacks.models import Clip
from server.voicepacks.operations import (
    CAMPAIGN_KEY,
    audio_map,
    campaign_texts,
    language_statuses,
    record_clip,
    studio_items,
    text_hash,
)
from server.voicepacks.phrases import phrase_text, phrases
from tests.factories import make_campaign, make_team, spoken_wav, wav_bytes

CAMPAIGNS = "/api/v1/campaigns"


@pytest.fixture(scope="module")
def speech():
    """Real speech (espeak-ng), with a second of silence before and after it."""
    return spoken_wav("Hoe fijn woon je in de buurt?", "nl", silence_ms=1000)


def probe(data: bytes, tmp_path) -> dict:
    path = tmp_path / "probe.ogg"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,channels,sample_rate:"
                          "format=duration,format_name", "-of", "json", str(path)],
                         check=True, capture_output=True, timeout=30).stdout
    return json.loads(out)


def edit(campaign: Campaign, change) -> None:
    definition = copy.deepcopy(campaign.definition)
    change(definition)
    campaign.definition = definition
    db.session.flush()


# --- the phrase list -----------------------------------------------------------------------------------

def test_every_phrase_of_the_field_apps_list_is_read():
    source = (PWA_DIR / "js" / "phrases.js").read_text()
    assert len(phrases()) == len(re.findall(r"\bN_\(", source)) >= 20
    assert phrases()["yes"] == "Yes" and phrases()["consent_answers"].startswith("May we store")


def test_no_phrase_key_can_be_taken_for_a_campaign_text():
    assert [key for key in phrases() if CAMPAIGN_KEY.match(key)] == []


def test_a_phrase_is_spoken_in_its_catalog_translation():
    assert phrase_text("yes", "nl") == "Ja"
    assert phrase_text("yes", "en") == "Yes"
    assert phrase_text("no-such-phrase", "nl") is None


def test_campaign_texts_are_listed_in_the_order_a_resident_meets_them(campaign):
    keys = list(campaign_texts(campaign.definition, "nl"))
    assert keys[:3] == ["title", "intro", "q:wonen"] and keys[-1] == "thanks"
    assert "q:missen:groen" in keys and len(keys) == 18 + len(campaign.definition["buurten"])
    buurten = [f"buurt:{name}" for name in campaign.definition["buurten"]]
    assert buurten and keys[-1 - len(buurten):-1] == buurten  # "about you" comes after the questions


def test_a_buurts_name_is_said_as_written_in_every_language(app, campaign):
    edit(campaign, lambda d: d.update(buurten=["De Pijp", "Noord"]))
    texts = campaign_texts(campaign.definition, "ar")
    assert texts["buurt:De Pijp"] == "De Pijp" and CAMPAIGN_KEY.match("buurt:De Pijp")
    clip = record_clip(campaign, "buurt:De Pijp", "ar", spoken_wav("De Pijp", "nl"))
    db.session.commit()  # the job normalises it once the upload is committed
    assert clip.campaign_id == campaign.id
    with app.test_request_context():
        assert audio_map(campaign, campaign.definition)["ar"]["campaign"]["buurt:De Pijp"]["bytes"] == clip.size
        edit(campaign, lambda d: d.update(buurten=["Noord"]))  # renamed or removed: nothing says the old name
        assert "buurt:De Pijp" not in audio_map(campaign, campaign.definition)["ar"]["campaign"]


# --- normalisation ---------------------------------------------------------------------------------------

def test_real_speech_becomes_small_mono_opus_without_the_silence_around_it(app, speech, tmp_path):
    sound = normalising.normalise(speech)
    info = probe(sound.data, tmp_path)
    assert info["streams"][0]["codec_name"] == "opus" and info["streams"][0]["channels"] == 1
    assert info["format"]["format_name"] == "ogg"
    spoken_ms = 1000 * (len(spoken_wav("Hoe fijn woon je in de buurt?", "nl")) - 44) / (22050 * 2)
    assert 0.6 * spoken_ms < sound.duration_ms < spoken_ms  # the added seconds of silence, and espeak's own, cut
    assert abs(float(info["format"]["duration"]) * 1000 - sound.duration_ms) < 60
    assert len(sound.data) < len(speech) / 10


#: What browsers record and people upload: Safari's fragmented MP4 with AAC, Chromium's WebM with Opus,
#: Firefox's WebM with Vorbis, and MP3 and FLAC files.
ENCODINGS = {"safari-fmp4-aac": ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4"],
             "webm-opus": ["-c:a", "libopus", "-f", "webm"], "webm-vorbis": ["-c:a", "libvorbis", "-f", "webm"],
             "mp3": ["-c:a", "libmp3lame", "-f", "mp3"], "flac": ["-c:a", "flac", "-f", "flac"]}


@pytest.mark.slow  # real speech encoded and then normalised by ffmpeg, in every encoding
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_what_browsers_record_and_people_upload_is_normalised_alike(app, speech, tmp_path, encoding):
    source, encoded = tmp_path / "speech.wav", tmp_path / "encoded"
    source.write_bytes(speech)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(source), *ENCODINGS[encoding], str(encoded)],
                   check=True, timeout=60)
    sound = normalising.normalise(encoded.read_bytes())
    reference = normalising.normalise(speech)
    assert sound.data.startswith(b"OggS") and abs(sound.duration_ms - reference.duration_ms) < 120


@pytest.mark.parametrize("data, code", [
    (b"%PDF-1.4 not audio at all" * 10, "unsupported_audio"),
    (b"<html><script>alert(1)</script></html>", "unsupported_audio"),
    (b"RIFF\x24\x00\x00\x00WAVEgarbage that is no format chunk" * 4, "unsupported_audio"),
    (wav_bytes(2.0)[:44] + b"\x00" * 32000, "recording_silent"),
], ids=["pdf", "html", "broken-wav", "silence"])
def test_what_is_not_speech_is_refused_with_a_code(app, data, code):
    with pytest.raises(ApiError) as refused:
        normalising.normalise(data)
    assert refused.value.code == code and refused.value.status == 422


def test_ffmpeg_that_hangs_is_stopped_and_the_upload_refused(app, monkeypatch):
    monkeypatch.setattr(normalising, "FFMPEG_TIMEOUT", 0.5)
    with pytest.raises(ApiError) as refused:
        normalising.run(["sleep", "10"])
    assert refused.value.code == "unsupported_audio"


def test_without_ffmpeg_recording_is_refused_not_stored_raw(app, campaign):
    app.config["FFMPEG_BINARY"] = "/nonexistent/ffmpeg"
    with pytest.raises(ApiError) as refused:
        record_clip(campaign, "title", "nl", wav_bytes(0.5))
    assert refused.value.status == 503 and refused.value.code == "audio_tools_missing"


# --- freshness and the download --------------------------------------------------------------------------

def test_a_clip_goes_out_of_date_when_its_text_changes_and_is_then_not_sent(app, client, auth, campaign):
    record_clip(campaign, "q:veilig", "ar", wav_bytes(0.5))
    db.session.commit()
    document = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=auth).json
    assert list(document["audio"]["ar"]["campaign"]) == ["q:veilig"]
    assert document["questions"][3]["prompts"] == {"ar": document["audio"]["ar"]["campaign"]["q:veilig"]["url"]}

    def reword(definition):
        definition["questions"][3]["text"]["ar"] = "هل تشعر بالأمان ليلاً؟"

    edit(campaign, reword)
    item = next(i for i in studio_items(campaign, campaign.definition, "ar") if i.key == "q:veilig")
    assert item.state == "outdated"
    # the published version still says what was recorded: phones keep hearing it until the next publication
    assert "q:veilig" in client.get(f"{CAMPAIGNS}/{campaign.id}", headers=auth).json["audio"]["ar"]["campaign"]
    publish_campaign(campaign)
    db.session.commit()
    document = client.get(f"{CAMPAIGNS}/{campaign.id}", headers=auth).json
    assert document["audio"]["ar"]["campaign"] == {} and document["questions"][3]["prompts"] == {}


def test_the_voice_pack_is_shared_by_the_teams_campaigns_and_no_one_elses(app, campaign):
    clip = record_clip(campaign, "yes", "nl", spoken_wav("Ja", "nl"))
    other_campaign = make_campaign(campaign.team)
    stranger = make_campaign(make_team())
    db.session.commit()
    assert clip.campaign_id is None
    with app.test_request_context():
        assert audio_map(other_campaign, other_campaign.definition)["nl"]["phrases"]["yes"]["bytes"] == clip.size
        assert audio_map(stranger, stranger.definition)["nl"]["phrases"] == {}
        assert audio_map(campaign, campaign.definition)["en"]["phrases"] == {}


def test_a_phrase_clip_goes_out_of_date_when_its_translation_changes(app, campaign, monkeypatch):
    clip = record_clip(campaign, "next", "nl", spoken_wav("Volgende", "nl"))
    db.session.commit()
    assert clip.text_sha256 == text_hash("Volgende")
    monkeypatch.setattr("server.voicepacks.operations.phrase_text",
                        lambda key, lang: "Verder" if key == "next" else phrase_text(key, lang))
    item = next(i for i in studio_items(campaign, campaign.definition, "nl") if i.key == "next")
    assert item.state == "outdated"


def test_the_downloads_etag_changes_with_its_clips_and_304s_still_work(app, client, auth, campaign, flyer):
    first = client.get(CAMPAIGNS, headers=auth)
    source = client.get(f"/api/v1/sources/{flyer.code}")
    assert client.get(CAMPAIGNS, headers={**auth, "If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get(f"/api/v1/sources/{flyer.code}",
                      headers={"If-None-Match": source.headers["ETag"]}).status_code == 304

    clip = record_clip(campaign, "title", "tr", spoken_wav("Mahallemiz, senin sesin", "tr"))
    db.session.commit()
    second = client.get(CAMPAIGNS, headers={**auth, "If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and second.headers["ETag"] != first.headers["ETag"]
    assert second.json["campaigns"][0]["etag"] != first.json["campaigns"][0]["etag"]
    assert second.json["campaigns"][0]["audio"]["tr"]["campaign"]["title"]["duration_ms"] == clip.duration_ms
    assert client.get(f"/api/v1/sources/{flyer.code}",
                      headers={"If-None-Match": source.headers["ETag"]}).status_code == 200

    db.session.delete(clip)
    db.session.commit()
    third = client.get(CAMPAIGNS, headers={**auth, "If-None-Match": second.headers["ETag"]})
    assert third.status_code == 200 and third.json["campaigns"][0]["audio"]["tr"]["campaign"] == {}


def test_a_clip_downloads_immutable_with_its_type(app, client, campaign):
    clip = record_clip(campaign, "thanks", "en", spoken_wav("Thank you!", "en"))
    db.session.commit()
    with client.get(f"/api/v1/clips/{clip.id}") as reply:
        assert reply.status_code == 200 and reply.mimetype == "audio/ogg"
        assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert reply.data.startswith(b"OggS") and len(reply.data) == clip.size
    assert client.get("/api/v1/clips/01a24183-f04c-753f-aeda-1b0d58097627").status_code == 404


def test_the_preview_document_carries_the_drafts_fresh_clips(web_c, campaign):
    record_clip(campaign, "intro", "nl", spoken_wav("Een paar korte vragen.", "nl"))
    db.session.commit()
    document = web_c.get(f"/workspace/campaigns/{campaign.id}/preview.json").json
    assert document["preview"] is True and list(document["audio"]["nl"]["campaign"]) == ["intro"]
    edit(campaign, lambda d: d["intro"].update(nl="Een paar korte vragen over de buurt."))
    db.session.commit()
    document = web_c.get(f"/workspace/campaigns/{campaign.id}/preview.json").json
    assert document["audio"]["nl"]["campaign"] == {}


def test_readiness_needs_every_text_translated_and_recorded(app, campaign):
    from server.demo import load_demo_audio

    assert not any(status.ready for status in language_statuses(campaign))
    load_demo_audio(campaign)
    assert all(status.ready for status in language_statuses(campaign))
    edit(campaign, lambda d: d["title"].update(en=""))
    english = next(s for s in language_statuses(campaign) if s.language == "en")
    assert not english.translated and not english.ready


# --- the studio ------------------------------------------------------------------------------------------

@pytest.fixture
def web_c(web, make_user, team):
    return web.sign_in_as(make_user("coordinator", [team]))


def studio(campaign, lang="nl"):
    return f"/workspace/campaigns/{campaign.id}/studio/{lang}"


def post_recording(web, campaign, key, data, lang="nl", csrf=True):
    upload = FileStorage(stream=io.BytesIO(data), filename="opname.wav", content_type="audio/wav")
    fields = {"key": key, "file": upload}
    if csrf:
        fields["csrf_token"] = web.csrf_token()
    boundary, body = encode_multipart(fields)
    return web.client.post(studio(campaign, lang), data=body, content_type=f"multipart/form-data; boundary={boundary}")


def texts_to_record(campaign: Campaign) -> int:
    """Every text a resident of `campaign` can hear in one language: its own texts and the app's phrases."""
    return len(campaign_texts(campaign.definition, campaign.definition["default_language"])) + len(phrases())


def clip_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Clip))


def test_a_coordinator_records_listens_re_records_and_deletes(web_c, campaign):
    total = texts_to_record(campaign)
    page = web_c.get(studio(campaign)).get_data(as_text=True)
    assert f"0 van {total} teksten opgenomen" in page and "Hoe fijn woon je in de buurt?" in page
    reply = post_recording(web_c, campaign, "q:wonen", spoken_wav())
    assert reply.status_code == 303 and reply.headers["Location"].endswith("saved=recorded#clip-q--wonen")
    first = db.session.scalars(select(Clip)).one()
    assert (first.key, first.language, first.campaign_id, first.synthetic) == ("q:wonen", "nl", campaign.id, False)
    page = web_c.get(studio(campaign)).get_data(as_text=True)
    assert f"1 van {total} teksten opgenomen" in page and f"/api/v1/clips/{first.id}" in page
    first_id = first.id
    post_recording(web_c, campaign, "q:wonen", spoken_wav("Hoe fijn woon je hier?"))
    second = db.session.scalars(select(Clip)).one()
    assert second.id != first_id
    gone = web_c.post(f"{studio(campaign)}/clips/{second.id}/delete")
    assert gone.status_code == 303 and clip_count() == 0


def test_a_buurt_is_recorded_in_the_studio(web_c, campaign):
    edit(campaign, lambda d: d.update(buurten=["De Pijp"]))
    db.session.commit()
    assert "Buurt: De Pijp" in web_c.get(studio(campaign)).get_data(as_text=True)
    reply = post_recording(web_c, campaign, "buurt:De Pijp", spoken_wav("De Pijp"))
    assert reply.status_code == 303 and reply.headers["Location"].endswith("#clip-buurt--De_Pijp")
    assert db.session.scalars(select(Clip)).one().key == "buurt:De Pijp"


def test_a_text_not_yet_translated_cannot_be_recorded(web_c, campaign):
    edit(campaign, lambda d: d["title"].update(en=""))
    db.session.commit()
    reply = post_recording(web_c, campaign, "title", spoken_wav("Title", "en"), lang="en")
    assert reply.status_code == 409 and "Vertaal deze tekst eerst" in reply.get_data(as_text=True)
    assert clip_count() == 0


@pytest.mark.parametrize("key, lang, status", [("q:nope", "nl", 404), ("title", "pl", 404), ("../x", "nl", 422)])
def test_only_the_campaigns_texts_and_languages_can_be_recorded(web_c, campaign, key, lang, status):
    assert post_recording(web_c, campaign, key, wav_bytes(0.5), lang=lang).status_code == status
    assert clip_count() == 0


def test_what_is_not_audio_or_too_large_is_refused_at_its_text(web_c, campaign):
    reply = post_recording(web_c, campaign, "title", b"%PDF-1.4" * 100)
    assert reply.status_code == 422 and "Dit is geen ondersteunde geluidsopname." in reply.get_data(as_text=True)
    too_large = post_recording(web_c, campaign, "title", b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * (5 * 1024 * 1024))
    assert too_large.status_code == 413
    assert clip_count() == 0


def test_a_field_worker_listens_but_cannot_record(web, make_user, team, campaign):
    clip = record_clip(campaign, "title", "nl", wav_bytes(0.5))
    db.session.commit()
    viewer = web.sign_in_as(make_user("field_worker", [team]))
    page = viewer.get(studio(campaign)).get_data(as_text=True)
    assert f"/api/v1/clips/{clip.id}" in page and "data-recorder" not in page and "/delete" not in page
    assert post_recording(viewer, campaign, "intro", wav_bytes(0.5)).status_code == 403
    assert viewer.post(f"{studio(campaign)}/clips/{clip.id}/delete").status_code == 403
    assert clip_count() == 1


def test_another_teams_campaign_and_clips_are_not_found(web, make_user, team, campaign):
    other_team = make_team()
    theirs = make_campaign(other_team)
    their_clip = record_clip(theirs, "title", "nl", wav_bytes(0.5))
    db.session.commit()
    mine = web.sign_in_as(make_user("coordinator", [team]))
    assert mine.get(studio(theirs)).status_code == 404
    assert post_recording(mine, theirs, "title", wav_bytes(0.5)).status_code == 404
    # their clip's id through my own campaign's address
    assert mine.post(f"{studio(campaign)}/clips/{their_clip.id}/delete").status_code == 404
    assert clip_count() == 1


def test_recording_without_the_csrf_token_is_refused(web_c, campaign):
    assert post_recording(web_c, campaign, "title", wav_bytes(0.5), csrf=False).status_code == 400
    assert clip_count() == 0


# --- normalised in the background (the ``normalise_clip`` job) -------------------------------------------

#: Per token, the event a `test_hold` job waits for.
HELD: dict[str, threading.Event] = {}
BROKEN_WAV = b"RIFF\x24\x00\x00\x00WAVEgarbage that is no format chunk" * 4


@job("test_hold", object_type="test", key="token")
def hold_job(token: str) -> None:
    """Keeps the job thread busy until the test lets go: the jobs queued after it wait their turn."""
    HELD[token].wait(30)


@pytest.fixture
def thread_runner(app):
    """Jobs in a thread of the test's server process, as the embedded default runs them."""
    app.config.update(JOBS_RUNNER="thread", JOBS_RETRY_INTERVALS=(0.01, 0.01))


def normalise_job() -> Job | None:
    db.session.rollback()  # a fresh look: the job committed in a session of its own
    return db.session.scalars(select(Job).where(Job.name == "normalise_clip")).one_or_none()


@pytest.mark.commits
def test_a_new_recording_is_prepared_in_the_background_and_the_old_one_plays_until_then(app, thread_runner, web_c,
                                                                                         campaign):
    post_recording(web_c, campaign, "q:wonen", spoken_wav())
    db.session.rollback()
    assert drain(app, timeout=60)
    old = db.session.scalars(select(Clip)).one()
    old_id, old_name = old.id, old.storage_name
    assert old.state == "live"
    token = uuid.uuid4().hex
    HELD[token] = threading.Event()
    enqueue("test_hold", token=token)
    db.session.commit()
    try:
        reply = post_recording(web_c, campaign, "q:wonen", spoken_wav("Hoe fijn woon je hier?"))
        assert reply.status_code == 303 and reply.headers["Location"].endswith("saved=processing#clip-q--wonen")
        db.session.rollback()
        new = db.session.scalars(select(Clip).where(Clip.state == "processing")).one()
        new_id, upload_name = new.id, new.storage_name
        assert media_store().read_bytes(upload_name).startswith(b"RIFF")  # kept as it came, until the job ran
        page = web_c.get(reply.headers["Location"]).get_data(as_text=True)
        assert "De opname is bewaard en wordt klaargemaakt." in page
        assert "De nieuwe opname wordt klaargemaakt; dat duurt een paar seconden." in page
        assert "Bewoners horen de vorige opname tot deze klaar is." in page and "data-processing" in page
        assert f"/api/v1/clips/{old_id}" in page and f"/api/v1/clips/{new_id}" not in page
        with app.test_request_context():  # phones keep getting the old clip
            heard = audio_map(campaign, campaign.definition)["nl"]["campaign"]["q:wonen"]
        assert heard["url"] == f"/api/v1/clips/{old_id}"
        assert web_c.get(f"/api/v1/clips/{new_id}").status_code == 404  # the upload itself is never sent
        assert web_c.get(f"/api/v1/clips/{old_id}").status_code == 200
    finally:
        db.session.rollback()  # the requests shared this test's session: let the job thread have its turn
        HELD[token].set()
    assert drain(app, timeout=60)
    db.session.rollback()
    clip = db.session.scalars(select(Clip)).one()
    assert (clip.id, clip.state, clip.content_type) == (new_id, "live", "audio/ogg") and clip.duration_ms > 500
    assert media_store().read_bytes(clip.storage_name).startswith(b"OggS")
    assert media_store().read_bytes(upload_name) is None and media_store().read_bytes(old_name) is None
    assert check_storage().clean and normalise_job() is None
    page = web_c.get(studio(campaign)).get_data(as_text=True)
    assert f"/api/v1/clips/{new_id}" in page and "data-processing" not in page


def test_a_recording_without_sound_fails_with_its_reason_where_it_was_recorded(web_c, campaign):
    post_recording(web_c, campaign, "title", wav_bytes(0.5))
    old_id = db.session.scalars(select(Clip)).one().id
    reply = post_recording(web_c, campaign, "title", BROKEN_WAV)  # a WAV header, no sound: only ffmpeg can tell
    assert reply.status_code == 303 and reply.headers["Location"].endswith("saved=failed#clip-title")
    failed = normalise_job()
    assert (failed.status, failed.code, failed.attempts) == ("failed", "unsupported_audio", 1)  # not retried
    page = web_c.get(reply.headers["Location"]).get_data(as_text=True)
    assert "De opname kon niet worden klaargemaakt." in page
    assert "De nieuwe opname kon niet worden klaargemaakt: Dit is geen ondersteunde geluidsopname." in page
    assert "Bewoners horen de vorige opname." in page and f"/api/v1/clips/{old_id}" in page
    retry = f"/workspace/campaigns/{campaign.id}/jobs/{failed.id}/retry"
    assert retry in page
    overview = web_c.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Een ingesproken tekst klaarmaken" in overview and "Dit is geen ondersteunde geluidsopname." in overview
    assert f"/workspace/campaigns/{campaign.id}/studio/nl#clip-title" in overview

    again = web_c.post(retry, {"return_to": f"{studio(campaign)}#clip-title"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"{studio(campaign)}#clip-title")
    assert normalise_job().status == "failed"  # tried again, the same answer

    upload = db.session.scalars(select(Clip).where(Clip.state == "processing")).one()
    upload_name = upload.storage_name
    assert web_c.post(f"{studio(campaign)}/clips/{upload.id}/delete").status_code == 303
    assert [clip.id for clip in db.session.scalars(select(Clip))] == [old_id]
    assert media_store().read_bytes(upload_name) is None and normalise_job() is None


def test_a_failure_another_attempt_can_mend_is_retried_and_then_tried_again_by_hand(app, web_c, campaign):
    app.config["JOBS_RETRY_INTERVALS"] = (0, 0)
    record_clip(campaign, "intro", "nl", wav_bytes(0.5))
    app.config["FFMPEG_BINARY"] = "/nonexistent/ffmpeg"  # gone between the upload and its job
    db.session.commit()
    failed = normalise_job()
    assert (failed.status, failed.code, failed.attempts) == ("failed", "audio_tools_missing", 3)
    page = web_c.get(studio(campaign)).get_data(as_text=True)
    reason = "Opnames kunnen op deze server nu niet worden verwerkt."
    assert f"De nieuwe opname kon niet worden klaargemaakt: {reason}" in page
    app.config["FFMPEG_BINARY"] = "/usr/bin/ffmpeg"
    web_c.post(f"/workspace/campaigns/{campaign.id}/jobs/{failed.id}/retry")
    assert normalise_job() is None
    clip = db.session.scalars(select(Clip)).one()
    assert clip.state == "live" and clip.content_type == "audio/ogg"


def test_a_question_page_shows_its_prompt_being_prepared_and_why_it_failed(web_c, campaign):
    question = f"/workspace/campaigns/{campaign.id}/questions/wonen"
    record_clip(campaign, "q:wonen", "nl", BROKEN_WAV)
    db.session.commit()
    page = web_c.get(question).get_data(as_text=True)
    assert "De nieuwe opname kon niet worden klaargemaakt: Dit is geen ondersteunde geluidsopname." in page
    assert f"/workspace/campaigns/{campaign.id}/jobs/{normalise_job().id}/retry" in page
    assert web_c.post(f"{question}/prompts/nl/delete").status_code == 303  # removes the failed upload too
    assert clip_count() == 0 and normalise_job() is None


def test_a_question_page_discards_a_failed_recording_and_keeps_the_prompt_residents_hear(web_c, campaign):
    question = f"/workspace/campaigns/{campaign.id}/questions/wonen"
    live = record_clip(campaign, "q:wonen", "nl", wav_bytes(0.5))
    db.session.commit()
    live_id = live.id
    failed_id = record_clip(campaign, "q:wonen", "nl", BROKEN_WAV).id
    db.session.commit()
    page = web_c.get(question).get_data(as_text=True)
    assert "De nieuwe opname kon niet worden klaargemaakt" in page and "Bewoners horen de vorige opname." in page
    discard = f"{question}/prompts/nl/uploads/{failed_id}/discard"
    assert discard in page and "Weggooien" in page
    assert web_c.post(f"{question}/prompts/nl/uploads/{live_id}/discard").status_code == 303  # not an upload
    assert clip_count() == 2
    reply = web_c.post(discard)
    assert reply.status_code == 303 and reply.headers["Location"].endswith(f"{question}#prompt-nl")
    assert [(clip.id, clip.state) for clip in db.session.scalars(select(Clip))] == [(live_id, "live")]
    assert normalise_job() is None
    page = web_c.get(question).get_data(as_text=True)
    assert "klaargemaakt" not in page and f"/api/v1/clips/{live_id}" in page
    assert web_c.post(discard).status_code == 303 and clip_count() == 1  # discarded already: nothing happens


def test_uploads_left_unprocessed_are_deleted_by_the_retention_sweep(app, campaign):
    stale = record_clip(campaign, "title", "nl", BROKEN_WAV)
    recent = record_clip(campaign, "intro", "nl", BROKEN_WAV)
    db.session.commit()
    stale_name, recent_id = stale.storage_name, recent.id
    stale.created_at = utcnow() - timedelta(days=app.config["CLIP_UPLOAD_DAYS"] + 1)
    db.session.commit()
    assert apply_retention().stale_uploads == 1
    db.session.commit()
    assert [clip.id for clip in db.session.scalars(select(Clip))] == [recent_id]
    assert media_store().read_bytes(stale_name) is None
    assert [job.object_id for job in db.session.scalars(select(Job))] == [str(recent_id)]


# --- the demo --------------------------------------------------------------------------------------------

@pytest.mark.slow  # every shipped demo clip written to the store (the fast part keeps the demo command below)
def test_the_demo_ships_synthetic_clips_for_every_text_of_its_languages(web_c, campaign):
    from server.demo import load_demo_audio

    total = texts_to_record(campaign)
    assert load_demo_audio(campaign) == 4 * total
    assert load_demo_audio(campaign) == 0  # once
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Clip).where(Clip.synthetic.is_(False))) == 0
    page = web_c.get(studio(campaign, "ar")).get_data(as_text=True)
    assert f"{total} van {total} teksten opgenomen" in page and "synthetische demostem" in page


@pytest.mark.slow  # every shipped demo clip written to the store (the fast part keeps the demo command below)
def test_a_demo_clip_whose_text_changed_is_skipped(app, team):
    from server.demo import load_demo_audio

    changed = make_campaign(team, publish=False)
    edit(changed, lambda d: d["title"].update(nl="Een andere titel"))
    assert load_demo_audio(changed) == 4 * texts_to_record(changed) - 1
    assert not db.session.scalars(select(Clip).where(Clip.key == "title", Clip.language == "nl")).first()


def test_the_demo_command_loads_the_clips_and_names_the_studio(app, runner):
    output = runner.invoke(args=["demo"]).output
    assert re.search(r"/workspace/campaigns/[0-9a-f-]{36}/studio/nl", output)
    demo = db.session.scalars(select(Campaign)).one()
    assert clip_count() == 4 * texts_to_record(demo)
