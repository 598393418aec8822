"""Voice-note retention, residents' erasure by receipt code, and the team's audit log."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.jobs.periodic import PeriodicJobs, start_periodic_jobs, stop_periodic_jobs
from server.privacy.models import AuditEvent
from server.privacy.operations import apply_retention
from server.responses.models import Answer, Response
from server.review.models import ResponseTag, ReviewComment
from server.storage import media_path
from server.util import utcnow, uuid7
from server.voice.models import VoiceNote
from tests.factories import response_body


def age_note(note_id, days: int) -> None:
    db.session.execute(update(VoiceNote).where(VoiceNote.id == note_id)
                       .values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def stored_file(note_id):
    note = db.session.get(VoiceNote, note_id)
    db.session.refresh(note)
    return note, media_path(note.storage_name)


# --- retention ---------------------------------------------------------------------------------------

def test_retention_deletes_old_recordings_and_keeps_the_rest(runner, campaign, voiced_response, backend):
    _response_id, note_id = voiced_response
    note, path = stored_file(note_id)
    note.transcript = "Bir bank"
    campaign.voice_retention_days = 30
    db.session.commit()
    age_note(note_id, 29)
    assert "voice notes deleted: 0" in runner.invoke(args=["retention"]).output
    assert path.exists()
    age_note(note_id, 31)
    result = runner.invoke(args=["retention"])
    assert "voice notes deleted: 1 in 1 campaign(s)" in result.output
    note, path = stored_file(note_id)
    assert not path.exists() and note.audio_deleted_at is not None and note.transcript == "Bir bank"
    assert db.session.scalar(select(db.func.count()).select_from(Answer)) > 0  # answers stay
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention")).one()
    assert (event.action, event.user_id, event.details) == ("retention", None, {"count": 1, "days": 30})


def test_no_retention_keeps_recordings(app, campaign, voiced_response, backend):
    _response_id, note_id = voiced_response
    age_note(note_id, 3000)
    assert apply_retention().by_campaign == {}
    assert stored_file(note_id)[1].exists()


def test_notes_whose_response_never_came_are_deleted_after_the_unclaimed_period(
        app, runner, team, campaign, voiced_response, upload_voice, reviewer, backend):
    _response_id, claimed = voiced_response
    unclaimed, recent = upload_voice(uuid7()), upload_voice(uuid7())  # their responses never arrive
    paths = {note_id: stored_file(note_id)[1] for note_id in (claimed, unclaimed, recent)}
    days = app.config["VOICE_UNCLAIMED_DAYS"]
    for note_id in (claimed, unclaimed):
        age_note(note_id, days + 1)
    age_note(recent, days - 1)
    result = runner.invoke(args=["retention"])
    assert "unclaimed voice notes deleted: 1" in result.output
    db.session.expire_all()
    assert db.session.get(VoiceNote, unclaimed) is None and not paths[unclaimed].exists()
    assert all(paths[note_id].exists() and db.session.get(VoiceNote, note_id) for note_id in (claimed, recent))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention")).one()
    assert (event.team_id, event.campaign_id, event.action, event.object_type, event.details) == (
        team.id, None, "retention", "voice_note", {"count": 1, "unclaimed_days": days})
    page = reviewer.get(f"/workspace/teams/{team.id}/audit")
    assert page.status_code == 200 and "unclaimed_days: 30" in page.get_data(as_text=True)


def test_no_request_pays_for_the_retention_sweep(app, client, enrolled, campaign, voiced_response, backend):
    """A phone's sync (or any page) never deletes, commits or waits for retention: that is the background's."""
    _response_id, note_id = voiced_response
    campaign.voice_retention_days = 1
    db.session.commit()
    age_note(note_id, 2)
    app.extensions.pop("wijkstem.retention", None)
    assert client.get("/workspace/sign-in").status_code == 200
    assert client.post("/api/v1/sync", json={"responses": []}, headers=enrolled[1]).status_code == 200
    note, path = stored_file(note_id)
    assert path.exists() and note.audio_deleted_at is None
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention")).all() == []


def expired_note(campaign, voiced_response):
    """The voiced response's note, two days old in a campaign that keeps recordings one day."""
    _response_id, note_id = voiced_response
    campaign.voice_retention_days = 1
    db.session.commit()
    age_note(note_id, 2)
    return note_id


def wait_until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def retention_events() -> list:
    db.session.rollback()  # a fresh look (and, on SQLite, the writers' turn given back)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention")).all()
    db.session.rollback()
    return events


def test_the_background_schedule_sweeps_every_interval_until_stopped(app, campaign, voiced_response, backend):
    """The clock queues the ``retention`` job (run at once here: `JOBS_RUNNER = "inline"`)."""
    note_id = expired_note(campaign, voiced_response)
    clock = PeriodicJobs(app, {"retention": 0.02}, first_delay=0, tick=0.02)
    clock.start()
    try:
        wait_until(lambda: clock.runs >= 3)
    finally:
        assert clock.stop(timeout=10)
    assert not clock.thread.is_alive() and clock.thread.name == "wijkstem-clock"
    note, path = stored_file(note_id)
    assert not path.exists() and note.audio_deleted_at is not None
    assert [event.details for event in retention_events()] == [{"count": 1, "days": 1}]  # later sweeps: nothing
    runs = clock.runs
    time.sleep(0.1)
    assert clock.runs == runs


def test_a_failed_sweep_is_logged_and_tried_again(app, campaign, voiced_response, monkeypatch, caplog, backend):
    import server.privacy.schedule

    note_id = expired_note(campaign, voiced_response)
    failures = []

    def fail_once():
        if not failures:
            failures.append(1)
            raise RuntimeError("the disk is gone")
        return apply_retention()

    monkeypatch.setattr(server.privacy.schedule, "apply_retention", fail_once)
    clock = PeriodicJobs(app, {"retention": 0.02}, first_delay=0, tick=0.02)
    clock.start()
    try:
        wait_until(lambda: clock.runs >= 2)
    finally:
        assert clock.stop(timeout=10)
    assert "job retention" in caplog.text and "the disk is gone" in caplog.text
    assert stored_file(note_id)[0].audio_deleted_at is not None


def test_the_schedule_starts_once_per_process_unless_turned_off(app):
    app.config.update(RETENTION_INTERVAL_SECONDS=0, RESULTS_REFRESH_SECONDS=0)
    assert start_periodic_jobs(app) is None
    app.config.update(RETENTION_INTERVAL_SECONDS=3600, RETENTION_FIRST_RUN_SECONDS=60)
    clock = start_periodic_jobs(app)
    try:
        assert start_periodic_jobs(app) is clock and clock.thread.is_alive()
        assert (clock.intervals, clock.first_delay) == ({"retention": 3600}, 60)
    finally:
        stop_periodic_jobs(app)
    assert not clock.thread.is_alive() and clock.runs == 0
    app.config["RETENTION_INTERVAL_SECONDS"] = 5
    clock = start_periodic_jobs(app)
    stop_periodic_jobs(app)
    assert clock.first_delay == 5 and "wijkstem.periodic_jobs" not in app.extensions


@pytest.mark.slow
@pytest.mark.commits
def test_each_server_worker_sweeps_in_the_background_and_one_sweep_counts(app, campaign, voiced_response,
                                                                           tmp_path, database_url, backend):
    """`wijkstem serve` with two workers, nobody asking for anything: the recording goes within seconds, and the
    workers' sweeps (two a second here) delete and log it once."""
    from tests.server.test_crash import ProductionServer

    note_id = expired_note(campaign, voiced_response)
    db.session.remove()
    server = ProductionServer(database_url, Path(app.config["MEDIA_DIR"]), tmp_path / "server.log")
    server.env["WIJKSTEM_RETENTION_INTERVAL_SECONDS"] = "1"
    server.start()
    try:
        wait_until(lambda: retention_events(), seconds=30)
        time.sleep(2.5)  # more sweeps in both workers
        assert [event.details for event in retention_events()] == [{"count": 1, "days": 1}]
    finally:
        server.stop()
    note, path = stored_file(note_id)
    assert not path.exists() and note.audio_deleted_at is not None
    assert "job retention" not in (tmp_path / "server.log").read_text()


def test_retention_form(reviewer, campaign, voiced_response, backend):
    url = f"/workspace/campaigns/{campaign.id}/privacy"
    page = reviewer.get(url)
    assert page.status_code == 200 and "Opnames die nu bewaard zijn: 1" in page.get_data(as_text=True)
    assert reviewer.post(url, {"days": "0"}).status_code == 422
    assert reviewer.post(url, {"days": "many"}).status_code == 422
    assert reviewer.post(url, {"days": "90"}).status_code == 303
    db.session.refresh(campaign)
    assert campaign.voice_retention_days == 90
    assert reviewer.post(url, {"days": ""}).status_code == 303
    db.session.refresh(campaign)
    assert campaign.voice_retention_days is None


# --- erasure -----------------------------------------------------------------------------------------

def erase(web, code, **kwargs):
    return web.post("/erase", {"receipt": code}, **kwargs)


def test_erasure_page_erases_everything_of_the_receipt(web, reviewer, campaign, voiced_response, sync, backend):
    response_id, note_id = voiced_response
    (kept,) = sync(response_body(campaign, receipt="ZZZZ222222"))
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/tags", {"name": "groen"})
    reviewer.post(f"/workspace/campaigns/{campaign.id}/responses/{response_id}/comments", {"body": "Mooi"})
    _note, path = stored_file(note_id)
    assert web.get("/erase").status_code == 200
    reply = erase(web, " k7m2-qxh4 pa ")  # as a resident might type it
    assert reply.status_code == 200
    assert "zijn gewist" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Response, response_id) is None and db.session.get(VoiceNote, note_id) is None
    assert not path.exists()
    assert db.session.scalars(select(ResponseTag)).all() == [] and db.session.scalars(select(ReviewComment)).all() == []
    assert db.session.get(Response, kept) is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erasure")).all()
    assert [(e.user_id, e.details) for e in events] == [(None, {"count": 1})]
    assert "K7M2QXH4PA" not in repr([e.details for e in events])


def test_unknown_receipt_erases_nothing(web, campaign, sync, backend):
    (kept,) = sync(response_body(campaign, receipt="ZZZZ222222"))
    reply = erase(web, "AAAA333333")
    assert reply.status_code == 200 and "vonden geen antwoorden" in reply.get_data(as_text=True)
    assert db.session.get(Response, kept) is not None


@pytest.mark.parametrize("code", ["", "ab", "-- --", "x" * 65])
def test_malformed_receipt_is_refused(web, code, backend):
    reply = erase(web, code)
    assert reply.status_code == 422
    assert "error-summary" in reply.get_data(as_text=True)


def test_erasure_needs_the_csrf_token(web, campaign, sync, backend):
    (kept,) = sync(response_body(campaign, receipt="ZZZZ222222"))
    web.get("/erase")
    assert erase(web, "ZZZZ222222", csrf=False).status_code == 400
    assert db.session.get(Response, kept) is not None


def test_erasure_is_rate_limited(app, web, backend):
    app.config["RATELIMIT_ERASURE"] = "3/minute"
    replies = [erase(web, "AAAA333333").status_code for _ in range(4)]
    assert replies == [200, 200, 200, 429]


def test_erasure_page_speaks_the_residents_language(web, backend):
    page = web.get("/erase?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in page and 'lang="ar"' in page


# --- the audit log -----------------------------------------------------------------------------------

def test_audit_log_lists_the_teams_events_newest_first(reviewer, team, campaign, voiced_response, coordinator,
                                                       backend):
    _response_id, note_id = voiced_response
    reply = reviewer.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    reply.close()
    reviewer.post(f"/workspace/campaigns/{campaign.id}/export.csv").close()
    page = reviewer.get(f"/workspace/teams/{team.id}/audit").get_data(as_text=True)
    assert page.index("<td>exporteerde</td>") < page.index("<td>luisterde</td>")
    assert coordinator.email in page


def test_audit_log_pages(app, reviewer, team, campaign, backend):
    from server.privacy.operations import record_event

    for number in range(60):
        record_event("export", campaign, "campaign", campaign.id, None, number=number)
    db.session.commit()
    first = reviewer.get(f"/workspace/teams/{team.id}/audit").get_data(as_text=True)
    assert "number: 59" in first and "number: 10" in first and "number: 9<" not in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&#43;", "+").replace("&amp;", "&")
    second = reviewer.get(older).get_data(as_text=True)
    assert "number: 9<" in second and "number: 0<" in second and "number: 10<" not in second
    assert 'rel="next"' not in second
    assert reviewer.get(f"/workspace/teams/{team.id}/audit?before=nonsense").status_code == 422


# --- every administrative action is in the audit log (issue 11 §2) ------------------------------------------

def test_every_administrative_action_is_in_the_audit_log(app, web, web_as, make_user, team, campaign, flyer,
                                                         client, runner, backend):
    """Who, when and from which team: accounts, roles, memberships, passwords, phones, flyers, campaigns,
    exports, retention and erasure."""
    admin = make_user("admin", [team], email="beheer@example.org")
    browser = web_as(admin)
    browser.post("/workspace/admin/users/new", {"email": "nieuw@example.org", "role": "field_worker",
                                                "teams": str(team.id), "password": "a long first password"})
    new = db.session.scalars(select(type(admin)).where(type(admin).email == "nieuw@example.org")).one()
    browser.post(f"/workspace/admin/users/{new.id}", {"role": "coordinator", "active": "", "teams": str(team.id),
                                                      "password": "another long password"})
    browser.post(f"/workspace/admin/users/{new.id}", {"role": "coordinator", "active": "1", "teams": ""})
    outsider = make_user("field_worker", [], email="buiten@example.org")
    browser.post(f"/workspace/admin/teams/{team.id}/members", {"email": outsider.email})
    browser.post(f"/workspace/admin/users/{outsider.id}/sign-out-everywhere")
    browser.post("/workspace/devices/enrol", {"team": str(team.id), "label": "Telefoon 1"})
    from server.devices.operations import make_enrolment_code

    code = make_enrolment_code(team, "Telefoon 2")
    db.session.commit()
    device_id = client.post("/api/v1/devices/enrol", json={"code": code}).json["device_id"]
    browser.post(f"/workspace/devices/{device_id}/revoke")
    browser.post(f"/workspace/campaigns/{campaign.id}/sources", {"name": "Bibliotheek", "kind": "flyer"})
    browser.post(f"/workspace/campaigns/{campaign.id}/sources/{flyer.id}/revoke")
    browser.post(f"/workspace/campaigns/{campaign.id}/export.csv")
    browser.post(f"/workspace/campaigns/{campaign.id}/close")
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    by_admin = [e for e in events if e.user_id == admin.id]
    assert [e.action for e in by_admin] == [
        "account_created", "role_changed", "password_set", "account_disabled", "membership_changed",
        "account_enabled", "membership_changed", "sessions_ended", "enrol_code_made", "device_revoked",
        "flyer_made", "flyer_revoked", "export", "campaign_closed"]
    assert {(e.team_id, e.actor, e.actor_teams) for e in by_admin} == {(team.id, admin.email, team.slug)}
    assert all(e.created_at is not None for e in by_admin)
    enrolled = [e for e in events if e.action == "device_enrolled"]
    assert [(e.team_id, e.object_id) for e in enrolled] == [(team.id, device_id)]
    page = browser.get(f"/workspace/teams/{team.id}/audit").get_data(as_text=True)
    for words in ("stelde een wachtwoord in", "trok een telefoon in", "sloot een campagne", "(" + team.slug + ")"):
        assert words in page
