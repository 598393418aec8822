"""Writing a campaign in the workspace: forms, translations, questions, prompts, preview and publishing."""

import io
import uuid

import pytest
from sqlalchemy import func, select

from server.campaigns.models import Campaign, CampaignVersion
from server.campaigns.operations import campaign_document, published_version
from server.extensions import db
from server.voicepacks.models import Clip
from server.voicepacks.operations import text_hash
from tests.factories import wav_bytes


@pytest.fixture
def coordinator(make_user, team):
    return make_user("coordinator", [team])


@pytest.fixture
def web_c(web, coordinator):
    return web.sign_in_as(coordinator)


def fresh(campaign) -> Campaign:
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


def versions(campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(CampaignVersion)
                             .where(CampaignVersion.campaign_id == campaign.id))


@pytest.fixture
def draft(web_c, team):
    """A new two-language draft made through the form."""
    reply = web_c.post("/workspace/campaigns/new", {"team": team.id, "title": "Groen in de wijk",
                                                    "default_language": "nl", "languages": ["nl", "en"]})
    assert reply.status_code == 303
    campaign_id = reply.headers["Location"].rsplit("/", 1)[-1]
    return db.session.get(Campaign, uuid.UUID(campaign_id))


def url(campaign, path=""):
    return f"/workspace/campaigns/{campaign.id}{path}"


def add_question(web, campaign, **fields):
    data = {"type": "single_choice", "text.nl": "Wat mis je?", "text.en": "What do you miss?",
            "choices.0.label.nl": "Bomen", "choices.0.label.en": "Trees", "choices.0.pictogram": "bus",
            "choices.1.label.nl": "Bankjes", "choices.1.label.en": "Benches", **fields}
    return web.post(url(campaign, "/new-question"), data)


# --- creating ----------------------------------------------------------------------------------------

def test_new_campaign_is_a_draft_in_the_chosen_languages(draft):
    assert draft.state == "draft" and draft.current_version == 0
    assert draft.definition["languages"] == ["nl", "en"]
    assert draft.definition["title"] == {"nl": "Groen in de wijk"}
    assert draft.definition["questions"] == []


def test_new_campaign_form_names_each_mistake(web_c, team):
    reply = web_c.post("/workspace/campaigns/new", {"team": team.id, "title": "", "default_language": "xx",
                                                    "languages": ["nl", "zz"]})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Vul dit veld in." in html
    assert html.count("Moet een van deze zijn:") == 4  # two mistakes, each in the summary and at its field
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1  # only the demo


def test_new_campaign_for_a_team_one_is_not_in_is_hidden(web_c, team):
    from server.teams.models import Team

    other = Team(slug="elders", name="Elders")
    db.session.add(other)
    db.session.commit()
    reply = web_c.post("/workspace/campaigns/new", {"team": other.id, "title": "X", "default_language": "nl"})
    assert reply.status_code == 404


# --- settings ----------------------------------------------------------------------------------------

def test_settings_drop_a_language_with_its_texts_and_keep_neighbourhoods(web_c, campaign):
    reply = web_c.post(url(campaign, "/settings"), {
        "languages": ["nl", "en", "tr"], "default_language": "nl", "buurten": "Noord\n\n Zuid \nNoord\nOost",
        "revision": fresh(campaign).updated_at.isoformat()})
    assert reply.status_code == 303
    definition = fresh(campaign).definition
    assert definition["languages"] == ["nl", "en", "tr"]
    assert "ar" not in definition["title"] and "ar" not in definition["questions"][1]["choices"][0]["label"]
    assert definition["buurten"] == ["Noord", "Zuid", "Oost"]
    assert definition["ask_age_bracket"] is False


def test_settings_refuse_a_main_language_that_is_not_chosen(web_c, campaign):
    before = fresh(campaign).definition
    reply = web_c.post(url(campaign, "/settings"), {"languages": ["en"], "default_language": "nl"})
    assert reply.status_code == 422
    assert "Moet een van deze zijn: en." in reply.get_data(as_text=True)
    assert fresh(campaign).definition == before


def test_settings_need_at_least_one_language(web_c, campaign):
    reply = web_c.post(url(campaign, "/settings"), {"default_language": "nl"})
    assert reply.status_code == 422
    assert "Kies minstens één taal." in reply.get_data(as_text=True)


def test_a_colleagues_change_in_between_is_not_overwritten(web_c, campaign):
    stale = fresh(campaign).updated_at.isoformat()
    assert web_c.post(url(campaign, "/texts"), {"langs": "nl", "title.nl": "Eerst"}).status_code == 303
    reply = web_c.post(url(campaign, "/texts"), {"langs": "nl", "title.nl": "Daarna", "revision": stale})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Iemand anders heeft deze campagne gewijzigd" in html
    assert 'value="Daarna"' in html  # what was typed is still in the form
    assert fresh(campaign).definition["title"]["nl"] == "Eerst"


# --- texts side by side ------------------------------------------------------------------------------

def test_texts_are_saved_per_shown_language_only(web_c, campaign):
    reply = web_c.post(url(campaign, "/texts"), {
        "langs": ["nl", "en"], "title.nl": "Nieuwe titel", "title.en": "",
        "questions.missen.choices.groen.label.en": "Parks", "intro.nl": "  Kort.  "})
    assert reply.status_code == 303
    definition = fresh(campaign).definition
    assert definition["title"] == {"nl": "Nieuwe titel", "tr": "Mahallemiz, sizin sesiniz", "ar": "حيّنا، صوتكم"}
    assert definition["intro"]["nl"] == "Kort."
    assert definition["questions"][1]["choices"][0]["label"]["en"] == "Parks"


def test_too_long_text_is_shown_at_its_field(web_c, campaign):
    reply = web_c.post(url(campaign, "/texts"), {"langs": ["nl", "tr"], "title.tr": "x" * 201})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Gebruik hoogstens 200 tekens." in html
    assert 'id="f-title-tr"' in html and 'aria-invalid="true"' in html


def test_texts_page_marks_what_is_missing(web_c, campaign):
    web_c.post(url(campaign, "/texts"), {"langs": ["nl", "tr"], "questions.veilig.text.tr": ""})
    html = web_c.get(url(campaign, "/texts?langs=nl&langs=tr")).get_data(as_text=True)
    assert "1 van 18 ontbreekt" in html
    assert html.count("nog te vertalen") == 1


# --- publishing --------------------------------------------------------------------------------------

def test_publishing_with_a_half_translated_language_is_refused_until_it_is_removed(web_c, draft):
    assert add_question(web_c, draft).status_code == 303
    web_c.post(url(draft, "/texts"), {"langs": "en", "questions.wat-mis-je.choices.bankjes.label.en": ""})
    reply = web_c.post(url(draft, "/publish"))
    html = reply.get_data(as_text=True)
    assert reply.status_code == 409
    assert "English" in html and "2 van 4 teksten nog te vertalen" in html
    assert versions(draft) == 0 and fresh(draft).state == "draft"
    assert web_c.post(url(draft, "/languages/en/remove")).status_code == 303
    assert web_c.post(url(draft, "/publish")).status_code == 303
    published = fresh(draft)
    assert published.state == "published" and published.current_version == 1
    assert published_version(published).definition["languages"] == ["nl"]


def test_publishing_needs_a_question(web_c, draft):
    reply = web_c.post(url(draft, "/publish"))
    assert reply.status_code == 409
    assert "Voeg minstens één vraag toe" in reply.get_data(as_text=True)
    assert versions(draft) == 0


def test_the_main_language_cannot_be_removed(web_c, campaign):
    reply = web_c.post(url(campaign, "/languages/nl/remove"))
    assert reply.status_code == 409
    assert "nl" in fresh(campaign).definition["languages"]


def test_an_intro_in_the_main_language_must_be_translated_too(web_c, draft):
    add_question(web_c, draft)
    web_c.post(url(draft, "/texts"), {"langs": ["nl", "en"], "title.en": "Green", "intro.nl": "Welkom!"})
    reply = web_c.post(url(draft, "/publish"))
    assert reply.status_code == 409
    web_c.post(url(draft, "/texts"), {"langs": ["en"], "intro.en": "Welcome!"})
    assert web_c.post(url(draft, "/publish")).status_code == 303


def test_changes_after_publishing_wait_for_the_next_version(web_c, campaign):
    overview = web_c.get(url(campaign)).get_data(as_text=True)
    assert "Versie 1 is gepubliceerd" in overview and "nog niet gepubliceerd" not in overview
    assert web_c.post(url(campaign, "/publish")).status_code == 303
    assert versions(campaign) == 1  # nothing changed, no new version
    web_c.post(url(campaign, "/texts"), {"langs": ["nl"], "title.nl": "Onze buurt!"})
    assert "nog niet gepubliceerd" in web_c.get(url(campaign)).get_data(as_text=True)
    assert published_version(fresh(campaign)).definition["title"]["nl"] == "Onze buurt, jouw stem"
    web_c.post(url(campaign, "/publish"))
    assert fresh(campaign).current_version == 2
    assert published_version(fresh(campaign)).definition["title"]["nl"] == "Onze buurt!"


def test_a_closed_campaign_cannot_be_changed(web_c, campaign):
    assert web_c.post(url(campaign, "/close")).status_code == 303
    assert fresh(campaign).state == "closed"
    for path in ("/settings", "/texts", "/new-question", "/questions/missen"):
        assert web_c.get(url(campaign, path)).status_code == 409
    reply = web_c.post(url(campaign, "/texts"), {"langs": "nl", "title.nl": "Toch"})
    assert reply.status_code == 409
    assert "gesloten" in reply.get_data(as_text=True)


# --- questions ---------------------------------------------------------------------------------------

def test_a_choice_question_with_pictograms_is_added_and_blank_rows_ignored(web_c, draft):
    reply = add_question(web_c, draft, **{"choices.3.label.nl": "", "choices.2.emoji": "",
                                          "required": "1", "voice": "off"})
    assert reply.status_code == 303
    question = fresh(draft).definition["questions"][0]
    assert question["key"] == "wat-mis-je" and question["required"] is True and question["voice"] == "off"
    assert [(c["key"], c["pictogram"]) for c in question["choices"]] == [("bomen", "bus"), ("bankjes", None)]
    assert reply.headers["Location"].endswith("/questions/wat-mis-je?saved=1")


@pytest.mark.parametrize("fields, field, message", [
    ({"text.nl": ""}, "text.nl", "Schrijf de vraag in het Nederlands"),
    ({"choices.1.label.nl": "", "choices.1.label.en": ""}, "choices", "Geef minstens twee keuzes."),
    ({"choices.1.label.nl": ""}, "choices.1.label.nl", "Geef deze keuze een naam, of vink Verwijderen aan."),
    ({"choices.0.pictogram": "unicorn"}, "choices.0.pictogram", "Kies een van de getoonde pictogrammen."),
    ({"type": "number", "min": "10", "max": "5"}, "min", "Het minimum ligt boven het maximum."),
    ({"type": "number", "min": "tien"}, "min", "Geen geldig geheel getal."),
    ({"type": "essay"}, "type", "Moet een van deze zijn:"),
    ({"key": "Met Spaties"}, "key", "Gebruik kleine letters"),
    ({"key": "missen"}, "key", "Een andere vraag gebruikt deze sleutel al."),
    ({"type": "yes_no", "voice": "only"}, "voice", "kies dan het soort Gesproken antwoord"),
    ({"text.en": "x" * 1001}, "text.en", "Gebruik hoogstens 1000 tekens."),
])
def test_question_form_explains_what_to_fix(web_c, campaign, fields, field, message):
    before = fresh(campaign).definition
    reply = add_question(web_c, campaign, **{"text.tr": "t", "text.ar": "a", **fields})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422, html[:300]
    assert message in html
    field_id = "f-" + field.replace(".", "-")
    assert f'href="#{field_id}"' in html
    assert fresh(campaign).definition == before


def test_editing_keeps_keys_and_prompts_and_removes_ticked_choices(web_c, campaign):
    definition = fresh(campaign).definition
    web_c.client.post(url(campaign, "/questions/missen/prompts/nl"), data={
        "csrf_token": web_c.csrf_token(), "file": (io.BytesIO(wav_bytes()), "p.wav")})
    form = {"type": "single_choice", "revision": fresh(campaign).updated_at.isoformat()}
    question = next(q for q in definition["questions"] if q["key"] == "missen")
    for language in definition["languages"]:
        form[f"text.{language}"] = question["text"][language]
    for number, choice in enumerate(question["choices"]):
        form[f"choices.{number}.key"] = choice["key"]
        for language, label in choice["label"].items():
            form[f"choices.{number}.label.{language}"] = label
    form["choices.0.remove"] = "1"
    form["text.nl"] = "Wat mis je het allermeest?"
    assert web_c.post(url(campaign, "/questions/missen"), form).status_code == 303
    saved = next(q for q in fresh(campaign).definition["questions"] if q["key"] == "missen")
    assert saved["text"]["nl"] == "Wat mis je het allermeest?"
    assert [c["key"] for c in saved["choices"]] == ["spelen", "bankjes", "licht"]
    prompt = db.session.scalars(select(Clip)).one()  # the recorded prompt stays, out of date with the new text
    assert prompt.key == "q:missen" and prompt.text_sha256 != text_hash("Wat mis je het allermeest?")
    assert "verouderd" in web_c.get(url(campaign, "/questions/missen")).get_data(as_text=True)


def test_more_rows_shows_the_form_again_without_saving(web_c, draft):
    reply = add_question(web_c, draft, more_rows="1")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert 'name="choices.5.label.nl"' in html and 'value="Bomen"' in html
    assert fresh(draft).definition["questions"] == []


def test_questions_move_and_delete(web_c, campaign):
    keys = lambda: [q["key"] for q in fresh(campaign).definition["questions"]]  # noqa: E731
    web_c.post(url(campaign, "/questions/wonen/move"), {"direction": "down"})
    assert keys()[:2] == ["missen", "wonen"]
    web_c.post(url(campaign, "/questions/missen/move"), {"direction": "up"})  # already first
    assert keys()[:2] == ["missen", "wonen"]
    assert web_c.post(url(campaign, "/questions/wonen/move"), {"direction": "sideways"}).status_code == 422
    web_c.post(url(campaign, "/questions/wonen/delete"))
    assert "wonen" not in keys()
    assert web_c.post(url(campaign, "/questions/wonen/delete")).status_code == 404


# --- prompts -----------------------------------------------------------------------------------------

def upload(web, campaign, data, key="missen", lang="en", name="prompt.wav"):
    """A multipart upload built in memory (the test client would spool a large one to an unclosed file)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    upload = FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")
    boundary, body = encode_multipart({"csrf_token": web.csrf_token(), "file": upload})
    return web.client.post(url(campaign, f"/questions/{key}/prompts/{lang}"), data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")


def test_a_prompt_is_stored_and_played_back_and_replaced(web_c, campaign):
    audio = wav_bytes(1.0)
    reply = upload(web_c, campaign, audio)
    assert reply.status_code == 303 and reply.headers["Location"].endswith("#prompt-en")
    first = db.session.scalars(select(Clip)).one()
    assert (first.key, first.language, first.campaign_id) == ("q:missen", "en", campaign.id)
    with web_c.get(f"/api/v1/clips/{first.id}") as played:
        assert played.status_code == 200 and played.data.startswith(b"OggS") and played.mimetype == "audio/ogg"
        assert 900 <= first.duration_ms <= 1100 and len(played.data) < len(audio)
    page = web_c.get(url(campaign, "/questions/missen")).get_data(as_text=True)
    assert f"/api/v1/clips/{first.id}" in page
    first_id = first.id
    upload(web_c, campaign, wav_bytes(0.5))
    second = db.session.scalars(select(Clip)).one()  # the new recording replaced the first
    assert second.id != first_id
    assert web_c.post(url(campaign, "/questions/missen/prompts/en/delete")).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Clip)) == 0


@pytest.mark.parametrize("data, status, message", [
    (b"", 422, "Kies of neem eerst een geluidsbestand op."),
    (b"%PDF-1.4 not audio at all" * 10, 422, "Dit is geen ondersteunde geluidsopname."),
], ids=["empty", "not-audio"])
def test_bad_prompt_uploads_are_refused_at_their_language(web_c, campaign, data, status, message):
    reply = upload(web_c, campaign, data)
    html = reply.get_data(as_text=True)
    assert reply.status_code == status
    assert message in html and 'id="f-prompt-en-error"' in html
    assert db.session.scalar(select(func.count()).select_from(Clip)) == 0


def test_a_recording_above_the_upload_limit_gets_a_page_not_a_crash(web_c, campaign):
    with upload(web_c, campaign, b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * (5 * 1024 * 1024)) as reply:
        assert reply.status_code == 413
        assert "Het bestand is te groot" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Clip)) == 0


def test_prompts_only_for_the_campaigns_languages_and_questions(web_c, campaign):
    assert upload(web_c, campaign, wav_bytes(), lang="pl").status_code == 404
    assert upload(web_c, campaign, wav_bytes(), key="nope").status_code == 404


# --- preview -----------------------------------------------------------------------------------------

def test_preview_document_has_the_published_shape_with_draft_texts(app, web_c, campaign):
    web_c.post(url(campaign, "/texts"), {"langs": ["nl"], "title.nl": "Nog niet gepubliceerd"})
    reply = web_c.get(url(campaign, "/preview.json"))
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    document = reply.json
    with app.test_request_context():
        published = campaign_document(published_version(fresh(campaign)))
    assert set(document) == set(published) | {"preview"}
    assert document["preview"] is True
    assert document["title"]["nl"] == "Nog niet gepubliceerd"
    assert document["questions"][1]["choices"][0]["pictogram_url"] == "/app/pictograms/tree.svg"


def test_preview_page_frames_the_field_app_in_the_chosen_language(web_c, campaign):
    html = web_c.get(url(campaign, "/preview?preview_lang=ar")).get_data(as_text=True)
    assert f'src="/app/#preview={campaign.id}&amp;lang=ar"' in html
    html = web_c.get(url(campaign, "/preview?preview_lang=xx")).get_data(as_text=True)
    assert f'src="/app/#preview={campaign.id}&amp;lang=nl"' in html


def test_the_field_app_may_be_framed_by_the_workspace_only(client, tmp_path, monkeypatch):
    import server.pwa_views as pwa_views

    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    monkeypatch.setattr(pwa_views, "PWA_DIR", tmp_path)
    with client.get("/app/") as shell:
        assert "frame-ancestors 'self'" in shell.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get("/workspace/sign-in").headers["Content-Security-Policy"]
