"""Exports: CSV, XLSX and JSON with the inbox's filters, the voice notes' zip, and the audit log entry of each."""

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.exports.models import ExportFile
from server.extensions import db
from server.jobs.models import Job
from server.jobs.queue import drain
from server.privacy.models import AuditEvent
from server.privacy.operations import apply_retention
from server.review.models import Tag
from server.storage import media_store
from server.storage.check import check_storage
from server.util import utcnow, uuid7
from tests.factories import make_team, response_body
from tests.s3_server import s3_settings


def export(reviewer, campaign, format, **filters):
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/export.{format}", filters)
    data = reply.get_data()
    reply.close()
    return reply, data


def csv_rows(data: bytes) -> list[dict]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_holds_every_response_with_its_answers(app, reviewer, campaign, sync, backend):
    app.config["EXPORT_BATCH"] = 2  # several keyset batches
    ids = sync(*[response_body(campaign, language=lang) for lang in ("nl", "tr", "ar", "en", "nl")])
    reply, data = export(reviewer, campaign, "csv")
    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="responses-')
    rows = csv_rows(data)
    assert sorted(row["response_id"] for row in rows) == sorted(str(i) for i in ids)
    row = rows[0]
    assert (row["wonen"], row["missen"], row["plekken"], row["veilig"], row["jaren"]) == (
        "4", "groen", "park;markt", "no", "12")
    assert row["idee"] == "Meer bankjes bij de speeltuin"
    assert row["buurt"] == "Noord" and row["channel"] == "door_to_door" and row["review_state"] == "new"
    assert "vertel_voice" in row and "vertel" not in row  # a voice-only question has only its voice column


def test_csv_applies_the_filters(reviewer, campaign, sync, backend):
    sync(response_body(campaign, language="tr"), response_body(campaign), response_body(campaign))
    _reply, data = export(reviewer, campaign, "csv", language="tr")
    assert [row["language"] for row in csv_rows(data)] == ["tr"]


def test_export_filtered_by_a_tag_names_its_tags(reviewer, campaign, sync, backend):
    tagged, _plain = sync(response_body(campaign), response_body(campaign))
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{tagged}/tags", {"name": "groen"})
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{tagged}/tags", {"name": "afval"})
    tag = db.session.scalars(select(Tag).where(Tag.name == "groen")).one()
    for format in ("csv", "json"):
        reply, data = export(reviewer, campaign, format, tag=tag.id)
        assert reply.status_code == 200
        records = csv_rows(data) if format == "csv" else json.loads(data)
        assert [r.get("response_id", r.get("id")) for r in records] == [str(tagged)]
        assert records[0]["tags"] in ("afval;groen", ["afval", "groen"])


def test_invalid_filters_refuse_the_export(reviewer, campaign, sync, backend):
    sync(response_body(campaign))
    reply, _data = export(reviewer, campaign, "csv", state="gone")
    assert reply.status_code == 422
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all() == []


def test_typed_formulas_do_not_run_in_a_spreadsheet(reviewer, campaign, sync, backend):
    answers = [{"question": "wonen", "value": 3}, {"question": "idee", "value": "=HYPERLINK(\"http://x\")"}]
    sync(response_body(campaign, answers=answers))
    _reply, data = export(reviewer, campaign, "csv")
    assert csv_rows(data)[0]["idee"] == "'=HYPERLINK(\"http://x\")"


def test_transcripts_and_tags_are_exported(reviewer, campaign, voiced_response, backend):
    response_id, note_id = voiced_response
    reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcript",
                  {"transcript": "Bir bank", "translation": "Een bankje"})
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/tags", {"name": "groen"})
    _reply, data = export(reviewer, campaign, "csv")
    row = csv_rows(data)[0]
    assert (row["vertel_voice"], row["tags"]) == ("Bir bank", "groen")
    _reply, data = export(reviewer, campaign, "json")
    record = json.loads(data)[0]
    assert record["voice_notes"] == [{"question": "vertel", "duration_ms": 1000, "transcript": "Bir bank",
                                      "translation": "Een bankje"}]
    assert record["tags"] == ["groen"]


def test_json_export(reviewer, campaign, sync, backend):
    ids = sync(response_body(campaign), response_body(campaign, language="ar"))
    reply, data = export(reviewer, campaign, "json")
    assert reply.mimetype == "application/json"
    records = json.loads(data)
    assert sorted(r["id"] for r in records) == sorted(str(i) for i in ids)
    assert records[0]["answers"]["plekken"] == ["park", "markt"]
    assert records[0]["answers"]["wonen"] == 4


def test_json_export_of_nothing_is_an_empty_list(reviewer, campaign, backend):
    _reply, data = export(reviewer, campaign, "json")
    assert json.loads(data) == []


def xlsx_cells(data: bytes) -> list[str]:
    """The text of every cell in the first sheet (inline or shared strings)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        shared = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    strings = re.findall(r"<t[^>]*>([^<]*)</t>", shared)
    cells = re.findall(r'<c r="[A-Z]+\d+"(?: s="\d+")?(?: t="(\w+)")?>(?:<v>([^<]*)</v>|<is><t[^>]*>([^<]*)</t></is>)',
                       sheet)
    return [strings[int(value)] if kind == "s" else (inline or value) for kind, value, inline in cells]


def test_xlsx_export(reviewer, campaign, sync, backend):
    answers = [{"question": "wonen", "value": 2}, {"question": "idee", "value": "=1+1"}]
    sync(response_body(campaign, answers=answers))
    reply, data = export(reviewer, campaign, "xlsx")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].endswith('.xlsx"')
    cells = xlsx_cells(data)
    assert cells[:3] == ["response_id", "received_at", "collected_at"]
    assert "'=1+1" in cells and "2" in cells


def test_zip_of_voice_notes(reviewer, campaign, voiced_response, backend):
    response_id, _note_id = voiced_response
    reply, data = export(reviewer, campaign, "zip")
    assert reply.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names[-1] == "voice-notes.csv"
        audio = [name for name in names if name.endswith(".wav")]
        assert len(audio) == 1 and str(response_id) in audio[0]
        assert archive.read(audio[0])[:4] == b"RIFF"
        index = list(csv.DictReader(io.StringIO(archive.read("voice-notes.csv").decode()[1:])))
    assert index[0]["file"] == audio[0] and index[0]["duration_ms"] == "1000"


@pytest.mark.parametrize("format", ["csv", "xlsx", "json", "zip"])
def test_every_export_is_in_the_audit_log(reviewer, campaign, coordinator, sync, format, backend):
    sync(response_body(campaign))
    export(reviewer, campaign, format, language="nl", state="all")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.action, event.user_id, event.campaign_id) == ("export", coordinator.id, campaign.id)
    assert event.details == {"format": format, "filters": {"language": "nl", "state": "all"}}


def test_unknown_format_is_not_found(reviewer, campaign, backend):
    reply, _data = export(reviewer, campaign, "pdf")
    assert reply.status_code == 404


# --- formulas and file names (issue 11 §1) ------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]
SPREADSHEETS = ["csv", "xlsx", "zip"]


def spreadsheet_cells(format: str, data: bytes) -> list[str]:
    """Every text cell of a CSV, the XLSX's first sheet, or the zip's `voice-notes.csv`."""
    import html

    if format == "xlsx":
        return [html.unescape(cell).replace("_x000D_", "\r").replace("_x0009_", "\t")
                for cell in xlsx_cells(data)]
    if format == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = archive.read("voice-notes.csv")
    rows = csv.reader(io.StringIO(data.decode("utf-8")[1:]))
    return [cell for row in rows for cell in row]


@pytest.mark.parametrize("payload", FORMULAS, ids=repr)
@pytest.mark.parametrize("format", SPREADSHEETS)
def test_no_typed_text_runs_as_a_formula_in_any_export(reviewer, campaign, without_playback_copies, voiced_response,
                                                       format, payload, backend):
    """Answers, transcripts, translations, tags, source names, buurt values and an old note's question text."""
    from server.campaigns.models import Source
    from server.responses.models import Response
    from server.spreadsheet import FORMULA_STARTS
    from server.voice.models import VoiceNote

    response_id, note_id = voiced_response
    reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcript",
                  {"transcript": payload, "translation": payload + " vertaald"})
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/tags", {"name": "=tag"})
    for source in db.session.scalars(select(Source).where(Source.campaign_id == campaign.id)):
        source.name = payload + " bron"
    response = db.session.get(Response, response_id)
    response.buurt = payload + " buurt"
    db.session.get(VoiceNote, note_id).question_key = payload  # stored before notes were checked
    next(a for a in response.answers if a.question_key == "idee").text = payload
    db.session.commit()
    reply, data = export(reviewer, campaign, format)
    assert reply.status_code == 200
    cells = spreadsheet_cells(format, data)
    typed = [cell for cell in cells if payload.strip("\t\r=+-@") in cell or "tag" in cell or "bron" in cell]
    assert typed, cells
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    assert any(cell.startswith("'") for cell in typed)


def test_zip_entries_are_named_only_from_server_values(reviewer, campaign, voiced_response, backend):
    """An old note declared for `../../tmp/x` (before notes were checked) is still saved under a safe name."""
    from server.voice.models import VoiceNote

    response_id, note_id = voiced_response
    db.session.get(VoiceNote, note_id).question_key = "../../../../../tmp/x"
    db.session.commit()
    _reply, data = export(reviewer, campaign, "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        audio = [name for name in archive.namelist() if not name.endswith(".csv")]
    assert len(audio) == 1
    assert re.fullmatch(rf"\d{{4}}-\d\d-\d\d_{response_id}_question_{note_id.hex[:8]}\.wav", audio[0]), audio


def test_csv_says_its_charset_once(reviewer, campaign, sync, backend):
    sync(response_body(campaign))
    reply, _data = export(reviewer, campaign, "csv")
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"


def ffmpeg_recording(tmp_path, name: str, args: list) -> bytes:
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
                    "-b:a", "24k", *args, str(out)], check=True)
    return out.read_bytes()


def probed_seconds(data: bytes, tmp_path) -> float | None:
    """The duration players read from the file's header (ffprobe); ``None`` when it states none."""
    path = tmp_path / "probed"
    path.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], check=True, capture_output=True, text=True).stdout.strip()
    return None if out in ("", "N/A") else float(out)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_zip_recordings_state_their_duration_and_the_phones_checksum(reviewer, campaign, sync, upload_voice,
                                                                       tmp_path, backend):
    """Issue 12 §5: MediaRecorder's WebM states no duration; the zip holds its remuxed copy, the CSV the sha256
    the phone sent."""
    recordings = {
        "webm": (ffmpeg_recording(tmp_path, "a.webm", ["-c:a", "libopus", "-live", "1", "-f", "webm"]),
                 "audio/webm;codecs=opus"),
        "ogg": (ffmpeg_recording(tmp_path, "a.ogg", ["-c:a", "libopus", "-f", "ogg"]), "audio/ogg"),
        "m4a": ((Path(__file__).parent / "data" / "webkit-recording.mp4").read_bytes(), "audio/mp4"),
        "wav": (ffmpeg_recording(tmp_path, "a.wav", ["-f", "wav"]), "audio/wav"),
    }
    assert probed_seconds(recordings["webm"][0], tmp_path) is None
    sent = {}
    for data, content_type in recordings.values():
        note_id = uuid7()
        (response_id,) = sync(response_body(campaign, voice_notes=[{"id": str(note_id), "question": "vertel"}]))
        upload_voice(response_id, data, content_type, note_id=note_id)
        sent[str(response_id)] = hashlib.sha256(data).hexdigest()
    _reply, data = export(reviewer, campaign, "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        index = {row["file"]: row for row in csv.DictReader(io.StringIO(archive.read("voice-notes.csv").decode()[1:]))}
        assert sorted(name.rsplit(".", 1)[1] for name in index) == ["m4a", "ogg", "wav", "webm"]
        for name, row in index.items():
            seconds = probed_seconds(archive.read(name), tmp_path)
            assert seconds == pytest.approx(int(row["duration_ms"]) / 1000, abs=0.1), name
            assert row["sha256"] == sent[row["response_id"]]
            assert row["remuxed"] == ("yes" if name.endswith((".webm", ".m4a")) else "no")


# --- large exports, prepared by a job (issue 14 §2) ----------------------------------------------------------

@pytest.fixture
def app_config(app_config, request):
    """A test parametrized with `storage_kind` runs on that store (S3: a bucket of its own on the test server)."""
    if "storage_kind" in request.fixturenames and request.getfixturevalue("storage_kind") == "s3":
        app_config.update(s3_settings(request.getfixturevalue("s3_endpoint")))
    return app_config


def exports_page(campaign) -> str:
    return f"/workspace/campaigns/{campaign.id}/exports"


def prepared() -> ExportFile:
    db.session.rollback()  # a fresh look: the job committed in a session of its own
    return db.session.scalars(select(ExportFile)).one()


@pytest.mark.parametrize("storage_kind", ["local", "s3"])
def test_a_large_export_is_prepared_into_the_store_and_downloaded_through_the_app(app, reviewer, coordinator,
                                                                                 campaign, sync, storage_kind,
                                                                                 backend):
    app.config.update(EXPORT_STREAM_RESPONSES=2, EXPORT_BATCH=2)
    ids = sync(*[response_body(campaign, language=lang) for lang in ("nl", "tr", "ar")])
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/export.csv", {"state": "all"})
    assert reply.status_code == 303
    row = prepared()
    assert reply.headers["Location"].endswith(f"{exports_page(campaign)}#export-{row.id}")
    assert (row.status, row.format, row.requested_by, row.filters) == ("ready", "csv", coordinator.id,
                                                                       {"state": "all"})
    assert row.storage_name.startswith("exports/") and media_store().size(row.storage_name) == row.size
    assert timedelta(hours=23) < row.expires_at - utcnow() <= timedelta(hours=24)
    assert check_storage().clean  # the store's file has its row

    page = reviewer.get(exports_page(campaign)).get_data(as_text=True)
    download = f"{exports_page(campaign)}/{row.id}"
    assert f'href="{download}"' in page and row.filename in page
    with reviewer.get(download) as got:
        assert got.status_code == 200 and got.mimetype == "text/csv"
        assert got.headers["Content-Disposition"] == f'attachment; filename="{row.filename}"'
        assert got.headers["Cache-Control"] == "private, no-store"
        assert sorted(line["response_id"] for line in csv_rows(got.get_data())) == sorted(str(i) for i in ids)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                .order_by(AuditEvent.id)).all()
    assert [event.details for event in events] == [
        {"format": "csv", "filters": {"state": "all"}, "prepared": str(row.id)},
        {"format": "csv", "filters": {"state": "all"}, "downloaded": str(row.id)}]
    assert {event.user_id for event in events} == {coordinator.id}


@pytest.mark.commits
def test_the_server_thread_prepares_a_large_export_as_the_embedded_default_does(app, reviewer, campaign, sync,
                                                                              backend):
    app.config.update(JOBS_RUNNER="thread", EXPORT_STREAM_RESPONSES=1, EXPORT_BATCH=1)
    ids = sync(response_body(campaign), response_body(campaign))
    assert reviewer.post(f"/workspace/campaigns/{campaign.id}/export.json", {}).status_code == 303
    db.session.rollback()  # the request shared this test's session: let the job thread have its turn
    assert drain(app, timeout=60)
    row = prepared()
    with reviewer.get(f"{exports_page(campaign)}/{row.id}") as got:
        assert sorted(record["id"] for record in json.loads(got.get_data())) == sorted(str(i) for i in ids)


def test_a_small_export_still_streams_at_once(app, reviewer, campaign, sync, backend):
    app.config["EXPORT_STREAM_RESPONSES"] = 2
    sync(response_body(campaign), response_body(campaign))
    reply, data = export(reviewer, campaign, "json")
    assert reply.status_code == 200 and len(json.loads(data)) == 2
    assert db.session.scalars(select(ExportFile)).first() is None


def test_the_zip_counts_recordings_not_responses(app, reviewer, campaign, voiced_response, backend):
    app.config.update(EXPORT_STREAM_RESPONSES=0, EXPORT_STREAM_RECORDINGS=0)
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/export.zip", {})
    assert reply.status_code == 303
    row = prepared()
    with reviewer.get(f"{exports_page(campaign)}/{row.id}") as got:
        data = got.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
    assert names[-1] == "voice-notes.csv" and len([name for name in names if name.endswith(".wav")]) == 1


def test_the_page_says_being_prepared_and_a_failure_with_a_retry(app, reviewer, coordinator, campaign, sync,
                                                                  backend):
    sync(response_body(campaign))
    row = ExportFile(campaign_id=campaign.id, requested_by=coordinator.id, format="csv", filters={},
                     filename="responses-x.csv", expires_at=utcnow() + timedelta(hours=24))
    db.session.add(row)
    db.session.flush()
    job = Job(name="export_file", object_type="export", object_id=str(row.id), campaign_id=campaign.id,
              arguments={"export_id": str(row.id), "campaign_id": str(campaign.id)})
    db.session.add(job)
    db.session.commit()
    page = reviewer.get(exports_page(campaign)).get_data(as_text=True)
    assert "Wordt klaargemaakt; laad de pagina over een tijdje opnieuw." in page
    assert reviewer.get(f"{exports_page(campaign)}/{row.id}").status_code == 404  # nothing to download yet

    job.status, job.attempts, job.error, job.failed_at = "failed", 4, "OSError: the store was away", utcnow()
    db.session.commit()
    page = reviewer.get(exports_page(campaign)).get_data(as_text=True)
    assert "De export kon niet worden klaargemaakt (4 pogingen" in page
    retry = f"/workspace/campaigns/{campaign.id}/jobs/{job.id}/retry"
    assert retry in page
    overview = reviewer.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Een export klaarmaken" in overview and f"{exports_page(campaign)}#export-{row.id}" in overview
    assert reviewer.post(retry, {"return_to": exports_page(campaign)}).status_code == 303
    assert prepared().status == "ready"
    assert db.session.scalars(select(Job)).first() is None


def test_a_prepared_export_is_only_for_who_asked_for_it(app, reviewer, campaign, sync, web_as, make_user, team,
                                                       backend):
    app.config["EXPORT_STREAM_RESPONSES"] = 0
    sync(response_body(campaign))
    reviewer.post(f"/workspace/campaigns/{campaign.id}/export.csv", {})
    download = f"{exports_page(campaign)}/{prepared().id}"
    colleague = web_as(make_user("coordinator", [team]))
    assert colleague.get(download).status_code == 404
    assert download not in colleague.get(exports_page(campaign)).get_data(as_text=True)
    stranger = web_as(make_user("coordinator", [make_team()]))
    assert stranger.get(download).status_code == 404
    assert stranger.get(exports_page(campaign)).status_code == 404
    assert reviewer.get(download).status_code == 200


def test_prepared_exports_expire_and_the_retention_sweep_deletes_them(app, reviewer, campaign, sync, backend):
    app.config["EXPORT_STREAM_RESPONSES"] = 0
    sync(response_body(campaign))
    reviewer.post(f"/workspace/campaigns/{campaign.id}/export.xlsx", {})
    row = prepared()
    name, download = row.storage_name, f"{exports_page(campaign)}/{row.id}"
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert reviewer.get(download).status_code == 404  # expired: not handed out even before the sweep
    assert apply_retention().expired_exports == 1
    db.session.commit()
    assert db.session.scalars(select(ExportFile)).first() is None and media_store().size(name) is None
