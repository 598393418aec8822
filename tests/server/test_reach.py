"""The make-up form, the CSV upload and the reach report pages."""

import io
import re

import pytest
from sqlalchemy import select

from server.campaigns.models import Source
from server.extensions import db
from server.reach.models import NeighbourhoodGroup, NeighbourhoodProfile
from server.util import uuid7
from tests.results_data import crowd, forget_locale_between_requests, sync

ENGLISH = {"lang": "en"}
NOT_SHOWN = "not shown, so that smaller numbers cannot be worked out"


@pytest.fixture(autouse=True)
def _locale_per_request(app):
    forget_locale_between_requests(app)


@pytest.fixture
def coordinator(make_user, team, web_as):
    return web_as(make_user("coordinator", [team]))


@pytest.fixture
def heard(client, auth, campaign):
    """60 residents: Noord is heard far more than Zuid; three Arabic speakers only."""
    sync(client, auth, crowd(campaign, [
        (40, {"buurt": "Noord", "age": "27-40", "language": "nl"}),
        (12, {"buurt": "Zuid", "age": "41-65", "language": "tr"}),
        (5, {"buurt": "Noord", "age": "41-65", "language": "nl"}),
        (3, {"buurt": "Centrum", "age": "66-79", "language": "ar"}),
    ]))


def stored(campaign) -> dict:
    groups = db.session.scalars(select(NeighbourhoodGroup).where(NeighbourhoodGroup.campaign_id == campaign.id))
    return {(g.dimension, g.group_key): (g.amount, g.unit) for g in groups}


def url(campaign, path=""):
    return f"/workspace/campaigns/{campaign.id}/reach{path}"


def test_typed_figures_are_saved_and_the_report_compares_them(coordinator, campaign, heard):
    # buurt groups in the form's order: Noord (0), Zuid (1), Centrum (2)
    reply = coordinator.post(url(campaign, "/make-up"), {
        "source_note": "CBS 2025", "unit.buurt": "percent", "amount.buurt.0": "40", "amount.buurt.1": "40,0",
        "amount.buurt.2": "20 %", "unit.age_bracket": "count", "amount.age_bracket.2": "800",
        "amount.age_bracket.3": "1200"})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:2000]
    assert stored(campaign) == {("buurt", "Noord"): (40.0, "percent"), ("buurt", "Zuid"): (40.0, "percent"),
                                ("buurt", "Centrum"): (20.0, "percent"), ("age_bracket", "27-40"): (800.0, "count"),
                                ("age_bracket", "41-65"): (1200.0, "count")}
    assert db.session.get(NeighbourhoodProfile, campaign.id).source_note == "CBS 2025"
    html = coordinator.get(url(campaign), query_string=ENGLISH).get_data(as_text=True)
    buurt = html[html.index('id="reach-buurt"'):]
    buurt = buurt[:buurt.index("</section>")]
    # Noord: 45 of 60 = 75 % against 40 %: 1.88. Centrum (3) is too small to show, and Zuid (12) is not shown
    # either: 60 - 45 - 12 would give Centrum away.
    assert ">45<" in buurt and "1.88×" in buurt
    assert "fewer than 10" in buurt and "not shown, so that smaller numbers cannot be worked out" in buurt
    assert ">3<" not in buurt and ">12<" not in buurt
    # Centrum's participation is below (9 / 60) / 0.2 = 0.75, so the score is at most 0.75 / 1.875 = 0.4
    assert "at most 0.4" in buurt
    advice = html[html.index('id="advice"'):]
    advice = advice[:advice.index("</ol>")]
    assert "Go to Centrum: fewer than 10 answered, where about 12 would match the share of residents." in advice
    assert "Zuid" not in advice


def test_percentages_over_100_are_refused_and_nothing_is_saved(coordinator, campaign):
    reply = coordinator.post(url(campaign, "/make-up") + "?lang=en", {
        "unit.buurt": "percent", "amount.buurt.0": "70", "amount.buurt.1": "40"})
    assert reply.status_code == 422
    assert "add up to 110%, more than 100" in reply.get_data(as_text=True)
    assert stored(campaign) == {}


def test_a_number_that_is_not_one_is_shown_next_to_its_field(coordinator, campaign):
    reply = coordinator.post(url(campaign, "/make-up") + "?lang=en", {"amount.buurt.1": "twaalf"})
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert 'id="f-amount-buurt-1-error"' in html and "Enter a number" in html
    assert 'value="twaalf"' in html  # what was typed stays in the form
    assert stored(campaign) == {}


def test_a_csv_from_a_dutch_spreadsheet_is_read(coordinator, campaign):
    body = ("\ufeffdimensie;groep;aandeel\nleeftijd;27 - 40;22,5\nleeftijd;66–79;12\ntaal;Turks;18\n"
            "taal;ar;9\nbuurt;zuid;30\n").encode()
    reply = coordinator.client.post(url(campaign, "/upload"), data={
        "csrf_token": coordinator.csrf_token(), "unit": "percent", "file": (io.BytesIO(body), "cbs.csv")},
        content_type="multipart/form-data")
    assert reply.status_code == 303, reply.get_data(as_text=True)[:3000]
    assert stored(campaign) == {
        ("age_bracket", "27-40"): (22.5, "percent"), ("age_bracket", "66-79"): (12.0, "percent"),
        ("language", "tr"): (18.0, "percent"), ("language", "ar"): (9.0, "percent"),
        ("buurt", "Zuid"): (30.0, "percent")}


def test_an_upload_replaces_only_the_dimensions_in_the_file(coordinator, campaign):
    coordinator.post(url(campaign, "/make-up"), {"amount.buurt.0": "50", "amount.age_bracket.0": "10"})
    body = b"dimension,group,share\nbuurt,Centrum,25\n"
    coordinator.client.post(url(campaign, "/upload"), data={
        "csrf_token": coordinator.csrf_token(), "file": (io.BytesIO(body), "buurt.csv")},
        content_type="multipart/form-data")
    assert stored(campaign) == {("buurt", "Centrum"): (25.0, "percent"), ("age_bracket", "0-17"): (10.0, "percent")}


def test_a_wrong_csv_says_which_lines_and_saves_nothing(coordinator, campaign):
    body = b"dimension,group,share\nbuurt,Oost,30\nbuurt,Noord,veel\npostcode,1234,5\nbuurt,Zuid,20\n"
    reply = coordinator.client.post(url(campaign, "/upload") + "?lang=en", data={
        "csrf_token": coordinator.csrf_token(), "file": (io.BytesIO(body), "bad.csv")},
        content_type="multipart/form-data")
    assert reply.status_code == 422
    html = reply.get_data(as_text=True)
    assert "Line 2: “Oost” is not a group of Buurt in this campaign." in html
    assert "Line 3: “veel” is not a number." in html
    assert "Line 4: “postcode” is not a dimension of this campaign." in html
    assert stored(campaign) == {}


@pytest.mark.parametrize("body, message", [
    (b"", "Choose a CSV file"),
    (b"group,share\nNoord,30\n", "The first line must name the columns"),
    (b"dimension,group,share\n", "The file has no figures"),
    (b"dimension,group,share\n" + b"buurt,Noord,1\n" * 2, "Noord is given twice"),
    (b"dimension,group,share\nbuurt,Noord,80\nbuurt,Zuid,30\n", "more than 100"),
    (b"x" * (65 * 1024), "larger than 64 KB"),
    (b"\xff\xfe\x00garbage", "The first line must name the columns"),
])
def test_unusable_files_are_explained(coordinator, campaign, body, message):
    files = {"file": (io.BytesIO(body), "f.csv")} if body else {}
    reply = coordinator.client.post(url(campaign, "/upload") + "?lang=en", data={
        "csrf_token": coordinator.csrf_token(), **files}, content_type="multipart/form-data")
    assert reply.status_code == 422
    assert message in reply.get_data(as_text=True)
    assert stored(campaign) == {}


def test_the_template_to_fill_in_lists_every_group_with_what_is_stored(coordinator, campaign):
    coordinator.post(url(campaign, "/make-up"), {"amount.buurt.1": "33,5"})
    reply = coordinator.get(url(campaign, "/make-up.csv"))
    assert reply.headers["Content-Disposition"] == 'attachment; filename="wijkstem-make-up.csv"'
    lines = reply.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "dimension,group,share,name"
    assert "buurt,Zuid,33.5,Zuid" in lines and "age_bracket,80+,,80+" in lines
    assert "question:veilig,yes,," in "\n".join(lines)


def test_the_template_can_be_uploaded_again(coordinator, campaign):
    coordinator.post(url(campaign, "/make-up"), {"amount.buurt.1": "33,5", "amount.language.0": "60"})
    template = coordinator.get(url(campaign, "/make-up.csv")).get_data()
    reply = coordinator.client.post(url(campaign, "/upload"), data={
        "csrf_token": coordinator.csrf_token(), "file": (io.BytesIO(template), "again.csv")},
        content_type="multipart/form-data")
    assert reply.status_code == 303
    assert stored(campaign) == {("buurt", "Zuid"): (33.5, "percent"), ("language", "nl"): (60.0, "percent")}


def test_without_figures_the_report_still_counts_groups_without_small_ones(coordinator, campaign, heard):
    html = coordinator.get(url(campaign), query_string=ENGLISH).get_data(as_text=True)
    assert "Enter the neighbourhood" in html
    buurt = html[html.index('id="reach-buurt"'):]
    buurt = buurt[:buurt.index("</table>")]
    assert ">45<" in buurt and ">12<" in buurt and "fewer than 10" in buurt and ">3<" not in buurt


def test_questions_with_choices_are_dimensions_too(coordinator, campaign, heard):
    coordinator.post(url(campaign, "/make-up"), {"amount.q-veilig.0": "50", "amount.q-veilig.1": "50"})
    assert stored(campaign) == {("question:veilig", "yes"): (50.0, "percent"),
                                ("question:veilig", "no"): (50.0, "percent")}
    html = coordinator.get(url(campaign), query_string=ENGLISH).get_data(as_text=True)
    assert 'id="reach-q-veilig"' in html


@pytest.mark.parametrize(("lang", "expected"), [("en", "at least 80% of the answers"), ("tr", "en az %80"),
                                                ("nl", "minstens 80% van de antwoorden")])
def test_when_every_group_is_heard_enough_the_report_says_so_in_the_language(coordinator, campaign, heard, lang,
                                                                             expected):
    """The threshold is a formatted percentage (it once read as a Python format and failed the page)."""
    reply = coordinator.post(url(campaign, "/make-up"), {
        "unit.buurt": "percent", "amount.buurt.0": "75", "amount.buurt.1": "20", "amount.buurt.2": "5"})
    assert reply.status_code == 303
    reply = coordinator.get(url(campaign), query_string={"lang": lang})
    assert reply.status_code == 200
    assert expected in reply.get_data(as_text=True)


@pytest.mark.parametrize("payload", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"], ids=repr)
def test_the_template_runs_no_formula_a_coordinator_typed(coordinator, campaign, payload):
    """Issue 11 §1: the reach template goes through the same escaping function as every export."""
    import csv

    from sqlalchemy.orm.attributes import flag_modified

    from server.campaigns.models import CampaignVersion
    from server.spreadsheet import FORMULA_STARTS

    for holder in [campaign, *db.session.scalars(select(CampaignVersion).where(
            CampaignVersion.campaign_id == campaign.id))]:
        holder.definition = {**holder.definition, "buurten": [payload + " buurt", "Zuid"]}
        flag_modified(holder, "definition")
    db.session.commit()
    reply = coordinator.get(url(campaign, "/make-up.csv"))
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    cells = [cell for row in csv.reader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff")))
             for cell in row]
    assert "'" + payload + " buurt" in cells
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []


def language_section(coordinator, campaign) -> str:
    html = coordinator.get(url(campaign), query_string=ENGLISH).get_data(as_text=True)
    section = html[html.index('id="reach-language"'):]
    return section[:section.index("</section>")]


def test_the_report_lists_the_campaigns_languages_not_all_twelve(coordinator, campaign, heard):
    """Issue 12: a four-language campaign listed every language the app speaks."""
    section = language_section(coordinator, campaign)
    assert all(name in section for name in ("Dutch", "English", "Turkish", "Arabic"))
    assert not [name for name in ("Somali", "Tigrinya", "Polish", "Frisian", "Papiamento") if name in section]


def test_a_language_with_an_entered_share_is_listed_with_the_advice_to_add_it(coordinator, campaign, heard):
    body = b"dimensie;groep;aandeel\ntaal;so;25\ntaal;nl;75\n"
    reply = coordinator.client.post(url(campaign, "/upload"), data={
        "csrf_token": coordinator.csrf_token(), "unit": "percent", "file": (io.BytesIO(body), "cbs.csv")},
        content_type="multipart/form-data")
    assert reply.status_code == 303, reply.get_data(as_text=True)[:1500]
    section = language_section(coordinator, campaign)
    assert "Somali" in section and "Tigrinya" not in section


def test_the_report_breaks_respondents_down_by_source(coordinator, client, auth, campaign, flyer):
    """Door-to-door answers count for the route a phone answered for, flyer answers for their flyer; a source
    with fewer than the minimum is shown only as such (issue 12, section 4)."""
    route = db.session.scalars(select(Source).where(Source.campaign_id == campaign.id,
                                                    Source.kind == "door_to_door")).one()
    bodies = crowd(campaign, [(34, {"buurt": "Noord"})])
    for body in bodies[:20]:
        body["source"] = route.code
    for body in bodies[20:32]:
        body["source"] = flyer.code
    sync(client, auth, bodies)

    def rows():
        html = coordinator.get(url(campaign), query_string=ENGLISH).get_data(as_text=True)
        table = html[html.index('id="reach-sources-table"'):]
        return re.findall(r'<th scope="row" dir="auto">([^<]+)</th><td>([^<]+)</td>', table[:table.index("</table>")])

    # 2 without a source: "fewer than 10", and the flyer's 12 hidden too, or 34 - 20 would tell the 2
    assert rows() == [("Deur-aan-deur team 1", "20"), (flyer.name, NOT_SHOWN), ("No flyer or team", "fewer than 10")]
    sync(client, auth, [dict(body, id=str(uuid7()), source=flyer.code)
                        for body in crowd(campaign, [(10, {"buurt": "Zuid"})])])
    # now the flyer is the bigger one (shown first), and the smaller route is the one hidden with the 2
    assert rows() == [(flyer.name, "22"), ("Deur-aan-deur team 1", NOT_SHOWN), ("No flyer or team", "fewer than 10")]
