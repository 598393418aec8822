"""Form plumbing (dotted names, numbered rows, errors at their fields); no posted form breaks a page."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields
from werkzeug.datastructures import MultiDict

from server.forms import Rows, error_paths, field_value, form_data, load_form


def test_dotted_names_become_nested_data_without_empty_fields():
    form = MultiDict([("title.nl", " Hallo "), ("title.en", ""), ("choices.0.label.nl", "A"),
                      ("choices.3.label.nl", "B"), ("languages", "nl"), ("languages", "en"),
                      ("csrf_token", "x")])
    assert form_data(("languages",), form) == {
        "title": {"nl": "Hallo"}, "choices": {"0": {"label": {"nl": "A"}}, "3": {"label": {"nl": "B"}}},
        "languages": ["nl", "en"]}


def test_clashing_and_odd_names_are_ignored():
    form = MultiDict([("a", "1"), ("a.b", "2"), ("c.d", "3"), ("c", "4"), ("e..f", "5"), ("g.<script>", "6"),
                      ("h." + "x" * 65, "7")])
    assert form_data((), form) == {"a": "1", "c": {"d": "3"}}


class Row(Schema):
    name = fields.String(required=True)


class Table(Schema):
    rows = Rows(Row(), max_rows=3)


def test_rows_load_in_order_and_errors_keep_the_forms_row_numbers():
    assert Table().load({"rows": {"7": {"name": "b"}, "2": {"name": "a"}}}) == {"rows": [(2, {"name": "a"}),
                                                                                        (7, {"name": "b"})]}
    _values, errors = load_form(Table(), {"rows": {"2": {"name": "a"}, "7": {}}})
    assert list(errors) == ["rows.7.name"]
    _values, errors = load_form(Table(), {"rows": {str(n): {"name": "x"} for n in range(4)}})
    assert list(errors) == ["rows"]
    _values, errors = load_form(Table(), {"rows": "not rows"})
    assert list(errors) == ["rows"]


def test_dict_field_errors_name_the_key():
    class Texts(Schema):
        text = fields.Dict(keys=fields.String(), values=fields.String())

    assert error_paths(Texts().validate({"text": {"nl": 5}})) == {"text.nl": ["Not a valid string."]}


def test_field_value_reads_flat_and_nested_values():
    assert field_value({"title.nl": "A"}, "title.nl") == "A"
    assert field_value({"choices": {"0": {"label": {"nl": "B"}}}}, "choices.0.label.nl") == "B"
    assert field_value({"choices": [{"key": "c"}]}, "choices.0.key") == "c"
    assert field_value({"a": None}, "a", "-") == "-"
    assert field_value({}, "a.b.c", "-") == "-"


# --- nothing a browser can post breaks a page -------------------------------------------------------

NAMES = st.sampled_from([
    "type", "key", "text.nl", "text.en", "text.xx", "required", "voice", "min", "max", "max_length",
    "revision", "more_rows", "choices", "choices.0", "choices.0.key", "choices.0.label.nl",
    "choices.0.pictogram", "choices.1.label.nl", "choices.99.label.nl", "choices.x.label.nl",
    "choices.0.remove", "choices.0.emoji", "languages", "default_language", "buurten", "ask_age_bracket",
    "title", "title.nl", "team", "name", "kind", "langs", "questions.wonen.text.nl", "intro.nl", "label",
    "direction",
])
VALUES = st.one_of(st.text(max_size=30), st.sampled_from([
    "", "1", "-5", "99999999999999999999", "nl", "en", "single_choice", "number", "voice", "only", "bus",
    "\x00", "1e3", "yes_no"]))
FORMS = st.lists(st.tuples(NAMES, VALUES), max_size=14)
PAGES = ["/new-question", "/questions/missen", "/settings", "/texts", "/sources", "/questions/wonen/move",
         "/publish", "/languages/en/remove"]


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), form=FORMS)
def test_no_posted_form_causes_a_server_error(web, make_user, team, campaign, page, form):
    if not hasattr(web, "signed_in"):
        web.sign_in_as(make_user("coordinator", [team]))
        web.signed_in = True
    data = MultiDict(form)
    data["csrf_token"] = web.csrf_token()
    reply = web.client.post(f"/workspace/campaigns/{campaign.id}{page}", data=data)
    assert reply.status_code in (200, 303, 404, 409, 422), reply.get_data(as_text=True)[:400]


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=FORMS)
def test_no_posted_new_campaign_or_phone_form_causes_a_server_error(web, make_user, team, form):
    if not hasattr(web, "signed_in"):
        web.sign_in_as(make_user("coordinator", [team]))
        web.signed_in = True
    for path in ("/workspace/campaigns/new", "/workspace/devices/enrol", "/workspace/language"):
        data = MultiDict(form)
        data["csrf_token"] = web.csrf_token()
        reply = web.client.post(path, data=data)
        assert reply.status_code in (200, 303, 403, 404, 422), reply.get_data(as_text=True)[:400]


@pytest.mark.parametrize("path, data, field", [
    ("/sources", {"name": "Bieb\x00"}, "name"),
    ("/texts", {"langs": "nl", "title.nl": "Titel\x00"}, "title.nl"),
    ("/new-question", {"type": "yes_no", "text.nl": "Vraag?", "text.en": "\x00"}, "text.en"),
])
def test_text_postgresql_cannot_store_is_refused_at_its_field(web, make_user, team, campaign, path, data,
                                                              field):
    web.sign_in_as(make_user("coordinator", [team]))
    reply = web.post(f"/workspace/campaigns/{campaign.id}{path}", data)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    assert "Deze tekst bevat een teken dat niet kan worden opgeslagen." in html
    assert f'id="f-{field.replace(".", "-")}-error"' in html


def test_sign_in_with_a_nul_character_is_a_form_error(web):
    reply = web.post("/workspace/sign-in", {"email": "a\x00@example.org", "password": "x"})
    assert reply.status_code == 422


@pytest.mark.parametrize("token", ["é" * 43, "\x00", "x" * 5000])
def test_odd_csrf_tokens_are_refused_not_crashed_on(web, token):
    reply = web.post("/workspace/language", {"lang": "en", "csrf_token": token})
    assert reply.status_code == 400
    reply = web.client.post("/workspace/language", data={"lang": "en"}, headers={"X-CSRF-Token": token[:100]})
    assert reply.status_code == 400
