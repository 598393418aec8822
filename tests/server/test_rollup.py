"""The running totals always equal a count over the responses themselves, whatever happened in between."""

import random
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from server.extensions import db
from server.responses.models import Answer, Response
from server.results.models import AnswerRollup, ResponseRollup
from server.results.rollup import rebuild_rollups, refresh_rollups
from tests.results_data import resident, sync

# Each request starts outside the test's transaction, as in production: a device's small batch takes the
# small batch's way (`sync_small_batch`) on both databases.
pytestmark = [pytest.mark.commits, pytest.mark.usefixtures("requests_start_committed")]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def counted_from_rows(campaign_id) -> tuple[Counter, Counter]:
    """What the totals should hold, counted in Python from every visible response and answer."""
    responses, answers = Counter(), Counter()
    visible = db.session.scalars(select(Response).where(Response.campaign_id == campaign_id,
                                                        Response.review_state != "hidden")).all()
    for response in visible:
        group = (response.language, response.channel, response.source_id or 0, response.buurt or "",
                 response.age_bracket or "")
        responses[(response.collected_at.astimezone(AMSTERDAM).date(), *group)] += 1
        for answer in response.answers:
            value = answer.choice_key or (str(answer.number) if answer.number is not None else None)
            if value is not None:
                answers[(answer.question_key, value, *group)] += 1
        for question in {answer.question_key for answer in response.answers}:
            answers[(question, "*", *group)] += 1
    return responses, answers


def counted_in_totals(campaign_id) -> tuple[Counter, Counter]:
    responses = Counter({(r.day, r.language, r.channel, r.source_id, r.buurt, r.age_bracket): r.responses
                         for r in db.session.scalars(select(ResponseRollup)
                                                     .where(ResponseRollup.campaign_id == campaign_id))})
    answers = Counter({(a.question_key, a.value, a.language, a.channel, a.source_id, a.buurt, a.age_bracket):
                       a.answers for a in db.session.scalars(select(AnswerRollup)
                                                             .where(AnswerRollup.campaign_id == campaign_id))})
    return +responses, +answers


def random_resident(campaign, rng: random.Random, number: int) -> dict:
    return resident(
        campaign, language=rng.choice(["nl", "nl", "tr", "ar", "en"]), buurt=rng.choice(["Noord", "Zuid", None]),
        age=rng.choice(["18-26", "41-65", None]), day=rng.randrange(0, 90), receipt=f"RECEIPT{number:04d}",
        wonen=rng.randint(1, 5), missen=rng.choice(["groen", "licht", None]),
        plekken=rng.sample(["park", "markt", "bieb"], rng.randint(1, 3)), veilig=rng.choice(["yes", "no", None]),
        jaren=rng.choice([None, rng.randint(0, 80)]), idee=rng.choice([None, "Meer bankjes"]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_totals_match_the_responses_after_any_sequence_of_changes(client, auth, campaign, seed):
    rng, number = random.Random(seed), 0
    for _step in range(8):
        action = rng.choice(["sync", "sync", "hide", "unhide", "erase", "delete"])
        ids = list(db.session.scalars(select(Response.id)))
        if action == "sync":
            bodies = [random_resident(campaign, rng, number + n) for n in range(rng.randint(1, 12))]
            number += len(bodies)
            sync(client, auth, bodies)
        elif action in ("hide", "unhide") and ids:
            for response_id in rng.sample(ids, min(len(ids), 3)):
                db.session.get(Response, response_id).review_state = "hidden" if action == "hide" else "reviewed"
            db.session.commit()
        elif action == "erase" and number:
            reply = client.post("/api/v1/erasure", json={"receipt": f"receipt{rng.randrange(number):04d}"})
            assert reply.status_code == 200
        elif action == "delete" and ids:
            db.session.delete(db.session.get(Response, rng.choice(ids)))
            db.session.commit()
        refresh_rollups(campaign.id)
        db.session.commit()
        assert counted_in_totals(campaign.id) == counted_from_rows(campaign.id), f"after {action}"


def test_each_response_is_counted_once_however_often_the_totals_refresh(client, auth, campaign):
    sync(client, auth, [resident(campaign) for _ in range(3)])
    assert refresh_rollups(campaign.id) == 3
    assert refresh_rollups(campaign.id) == 0
    db.session.commit()
    assert counted_in_totals(campaign.id)[0] == Counter(
        {(datetime(2026, 10, 1).date(), "nl", "door_to_door", 0, "Noord", "27-40"): 3})


def test_refresh_with_a_limit_leaves_the_rest_for_later(client, auth, campaign):
    sync(client, auth, [resident(campaign) for _ in range(5)])
    assert refresh_rollups(campaign.id, limit=2) == 2
    assert refresh_rollups(campaign.id, limit=2) == 2
    assert refresh_rollups(campaign.id) == 1
    db.session.commit()
    assert counted_in_totals(campaign.id) == counted_from_rows(campaign.id)


def test_responses_are_counted_on_the_day_they_were_collected_in_amsterdam(client, auth, campaign):
    summer = resident(campaign, collected_at="2026-09-30T22:30:00+00:00")  # 00:30 on 1 October in Amsterdam
    winter = resident(campaign, collected_at="2026-12-01T23:30:00+00:00")  # 00:30 on 2 December in Amsterdam
    sync(client, auth, [summer, winter])
    refresh_rollups(campaign.id)
    days = sorted(r.day.isoformat() for r in db.session.scalars(select(ResponseRollup)))
    assert days == ["2026-10-01", "2026-12-02"]


def test_rebuild_counts_everything_again_and_gives_the_same_totals(client, auth, campaign):
    sync(client, auth, [resident(campaign, language=language) for language in ("nl", "tr", "tr")])
    refresh_rollups(campaign.id)
    db.session.commit()
    before = counted_in_totals(campaign.id)
    assert rebuild_rollups(campaign.id) == 3
    db.session.commit()
    assert counted_in_totals(campaign.id) == before


def test_deleting_a_single_answer_takes_it_off(client, auth, campaign):
    body = resident(campaign, plekken=("park", "markt"))
    sync(client, auth, [body])
    refresh_rollups(campaign.id)
    db.session.commit()
    answer = db.session.scalars(select(Answer).where(Answer.choice_key == "markt")).one()
    db.session.delete(answer)
    db.session.commit()
    assert ("plekken", "markt") not in {key[:2] for key in counted_in_totals(campaign.id)[1]}
    assert counted_in_totals(campaign.id)[1][("plekken", "park", "nl", "door_to_door", 0, "Noord", "27-40")] == 1


def test_the_cli_refreshes_and_rebuilds(client, auth, campaign, runner):
    sync(client, auth, [resident(campaign) for _ in range(2)])
    result = runner.invoke(args=["results", "refresh"])
    assert result.exit_code == 0, result.output
    assert f"campaign {campaign.id}: 2 responses brought up to date" in result.output
    result = runner.invoke(args=["results", "rebuild", "--campaign", str(campaign.id)])
    assert "2 responses counted" in result.output
    assert runner.invoke(args=["results", "refresh", "--campaign", "nonsense"]).exit_code == 2
    db.session.expire_all()
    assert counted_in_totals(campaign.id) == counted_from_rows(campaign.id)


def test_finding_responses_to_count_uses_the_partial_index(app, backend, campaign):
    if backend != "sqlite":
        pytest.skip("PostgreSQL's plan depends on the table's size; bench/results_breakdown.py checks it there")
    from server.results.rollup import pending_candidates

    statements = []

    def remember(_conn, _cursor, statement, params, _context, _many):
        statements.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        pending_candidates(campaign.id, None, 10)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    statement, params = statements[-1]
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
    assert any("ix_responses_rollup_pending" in str(row) for row in plan), plan


@pytest.mark.commits
def test_a_session_made_elsewhere_in_the_process_does_not_touch_the_totals(client, auth, campaign, database_url):
    """The totals' session events belong to Wijkstem's session, not to every SQLAlchemy session in the process;
    rows deleted past them are counted again by `wijkstem results rebuild`, as docs/results-and-reach.md says."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    sync(client, auth, [resident(campaign) for _ in range(3)])
    refresh_rollups(campaign.id)
    db.session.commit()
    before = counted_in_totals(campaign.id)
    db.session.rollback()  # (on SQLite: let go of the write lock)
    engine = create_engine(database_url)  # another program's engine and session, in this process
    try:
        with Session(engine) as other:
            other.delete(other.scalars(select(Response).limit(1)).one())
            other.commit()
    finally:
        engine.dispose()
    db.session.expire_all()
    assert counted_in_totals(campaign.id) == before != counted_from_rows(campaign.id)
    assert rebuild_rollups(campaign.id) == 2
    db.session.commit()
    assert counted_in_totals(campaign.id) == counted_from_rows(campaign.id)


def test_deleting_through_the_session_keeps_the_totals_right(client, auth, campaign):
    """Both ways the ORM deletes: `session.delete` and a bulk `delete(...)` statement."""
    from sqlalchemy import delete

    sync(client, auth, [resident(campaign, language=language) for language in ("nl", "tr", "ar", "en")])
    refresh_rollups(campaign.id)
    db.session.commit()
    first, second, *_rest = db.session.scalars(select(Response).order_by(Response.id)).all()
    db.session.delete(first)
    db.session.execute(delete(Answer).where(Answer.response_id == second.id))
    db.session.execute(delete(Response).where(Response.id == second.id))
    db.session.commit()
    db.session.expire_all()
    assert counted_in_totals(campaign.id) == counted_from_rows(campaign.id)
    assert sum(counted_in_totals(campaign.id)[0].values()) == 2
