"""Background jobs: queued after the commit, run by a thread of the server or by RQ on the real Redis, retried,
failures recorded and shown in the workspace with a retry button; playback copies and transcription as jobs."""

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.jobs.models import Job
from server.jobs.queue import app_runner, drain, enqueue, job, recover_stale
from server.review.transcription import TranscriptionFailed, register_backend
from server.storage import media_path
from server.util import utcnow, uuid7
from server.voice.models import VoiceNote
from tests.factories import response_body
from tests.review_world import EchoLengthBackend

#: What the test jobs saw: per token, each attempt's thread name.
CALLS: dict[str, list[str]] = {}
#: Per token: how many attempts fail before one succeeds.
FAILURES: dict[str, int] = {}


@job("test_flaky", object_type="test", key="token")
def flaky_job(token: str) -> None:
    """Fails the first `FAILURES[token]` attempts."""
    CALLS.setdefault(token, []).append(threading.current_thread().name)
    if len(CALLS[token]) <= FAILURES.get(token, 0):
        raise RuntimeError(f"attempt {len(CALLS[token])} of {token} failed")


def new_token(failures: int = 0) -> str:
    token = uuid.uuid4().hex
    FAILURES[token] = failures
    return token


def job_row(name: str, object_id) -> Job | None:
    db.session.rollback()  # a fresh look: the job committed in a session of its own
    return db.session.scalars(select(Job).where(Job.name == name, Job.object_id == str(object_id))).one_or_none()


# These fixtures set the app's runner before its first job (list them before `voiced_response`).

@pytest.fixture
def quick_retries(app):
    app.config["JOBS_RETRY_INTERVALS"] = (0, 0)


@pytest.fixture
def thread_runner(app):
    """Jobs in a thread of the test's server process, as the embedded default runs them."""
    app.config.update(JOBS_RUNNER="thread", JOBS_RETRY_INTERVALS=(0.01, 0.01))
    yield


@pytest.fixture
def rq_runner(app):
    """Jobs on the real Redis at 127.0.0.1:6379, in a queue of this test's own."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    queue = f"wijkstem-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", JOBS_RUNNER=None, JOBS_QUEUE=queue,
                      JOBS_RETRY_INTERVALS=(0, 0))
    yield queue
    connection = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in connection.scan_iter(f"rq:*{queue}*"):
        connection.delete(key)


def run_worker(runner) -> None:
    """`wijkstem worker --burst`: every job queued so far (and its retries), then stop."""
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output + repr(result.exception)


# --- queueing ---------------------------------------------------------------------------------------------

def test_a_job_is_queued_when_its_transaction_commits_and_not_when_it_rolls_back(app, backend):
    dropped, kept = new_token(), new_token()
    assert enqueue("test_flaky", token=dropped)
    db.session.rollback()
    assert enqueue("test_flaky", token=kept)
    assert kept not in CALLS  # not before the commit
    db.session.commit()
    assert dropped not in CALLS and CALLS[kept] == [threading.current_thread().name]
    assert job_row("test_flaky", kept) is None  # done: its row is gone


def test_work_already_pending_is_not_queued_twice_and_a_stale_one_is_queued_again(app, backend):
    token = new_token()
    db.session.add(Job(name="test_flaky", object_type="test", object_id=token, arguments={"token": token},
                       enqueued_at=utcnow()))
    db.session.commit()
    assert not enqueue("test_flaky", token=token)  # pending, and fresh
    db.session.commit()
    assert token not in CALLS and recover_stale() == 0
    db.session.rollback()
    row = job_row("test_flaky", token)
    row.enqueued_at = utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 1)  # its process died
    db.session.commit()
    assert recover_stale() == 1
    db.session.commit()
    assert len(CALLS[token]) == 1 and job_row("test_flaky", token) is None


def test_a_job_that_fails_every_attempt_is_recorded(app, quick_retries, backend):
    token = new_token(failures=99)
    enqueue("test_flaky", token=token)
    db.session.commit()
    assert len(CALLS[token]) == 3  # the first attempt and two retries
    row = job_row("test_flaky", token)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.error == f"RuntimeError: attempt 3 of {token} failed" and row.failed_at is not None
    assert not enqueue("test_flaky", token=token)  # a failure stays visible until someone retries it
    db.session.commit()
    assert len(CALLS[token]) == 3


# --- the thread runner (the embedded default) ---------------------------------------------------------------

@pytest.mark.commits
def test_the_thread_runner_retries_with_backoff_in_its_own_thread(app, thread_runner, backend):
    token = new_token(failures=2)
    enqueue("test_flaky", token=token)
    db.session.commit()
    assert drain(app, timeout=30)
    assert CALLS[token] == ["wijkstem-jobs"] * 3
    assert job_row("test_flaky", token) is None
    assert app_runner(app).depth() == 0


@pytest.mark.commits
def test_the_thread_runner_makes_the_playback_copy(app, thread_runner, reviewer, campaign, voiced_response,
                                                   backend):
    """The note's upload queued its copy; the thread made it."""
    _response_id, note_id = voiced_response
    assert drain(app, timeout=60)
    db.session.rollback()
    note = db.session.get(VoiceNote, note_id)
    assert note.playback_type == "audio/mp4" and media_path(note.playback_name).exists()
    reply = reviewer.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200 and reply.mimetype == "audio/mp4"
    reply.close()


class BlockingBackend:
    """A transcription backend that waits until the test lets it answer, and notes where it ran."""

    name = "blocking"
    release = threading.Event()
    threads: list[str] = []

    def transcribe(self, path, content_type, language):
        from server.review.transcription import Transcript

        BlockingBackend.threads.append(threading.current_thread().name)
        assert BlockingBackend.release.wait(30)
        return Transcript(f"gehoord ({language})", language)


@pytest.mark.commits
def test_transcription_never_runs_inside_the_request(app, thread_runner, reviewer, campaign, voiced_response,
                                                     backend):
    register_backend("blocking", BlockingBackend)
    app.config["TRANSCRIPTION_BACKEND"] = "blocking"
    BlockingBackend.release.clear()
    BlockingBackend.threads.clear()
    response_id, note_id = voiced_response
    assert drain(app, timeout=60)  # the playback copy
    db.session.rollback()
    try:
        # the backend cannot answer yet: a request that waited for it would not return
        reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe")
        assert reply.status_code == 303
        page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
        assert f'id="transcription-job-{note_id}"' in page and "job-pending" in page
        db.session.rollback()  # the page's transaction ends with its request (here: the test's app context)
    finally:
        BlockingBackend.release.set()
    assert drain(app, timeout=30)
    db.session.rollback()
    assert db.session.get(VoiceNote, note_id).transcript == "gehoord (tr)"
    assert BlockingBackend.threads == ["wijkstem-jobs"]
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert f'id="transcription-job-{note_id}"' not in page and "gehoord (tr)" in page


# --- RQ on the real Redis ---------------------------------------------------------------------------------

@pytest.mark.commits
def test_rq_runs_retries_and_records_failures_in_wijkstem_worker(app, rq_runner, runner, backend):
    from redis import Redis
    from rq import Queue

    succeeds, fails = new_token(failures=1), new_token(failures=99)
    enqueue("test_flaky", token=succeeds)
    enqueue("test_flaky", token=fails)
    db.session.commit()
    assert Queue(rq_runner, connection=Redis.from_url(app.config["REDIS_URL"])).count == 2
    assert succeeds not in CALLS  # nothing runs in the server process
    run_worker(runner)
    assert len(CALLS[succeeds]) == 2 and job_row("test_flaky", succeeds) is None
    row = job_row("test_flaky", fails)
    assert len(CALLS[fails]) == 3 and (row.status, row.attempts) == ("failed", 3)


@pytest.mark.commits
def test_rq_worker_makes_the_playback_copy(app, rq_runner, runner, reviewer, campaign, voiced_response, backend):
    response_id, note_id = voiced_response
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert f'id="playback-job-{note_id}"' in page and "job-pending" in page  # says so, rather than failing
    reply = reviewer.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200 and reply.mimetype == "audio/wav"  # as recorded, meanwhile
    reply.close()
    campaign_id = campaign.id
    run_worker(runner)  # (its session is new: the test's objects are detached)
    note = db.session.get(VoiceNote, note_id)
    assert note.playback_type == "audio/mp4" and media_path(note.playback_name).exists()
    assert job_row("playback_copy", note_id) is None
    page = reviewer.get(f"/workspace/campaigns/{campaign_id}/responses/{response_id}").get_data(as_text=True)
    assert f'id="playback-job-{note_id}"' not in page


@pytest.mark.commits
def test_rq_worker_normalises_a_recorded_text_and_prepares_a_large_export(app, rq_runner, runner, reviewer, campaign,
                                                                        sync, backend):
    """The servers only check the upload and queue; the worker runs ffmpeg and writes the export."""
    from server.exports.models import ExportFile
    from server.voicepacks.models import Clip
    from server.voicepacks.operations import record_clip
    from tests.factories import spoken_wav

    app.config["EXPORT_STREAM_RESPONSES"] = 0
    campaign_id = campaign.id
    sync(response_body(campaign))
    record_clip(campaign, "title", "nl", spoken_wav())
    db.session.commit()
    assert reviewer.post(f"/workspace/campaigns/{campaign_id}/export.csv", {}).status_code == 303
    db.session.rollback()
    assert db.session.scalars(select(Clip)).one().state == "processing"
    assert db.session.scalars(select(ExportFile)).one().status == "preparing"
    run_worker(runner)
    db.session.rollback()
    clip, prepared = db.session.scalars(select(Clip)).one(), db.session.scalars(select(ExportFile)).one()
    assert (clip.state, clip.content_type, prepared.status) == ("live", "audio/ogg", "ready")
    with reviewer.get(f"/workspace/campaigns/{campaign_id}/exports/{prepared.id}") as got:
        assert got.status_code == 200 and got.get_data().startswith("\ufeffresponse_id".encode())


def test_the_worker_needs_redis(app, runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


# --- failures in the workspace ------------------------------------------------------------------------------

class FailingBackend:
    name = "failing"

    def transcribe(self, path, content_type, language):
        raise TranscriptionFailed("the service answered 503 with api key sk-secret")


def test_a_failed_job_is_shown_where_the_coordinator_looks_and_can_be_retried(
        app, quick_retries, reviewer, campaign, voiced_response, backend):
    register_backend("failing", FailingBackend)
    app.config["TRANSCRIPTION_BACKEND"] = "failing"
    response_id, note_id = voiced_response
    assert reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe").status_code == 303
    row = job_row("transcription", note_id)
    assert (row.status, row.attempts, row.campaign_id) == ("failed", 3, campaign.id)
    # on the response's page, by its voice note
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert f'id="transcription-job-{note_id}"' in page and "job-failed" in page
    assert f"/workspace/campaigns/{campaign.id}/jobs/{row.id}/retry" in page
    # and listed on the campaign's page, linking to the response; the backend's message is not shown
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'id="job-{row.id}"' in page and str(response_id) in page and "sk-secret" not in page
    # fixed, then retried: it runs again, with all its attempts, and the failure is gone
    register_backend("echo", EchoLengthBackend)
    app.config["TRANSCRIPTION_BACKEND"] = "echo"
    reply = reviewer.post(f"/workspace/campaigns/{campaign.id}/jobs/{row.id}/retry")
    assert reply.status_code == 303 and reply.headers["Location"].endswith("#jobs")
    assert job_row("transcription", note_id) is None
    db.session.rollback()
    assert db.session.get(VoiceNote, note_id).transcript == "Opname van 1000 ms (tr)"
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="jobs"' not in page


def test_a_playback_copy_that_cannot_be_made_is_shown_and_the_recording_still_plays(
        app, quick_retries, reviewer, campaign, sync, upload_voice, backend, tmp_path):
    broken = tmp_path / "ffmpeg"  # an ffmpeg that always fails
    broken.write_text("#!/bin/sh\necho 'no codec today' >&2\nexit 1\n")
    broken.chmod(0o755)
    app.config["FFMPEG_BINARY"] = str(broken)
    note_id = uuid7()
    (response_id,) = sync(response_body(campaign, voice_notes=[{"id": str(note_id), "question": "vertel"}]))
    upload_voice(response_id, note_id=note_id)
    row = job_row("playback_copy", note_id)
    assert (row.status, row.attempts) == ("failed", 3) and "no codec today" in row.error
    page = reviewer.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert f'id="playback-job-{note_id}"' in page and "no codec today" in page
    reply = reviewer.get(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/audio")
    assert reply.status_code == 200 and reply.mimetype == "audio/wav"
    reply.close()
    assert job_row("playback_copy", note_id).status == "failed"  # listening did not hide the failure


def test_a_deleted_recording_takes_its_jobs_with_it(app, quick_retries, reviewer, campaign, voiced_response,
                                                    backend):
    register_backend("failing", FailingBackend)
    app.config["TRANSCRIPTION_BACKEND"] = "failing"
    _response_id, note_id = voiced_response
    reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/transcribe")
    assert job_row("transcription", note_id).status == "failed"
    reviewer.post(f"/workspace/campaigns/{campaign.id}/voice-notes/{note_id}/delete-audio")
    assert job_row("transcription", note_id) is None


def test_a_results_page_that_falls_behind_queues_the_refresh(app, reviewer, campaign, sync, backend):
    from server.results.rollup import pending_candidates

    sync(*(response_body(campaign) for _ in range(3)))
    app.config["RESULTS_CATCH_UP_PER_REQUEST"] = 1
    reply = reviewer.get(f"/workspace/campaigns/{campaign.id}/results")
    assert reply.status_code == 200
    db.session.rollback()
    # the page counted one; the job it queued (run as the page committed: the inline runner) counted the rest
    assert not pending_candidates(campaign.id, None, 1)
    assert job_row("results_refresh", campaign.id) is None
