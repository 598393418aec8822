"""Themes (issue 13): the codebook, fragments that keep their words, bulk attach with undo, suggestions, counts
with small-group suppression, quotes with warnings and two-person approval, erasure, exports."""

import csv
import io
import uuid
import zipfile

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.privacy.models import AuditEvent
from server.responses.models import Answer, Response
from server.themes.models import Quote, Theme, ThemeBatch, ThemeLink
from tests.results_data import crowd, forget_locale_between_requests, resident, sync

LIGHT = "De straatverlichting is kapot bij de speeltuin, het is donker"
LAMPS = "Sokak lambaları yanmıyor, akşam karanlık"


@pytest.fixture(autouse=True)
def _locale_per_request(app):
    forget_locale_between_requests(app)


@pytest.fixture
def people(make_user, team, web_as):
    """Two coordinators, an admin and a field worker of the demo team, each with a signed-in browser."""
    users = {role: make_user(role.rstrip("2"), [team]) for role in ("coordinator", "coordinator2", "admin",
                                                                     "field_worker")}
    for user in users.values():
        user.language = "en"  # the pages in English, whatever the catalogs say
    db.session.commit()
    return {role: (user, web_as(user)) for role, user in users.items()}


@pytest.fixture
def heard(client, auth, campaign):
    """12 Dutch residents about street lights (over two weeks), 3 Turkish about lamps, 5 about something else."""
    bodies = [resident(campaign, day=day, idee=LIGHT, receipt="WISMIJ2345" if day == 0 else None)
              for day in range(12)]
    bodies += crowd(campaign, [(3, {"language": "tr", "idee": LAMPS}),
                               (5, {"idee": "Meer bankjes en groen in het park"})])
    sync(client, auth, bodies)
    return bodies


def base(campaign) -> str:
    return f"/workspace/campaigns/{campaign.id}"


def make_theme(browser, campaign, nl="Straatverlichting", **texts) -> Theme:
    reply = browser.post(f"{base(campaign)}/themes", {"name.nl": nl, "colour": "#aa3300", **texts})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:800]
    return db.session.scalar(select(Theme).order_by(Theme.id.desc()))


def idee_answer(response_id) -> Answer:
    return db.session.scalar(select(Answer).where(Answer.response_id == uuid.UUID(str(response_id)),
                                                  Answer.question_key == "idee"))


def links(**where) -> int:
    return db.session.scalar(select(func.count()).select_from(ThemeLink).filter_by(**where))


# --- the codebook --------------------------------------------------------------------------------------

def test_codebook_crud_in_every_campaign_language(people, campaign, backend):
    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign, **{"name.ar": "إنارة الشوارع", "description.nl": "Lampen, donker",
                                             "name.pl": "nie een campagnetaal"})
    assert theme.name == {"nl": "Straatverlichting", "ar": "إنارة الشوارع"}  # only the campaign's languages
    assert theme.colour == "#aa3300"
    page = browser.get(f"{base(campaign)}/themes").get_data(as_text=True)
    assert "Straatverlichting" in page and "Lampen, donker" in page
    missing = browser.post(f"{base(campaign)}/themes", {"name.tr": "Işık", "colour": "#000000"})
    assert missing.status_code == 422 and db.session.scalar(select(func.count()).select_from(Theme)) == 1
    bad_colour = browser.post(f"{base(campaign)}/themes", {"name.nl": "Groen", "colour": "red"})
    assert bad_colour.status_code == 422
    assert browser.post(f"{base(campaign)}/themes/{theme.id}", {"name.nl": "Licht", "colour": "#112233"}
                        ).status_code == 303
    db.session.expire_all()
    assert db.session.get(Theme, theme.id).name == {"nl": "Licht"}
    assert browser.post(f"{base(campaign)}/themes/{theme.id}/delete").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Theme)) == 0


def test_field_workers_read_the_codebook_but_do_not_change_it(people, campaign, backend):
    _user, coordinator = people["coordinator"]
    theme = make_theme(coordinator, campaign)
    _worker, field = people["field_worker"]
    assert "Straatverlichting" in field.get(f"{base(campaign)}/themes").get_data(as_text=True)
    assert field.post(f"{base(campaign)}/themes/{theme.id}", {"name.nl": "X"}).status_code == 403


# --- fragments -------------------------------------------------------------------------------------------

def test_a_fragment_keeps_its_exact_words(people, campaign, heard, backend):
    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign)
    response_id = heard[0]["id"]
    answer = idee_answer(response_id)
    start = LIGHT.index("straatverlichting")
    url = f"{base(campaign)}/responses/{response_id}/themes"
    reply = browser.post(url, {"theme": theme.id, "source": f"answer:{answer.id}", "words": "straatverlichting",
                               "start": start, "end": start + len("straatverlichting")})
    assert reply.status_code == 303
    link = db.session.scalar(select(ThemeLink))
    assert (link.source_kind, link.start_offset, link.quoted_text) == ("answer", start, "straatverlichting")
    # typed words without offsets are found in the text; words that are not there are refused
    assert browser.post(url, {"theme": theme.id, "source": f"answer:{answer.id}", "words": "donker"}
                        ).status_code == 303
    assert db.session.scalar(select(ThemeLink.start_offset).where(ThemeLink.quoted_text == "donker")) == \
        LIGHT.index("donker")
    assert browser.post(url, {"theme": theme.id, "source": f"answer:{answer.id}", "words": "fietsen"}
                        ).status_code == 422
    # another response's answer is not a source of this one
    other = idee_answer(heard[1]["id"])
    assert browser.post(url, {"theme": theme.id, "source": f"answer:{other.id}"}).status_code == 422
    page = browser.get(f"/workspace/campaigns/{campaign.id}/responses/{response_id}").get_data(as_text=True)
    assert 'data-fragment-source="answer:' in page and "straatverlichting</q>" in page


def test_fragments_follow_an_edited_transcript_or_come_loose(people, campaign, voiced_response, backend):
    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign)
    response_id, note_id = voiced_response
    transcript_url = f"{base(campaign)}/voice-notes/{note_id}/transcript"
    browser.post(transcript_url, {"transcript": "Lambalar yanmıyor, çok karanlık."})
    assert browser.post(f"{base(campaign)}/responses/{response_id}/themes",
                        {"theme": theme.id, "source": f"transcript:{note_id}", "words": "çok karanlık"}
                        ).status_code == 303
    link = db.session.scalar(select(ThemeLink))
    assert link.start_offset == 19
    browser.post(transcript_url, {"transcript": "Sokak lambaları yanmıyor, çok karanlık."})
    db.session.expire_all()
    assert (link.start_offset, link.end_offset) == (26, 38)  # the same words, found again
    browser.post(transcript_url, {"transcript": "Sokak lambaları yanmıyor."})
    db.session.expire_all()
    assert link.start_offset is None and link.quoted_text == "çok karanlık"  # detached, words kept
    assert links(theme_id=theme.id) == 1  # the theme still counts for the response


# --- in bulk ---------------------------------------------------------------------------------------------

def test_bulk_attach_counts_first_and_undo_takes_back_exactly_its_links(people, campaign, heard, backend):
    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign)
    first_tr = next(body["id"] for body in heard if body["language"] == "tr")
    browser.post(f"{base(campaign)}/responses/{first_tr}/themes", {"theme": theme.id})  # by hand, before
    page = browser.get(f"{base(campaign)}/themes/bulk?language=tr&theme={theme.id}").get_data(as_text=True)
    assert "The filters match 3 responses." in page and "2 of them do not carry this theme yet." in page
    reply = browser.post(f"{base(campaign)}/themes/bulk", {"language": "tr", "theme": theme.id, "expected": 2})
    assert reply.status_code == 303
    batch = db.session.scalar(select(ThemeBatch))
    assert batch.added == 2 and batch.filters == {"language": "tr"}
    assert links(theme_id=theme.id) == 3
    # the inbox's filters decide, and nothing is added twice
    again = browser.post(f"{base(campaign)}/themes/bulk", {"language": "tr", "theme": theme.id})
    assert again.status_code == 303 and links(theme_id=theme.id) == 3
    assert browser.post(f"{base(campaign)}/themes/batches/{batch.id}/undo").status_code == 303
    db.session.expire_all()
    assert links(theme_id=theme.id) == 1  # the one attached by hand stays
    assert links(response_id=uuid.UUID(first_tr)) == 1
    assert "Undone" in browser.get(f"{base(campaign)}/themes/batches/{batch.id}").get_data(as_text=True)


def test_bulk_attach_refuses_when_the_count_changed(people, campaign, heard, backend):
    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign)
    reply = browser.post(f"{base(campaign)}/themes/bulk", {"language": "tr", "theme": theme.id, "expected": 7})
    assert reply.status_code == 409 and links() == 0
    assert browser.post(f"{base(campaign)}/themes/bulk", {"source": "abc", "theme": theme.id}).status_code == 422


# --- suggestions -----------------------------------------------------------------------------------------

def test_suggestions_are_stemmed_per_language_and_leave_covered_words_out(people, campaign, heard, backend):
    from server.themes.suggestions import campaign_suggestions, tokens

    assert [t[1] for t in tokens("de lampen", "nl") if t] == [t[1] for t in tokens("lamp", "nl") if t]
    assert tokens("het is", "nl") == []  # stop words
    found = campaign_suggestions(campaign.id)
    dutch = [s.words for s in found["nl"]]
    assert "straatverlichting" in dutch and "speeltuin" in dutch and "is" not in dutch and "de" not in dutch
    assert any(" " in words for words in dutch)  # two-word phrases
    assert "lambaları" in [s.words for s in found["tr"]]
    _user, browser = people["coordinator"]
    make_theme(browser, campaign, nl="Straatverlichting")
    page = browser.get(f"{base(campaign)}/themes").get_data(as_text=True)
    assert "q=speeltuin" in page  # opens the inbox's search for it
    still = [s.words for s in campaign_suggestions(campaign.id)["nl"]]
    assert "straatverlichting" not in still and "speeltuin" in still


# --- results ---------------------------------------------------------------------------------------------

def test_theme_counts_hide_small_groups(people, campaign, heard, backend):
    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign)
    small = make_theme(browser, campaign, nl="Bankjes")
    for body in heard:
        if body["answers"][-1]["value"] in (LIGHT, LAMPS):
            browser.post(f"{base(campaign)}/responses/{body['id']}/themes", {"theme": theme.id})
    for body in heard[-3:]:
        browser.post(f"{base(campaign)}/responses/{body['id']}/themes", {"theme": small.id})
    document = browser.get(f"{base(campaign)}/results.json?breakdown=language").json["themes"]
    rows = {row["label"]: row for row in document["rows"]}
    assert rows["Straatverlichting"]["total"] == 15 and rows["Straatverlichting"]["display"].startswith("15")
    assert rows["Bankjes"]["total"] is None and rows["Bankjes"]["display"] == "fewer than 10"
    groups = rows["Straatverlichting"]["groups"]
    assert groups["tr"] == "fewer than 10"
    assert "12" not in groups["nl"]  # 15 - 12 would give the small group away
    assert all("3" not in value for value in rows["Bankjes"]["over_time"].values())
    page = browser.get(f"{base(campaign)}/results").get_data(as_text=True)
    assert 'id="themes-table"' in page and "Themes residents raised" in page


# --- quotes ----------------------------------------------------------------------------------------------

def quoted(people, campaign, heard, words="straatverlichting") -> Quote:
    user, browser = people["coordinator"]
    theme = make_theme(browser, campaign, **{"name.ar": "إنارة الشوارع"})
    response_id = heard[0]["id"]
    browser.post(f"{base(campaign)}/responses/{response_id}/themes",
                 {"theme": theme.id, "source": f"answer:{idee_answer(response_id).id}", "words": words})
    link = db.session.scalar(select(ThemeLink))
    reply = browser.post(f"{base(campaign)}/responses/{response_id}/themes/{link.id}/quote")
    assert reply.status_code == 303
    quote = db.session.scalar(select(Quote))
    assert quote.texts == {"nl": words} and quote.marked_by == user.id
    return quote


def go_online(browser, campaign) -> str:
    from server.reporting.models import PublicReport

    browser.post(f"{base(campaign)}/report/texts", {"next_steps.nl": "We repareren de lampen."})
    assert browser.post(f"{base(campaign)}/report/publish").status_code == 303
    return db.session.get(PublicReport, campaign.id).code


def test_quote_needs_a_second_person_and_is_then_public_in_arabic(people, client, campaign, heard, backend):
    quote = quoted(people, campaign, heard, "De straatverlichting is kapot bij de speeltuin")
    _user, marker = people["coordinator"]
    code = go_online(marker, campaign)
    arabic = "إنارة الشارع معطلة بجانب الملعب"
    assert marker.post(f"{base(campaign)}/quotes/{quote.id}", {"texts.nl": quote.texts["nl"], "texts.ar": arabic}
                       ).status_code == 303
    refused = marker.post(f"{base(campaign)}/quotes/{quote.id}/approve")
    assert refused.status_code == 409 and "Another coordinator or an admin" in refused.get_data(as_text=True)
    assert arabic not in client.get(f"/r/{code}?lang=ar").get_data(as_text=True)
    second_user, second = people["coordinator2"]
    assert second.post(f"{base(campaign)}/quotes/{quote.id}/approve").status_code == 303
    db.session.expire_all()
    assert quote.approved_by == second_user.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "publish_quote"))
    assert event.object_id == str(quote.id) and "straat" not in str(event.details)
    page = client.get(f"/r/{code}?lang=ar")
    body = page.get_data(as_text=True)
    assert arabic in body and "إنارة الشوارع" in body and page.headers["Cache-Control"] == "no-store"
    assert "De straatverlichting is kapot" in client.get(f"/r/{code}?lang=nl").get_data(as_text=True)
    # a change to its words asks for approval again
    marker.post(f"{base(campaign)}/quotes/{quote.id}", {"texts.nl": "Anders", "texts.ar": arabic})
    db.session.expire_all()
    assert quote.approved_at is None and arabic not in client.get(f"/r/{code}?lang=ar").get_data(as_text=True)


def test_the_admin_may_approve_and_the_editor_warns(people, campaign, heard, backend):
    quote = quoted(people, campaign, heard)
    _user, marker = people["coordinator"]
    marker.post(f"{base(campaign)}/quotes/{quote.id}", {"texts.nl": "Bij Kerkstraat 12 zegt Ahmed dat het donker is"})
    page = marker.get(f"{base(campaign)}/quotes").get_data(as_text=True)
    assert "It contains a number" in page and "like an address" in page and "a name?" in page
    _admin, admin = people["admin"]
    assert admin.post(f"{base(campaign)}/quotes/{quote.id}/approve").status_code == 303
    _worker, field = people["field_worker"]
    assert field.get(f"{base(campaign)}/quotes").status_code == 200
    assert field.post(f"{base(campaign)}/quotes/{quote.id}/approve").status_code == 403


def test_quote_warnings_per_script():
    from server.themes.quotes import quote_warnings

    assert quote_warnings("Het is donker. Heel donker.") == []
    assert quote_warnings("Mijn buurman Ahmed zegt het ook") == ["name"]
    assert quote_warnings("Sokak lambaları yanmıyor, Atatürk caddesi karanlık") == ["address", "name"]
    assert quote_warnings("الإنارة ضعيفة") == []  # no capitals in Arabic script: no name check
    assert quote_warnings("Ik ben 83 jaar") == ["number"]


def test_erasure_removes_fragments_and_quotes_from_the_public_page_at_once(people, client, campaign, heard,
                                                                           backend):
    quote = quoted(people, campaign, heard, "De straatverlichting is kapot")
    _user, marker = people["coordinator"]
    code = go_online(marker, campaign)
    people["coordinator2"][1].post(f"{base(campaign)}/quotes/{quote.id}/approve")
    assert "De straatverlichting is kapot" in client.get(f"/r/{code}").get_data(as_text=True)
    assert client.post("/api/v1/erasure", json={"receipt": "WISMIJ2345"}).json == {"erased": 1}
    db.session.expire_all()
    assert db.session.get(Response, uuid.UUID(heard[0]["id"])) is None
    assert db.session.scalar(select(func.count()).select_from(Quote)) == 0 and links() == 0
    assert "De straatverlichting is kapot" not in client.get(f"/r/{code}").get_data(as_text=True)


# --- exports ---------------------------------------------------------------------------------------------

def test_exports_carry_theme_columns_the_codebook_and_the_quotes(people, campaign, heard, backend):
    quote = quoted(people, campaign, heard)
    _user, browser = people["coordinator"]
    formula = make_theme(browser, campaign, nl="=HYPERLINK(1)")
    reply = browser.post(f"{base(campaign)}/export.csv")
    rows = list(csv.DictReader(io.StringIO(reply.get_data(as_text=True)[1:])))
    theme_column = f"theme_{quote.link.theme_id}_Straatverlichting"
    assert rows[0][theme_column] in ("1", "")
    assert sum(row[theme_column] == "1" for row in rows) == 1
    assert f"'theme_{formula.id}_=HYPERLINK(1)" not in rows[0]  # the name sits inside the header, not first
    with zipfile.ZipFile(io.BytesIO(browser.post(f"{base(campaign)}/export.xlsx").get_data())) as book:
        workbook = book.read("xl/workbook.xml").decode()
        assert 'name="codebook"' in workbook and 'name="quotes"' in workbook
        sheets = "".join(book.read(name).decode() for name in book.namelist() if name.startswith("xl/worksheets/"))
        assert "straatverlichting" in sheets and "name_nl" in sheets
    with zipfile.ZipFile(io.BytesIO(browser.post(f"{base(campaign)}/export.zip").get_data())) as archive:
        codebook = archive.read("codebook.csv").decode()
        quotes = archive.read("quotes.csv").decode()
    assert "Straatverlichting" in codebook and "'=HYPERLINK(1)" in codebook
    assert "straatverlichting" in quotes and str(heard[0]["id"]) in quotes
    record = browser.post(f"{base(campaign)}/export.json").json
    assert ["Straatverlichting"] in [r["themes"] for r in record]
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "export")) == 4


def test_retention_deletes_the_recording_and_keeps_the_transcripts_fragments(people, app, campaign,
                                                                               voiced_response, backend):
    from server.privacy.operations import apply_retention
    from server.voice.models import VoiceNote

    _user, browser = people["coordinator"]
    theme = make_theme(browser, campaign)
    response_id, note_id = voiced_response
    browser.post(f"{base(campaign)}/voice-notes/{note_id}/transcript", {"transcript": "Bankjes in het park"})
    browser.post(f"{base(campaign)}/responses/{response_id}/themes",
                 {"theme": theme.id, "source": f"transcript:{note_id}", "words": "Bankjes"})
    campaign.voice_retention_days = 0
    db.session.commit()
    assert apply_retention().by_campaign == {campaign.id: 1}
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(VoiceNote, note_id).audio_deleted_at is not None
    assert links(theme_id=theme.id, source_kind="transcript") == 1  # what was written down stays, as documented
