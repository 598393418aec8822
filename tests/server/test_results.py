"""The results pages: numbers counted in SQL from the running totals, charts with tables, print and JSON."""

import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import update

from server.extensions import db
from server.responses.models import Response
from tests.results_data import crowd, forget_locale_between_requests, sync

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def answered(client, auth, campaign):
    """26 residents in three groups whose answers are known."""
    bodies = crowd(campaign, [
        (12, {"language": "nl", "buurt": "Noord", "age": "27-40", "day": 0, "wonen": 4, "missen": "groen",
              "plekken": ["park"], "veilig": "yes"}),
        (11, {"language": "tr", "buurt": "Zuid", "age": "41-65", "day": 3, "wonen": 2, "missen": "licht",
              "plekken": ["park", "markt"], "veilig": "no", "jaren": 5}),
        (3, {"language": "ar", "buurt": "Noord", "age": "66-79", "day": 40, "wonen": 5, "missen": "groen",
             "plekken": ["bieb"], "veilig": None, "idee": "Meer licht"}),
    ])
    sync(client, auth, bodies)
    return bodies


@pytest.fixture(autouse=True)
def _locale_per_request(app):
    forget_locale_between_requests(app)


@pytest.fixture
def coordinator(make_user, team, web_as):
    return web_as(make_user("coordinator", [team]))


def results_json(web, campaign, **params):
    reply = web.get(f"/workspace/campaigns/{campaign.id}/results.json", query_string=params)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.json


def question(document, key):
    return next(chart for chart in document["questions"] if chart["id"] == f"question-{key}")


def totals(chart) -> dict:
    return {row["key"]: row["total"] for row in chart["rows"]}


def test_counts_per_question_match_the_answers(coordinator, campaign, answered):
    document = results_json(coordinator, campaign)
    assert document["total"] == 26
    assert totals(question(document, "wonen")) == {"1": 0, "2": 11, "3": 0, "4": 12, "5": 3}
    assert totals(question(document, "missen")) == {"groen": 15, "spelen": 0, "bankjes": 0, "licht": 11}
    plekken = question(document, "plekken")
    assert totals(plekken) == {"buurthuis": 0, "markt": 11, "park": 23, "bieb": 3}
    assert plekken["base"] == 26
    veilig = question(document, "veilig")
    assert (totals(veilig), veilig["base"]) == ({"yes": 12, "no": 11}, 23)
    assert totals(question(document, "jaren")) == {"5": 11}
    idee = question(document, "idee")
    assert idee["rows"] == [] and idee["base"] == 3 and "3" in idee["note"]


def test_a_breakdown_stacks_each_bar_by_group(coordinator, campaign, answered):
    document = results_json(coordinator, campaign, breakdown="language")
    assert [s["key"] for s in document["series"]] == ["nl", "tr", "ar"]  # the campaign's order; no English
    missen = {row["key"]: row["counts"] for row in question(document, "missen")["rows"]}
    assert missen["groen"] == {"nl": 12, "ar": 3}
    assert missen["licht"] == {"tr": 11}
    by_buurt = results_json(coordinator, campaign, breakdown="buurt")
    assert {row["key"]: row["counts"] for row in question(by_buurt, "veilig")["rows"]} == {
        "yes": {"Noord": 12}, "no": {"Zuid": 11}}


def test_who_answered_and_when(coordinator, campaign, answered):
    document = results_json(coordinator, campaign)
    groups = {chart["id"]: totals(chart) for chart in document["groups"]}
    assert groups["by-buurt"] == {"Noord": 15, "Zuid": 11}
    assert groups["by-age_bracket"] == {"27-40": 12, "41-65": 11, "66-79": 3}
    assert groups["by-channel"] == {"door_to_door": 26}
    over_time = document["over_time"]
    assert over_time["unit"] == "day"
    assert len(over_time["buckets"]) == 41  # 1 October to 10 November, empty days included
    busy = {b["start"]: b["total"] for b in over_time["buckets"] if b["total"]}
    assert busy == {"2026-10-01": 12, "2026-10-04": 11, "2026-11-10": 3}


def test_hidden_responses_are_left_out_and_come_back_when_unhidden(coordinator, campaign, answered):
    response = db.session.get(Response, uuid.UUID(answered[0]["id"]))
    response.review_state = "hidden"
    db.session.commit()
    document = results_json(coordinator, campaign)
    assert document["total"] == 25
    assert totals(question(document, "missen"))["groen"] == 14
    response.review_state = "reviewed"
    db.session.commit()
    assert results_json(coordinator, campaign)["total"] == 26


def test_erased_responses_are_left_out(coordinator, client, campaign, auth):
    sync(client, auth, crowd(campaign, [(2, {}), (1, {"receipt": "WEGHALEN1"})]))
    assert results_json(coordinator, campaign)["total"] == 3
    assert client.post("/api/v1/erasure", json={"receipt": "weghalen1"}).json == {"erased": 1}
    assert results_json(coordinator, campaign)["total"] == 2


def test_long_campaigns_are_shown_per_week(coordinator, client, auth, campaign):
    sync(client, auth, crowd(campaign, [(1, {"day": 0}), (2, {"day": 100})]))  # Thursday 1 October, 9 January
    over_time = results_json(coordinator, campaign)["over_time"]
    assert over_time["unit"] == "week"
    starts = [bucket["start"] for bucket in over_time["buckets"]]
    assert starts[0] == "2026-09-28" and starts[-1] == "2027-01-04" and len(starts) == 15  # Mondays


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "26 responses, collected from 1 October 2026 to 10 November 2026."),  # day first, as in Britain
    ("pl", "26 odpowiedzi, zebranych od 1 października 2026 do 10 listopada 2026."),
    ("uk", "26 відповідей, зібраних з 1 жовтня 2026\u202fр. до 10 листопада 2026\u202fр.")])
def test_the_summary_counts_and_dates_in_the_language(coordinator, campaign, answered, lang, expected):
    html = coordinator.get(f"/workspace/campaigns/{campaign.id}/results", query_string={"lang": lang})
    assert expected in html.get_data(as_text=True)


def test_the_page_draws_each_chart_and_its_table(coordinator, campaign, answered):
    reply = coordinator.get(f"/workspace/campaigns/{campaign.id}/results?breakdown=language")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "26 reacties, verzameld van 1 oktober 2026 tot 10 november 2026." in html  # Dutch by default
    for chart_id in ("over-time", "question-wonen", "question-missen", "by-language"):
        assert f'id="{chart_id}-chart"' in html and f'id="{chart_id}-table"' in html
    svg = html[html.index('<svg class="chart" id="question-missen-chart"'):]
    svg = svg[:svg.index("</svg>") + 6]
    tree = ET.fromstring(svg)
    assert tree.get("role") == "img" and tree.find(f"{SVG}title").text
    rows: dict = {}
    for rect in tree.iter(f"{SVG}rect"):
        rows.setdefault(rect.get("y"), []).append(float(rect.get("width")))
    assert sorted(len(segments) for segments in rows.values()) == [1, 2]  # licht: tr; groen: nl + ar
    assert max(sum(segments) for segments in rows.values()) == pytest.approx(720 - 130)  # 15 fills the width
    assert sorted(map(sum, rows.values())) == pytest.approx([590 * 11 / 15, 590], abs=0.01)
    table = html[html.index('id="question-missen-table"'):]
    table = table[:table.index("</table>")]
    assert "Groen en bomen" in table and "15 (58%)" in table


def test_the_print_version_shows_every_table(coordinator, campaign, answered):
    reply = coordinator.get(f"/workspace/campaigns/{campaign.id}/results/print?breakdown=buurt")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert html.count('<details class="chart-table" open>') == html.count('<details class="chart-table"')
    assert "results/print.js" in html and "data-print" in html


def test_no_responses_yet(coordinator, campaign):
    html = coordinator.get(f"/workspace/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert "<svg" not in html
    assert results_json(coordinator, campaign)["total"] == 0


def test_an_unknown_breakdown_is_refused_with_a_message(coordinator, campaign, answered):
    reply = coordinator.get(f"/workspace/campaigns/{campaign.id}/results?breakdown=postcode")
    assert reply.status_code == 422
    assert 'id="f-breakdown-error"' in reply.get_data(as_text=True)
    reply = coordinator.get(f"/workspace/campaigns/{campaign.id}/results.json?breakdown=postcode")
    assert reply.status_code == 422
    assert reply.json["error"]["field"] == "breakdown"


def test_the_results_index_lists_only_the_users_campaigns(coordinator, campaign, make_user, web_as):
    assert str(campaign.id) in coordinator.get("/workspace/results").get_data(as_text=True)
    stranger = web_as(make_user("coordinator", []))
    assert str(campaign.id) not in stranger.get("/workspace/results").get_data(as_text=True)


def test_a_large_backlog_is_counted_a_slice_per_view_and_the_rest_by_a_job(app, coordinator, campaign, answered):
    """The page counts a slice and shows it; the ``results_refresh`` job it queues counts the rest (at once
    here: the tests' jobs run when their transaction commits)."""
    app.config["RESULTS_CATCH_UP_PER_REQUEST"] = 10
    first = coordinator.get(f"/workspace/campaigns/{campaign.id}/results.json").json
    assert (first["total"], first["complete"]) == (10, False)
    second = coordinator.get(f"/workspace/campaigns/{campaign.id}/results.json").json
    assert (second["total"], second["complete"]) == (26, True)
    app.config["RESULTS_CATCH_UP_PER_REQUEST"] = 0  # nothing counted in the page: still behind
    db.session.execute(update(Response).where(Response.campaign_id == campaign.id).values(review_state="hidden"))
    db.session.commit()
    html = coordinator.get(f"/workspace/campaigns/{campaign.id}/results").get_data(as_text=True)
    assert "Nog aan het tellen" in html
