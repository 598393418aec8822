"""Which language a page speaks (explicit choice, stored preference, browser, campaign, Dutch), and how it
formats numbers and dates where CLDR lacks the language."""

import datetime
import re
import uuid

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import format_date, format_decimal, gettext
from sqlalchemy import select

from server import create_app
from server.campaigns.models import Source
from server.campaigns.operations import revoke_source
from server.extensions import db
from server.i18n import LANGUAGES, babel_locale, formatting_locale
from server.responses.models import Response
from tests.factories import flyer_body
from tests.languages_campaign import publish_every_language_campaign


def page_language(reply) -> tuple[str, str]:
    html = reply.get_data(as_text=True)
    return re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html).groups()


# --- the workspace -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query, cookie, accept, expected", [
    ("?lang=tr", "ar", "pl", "tr"),       # explicit choice first
    ("?lang=xx", "ar", "pl", "ar"),       # not a language: the stored preference
    ("", "ar", "pl", "ar"),
    ("", "xx", "pl-PL,pl;q=0.9", "pl"),   # then the browser's languages
    ("", None, "de-DE,fr;q=0.8", "nl"),   # then Dutch
    ("", None, "uk;q=0.5,ar-MA", "ar"),   # the browser's order by quality; ar-MA is Arabic
])
def test_workspace_language_comes_from_choice_then_cookie_then_browser_then_dutch(client, query, cookie, accept,
                                                                                    expected):
    if cookie:
        client.set_cookie("lang", cookie)
    reply = client.get(f"/workspace/sign-in{query}", headers={"Accept-Language": accept})
    assert reply.status_code == 200
    assert page_language(reply) == (expected, "rtl" if expected == "ar" else "ltr")


def test_a_coordinators_saved_language_beats_an_old_cookie_but_not_an_explicit_choice(web_as, make_user, team):
    user = make_user("coordinator", [team])
    user.language = "uk"
    db.session.commit()
    browser = web_as(user)
    browser.client.set_cookie("lang", "tr")  # set on another day, before the account's language changed
    assert page_language(browser.get("/workspace/", headers={"Accept-Language": "pl"})) == ("uk", "ltr")
    assert page_language(browser.get("/workspace/?lang=ar")) == ("ar", "rtl")
    user.language = None
    db.session.commit()
    assert page_language(browser.get("/workspace/", headers={"Accept-Language": "pl"})) == ("tr", "ltr")


def test_switching_the_workspace_language_stores_it_for_the_account_and_in_the_cookie(web_as, make_user, team):
    user = make_user("coordinator", [team])
    browser = web_as(user)
    reply = browser.post("/workspace/language", {"lang": "pl", "next": "/workspace/"})
    assert reply.status_code == 303 and "lang=pl" in reply.headers["Set-Cookie"]
    assert user.language == "pl"
    assert page_language(browser.get("/workspace/")) == ("pl", "ltr")


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_every_language_renders_workspace_pages(client, code):
    """Flask-Babel parses the request's locale; Sranan Tongo, which CLDR lacks, must not break a page."""
    reply = client.get(f"/workspace/sign-in?lang={code}")
    assert reply.status_code == 200
    assert page_language(reply) == (code, LANGUAGES[code].direction)


# --- a campaign's own pages --------------------------------------------------------------------------

@pytest.fixture
def closed_flyer(campaign):
    """A revoked flyer of the demo's four-language campaign (nl, en, tr, ar; main language Dutch)."""
    source = db.session.scalars(select(Source).where(Source.campaign_id == campaign.id, Source.kind == "flyer")).first()
    revoke_source(source)
    db.session.commit()
    return source


@pytest.mark.parametrize("query, cookie, accept, expected", [
    ("?lang=en", "ar", "tr", "en"),
    ("?lang=pl", "ar", "tr", "ar"),   # Polish is not a language of this campaign: passed over
    ("", "pl", "tr", "tr"),
    ("", None, "pl-PL,pl", "nl"),     # none of the browser's languages: the campaign's main language
])
def test_a_closed_flyer_speaks_one_of_its_campaigns_languages(client, closed_flyer, query, cookie, accept, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    reply = client.get(f"/f/{closed_flyer.code}{query}", headers={"Accept-Language": accept})
    assert reply.status_code == 410
    assert page_language(reply)[0] == expected


def test_a_campaign_page_falls_back_to_the_campaigns_main_language_not_dutch(client, app):
    campaign, source = publish_every_language_campaign(default_language="en")
    campaign.definition = {**campaign.definition, "languages": ["en", "ar"]}
    revoke_source(source)
    db.session.commit()
    reply = client.get(f"/f/{source.code}", headers={"Accept-Language": "pl"})
    assert page_language(reply) == ("en", "ltr")
    assert "This poll has closed." in reply.get_data(as_text=True)
    reply = client.get(f"/f/{source.code}", headers={"Accept-Language": "ar-EG"})
    assert page_language(reply) == ("ar", "rtl")


def test_api_errors_speak_the_apps_language(client):
    reply = client.get("/api/v1/sources/NOPE99", headers={"Accept-Language": "nl"})
    assert reply.status_code == 404 and reply.json["error"]["message"] == "Deze flyercode is niet bekend."
    reply = client.get("/api/v1/sources/NOPE99", headers={"Accept-Language": "en"})
    assert reply.json["error"]["message"] == "This flyer code is not known."


def test_the_language_a_resident_answered_in_is_stored_with_the_response(client, campaign, flyer):
    body = flyer_body(campaign, flyer, language="ar", receipt="K7M2QXH4PA")
    reply = client.post("/api/v1/sync", json={"responses": [body]})
    assert reply.status_code == 200, reply.json
    assert db.session.get(Response, uuid.UUID(body["id"])).language == "ar"


# --- formatting --------------------------------------------------------------------------------------

@pytest.mark.parametrize("code, expected", [("srn", "nl"), ("pap", "nl"), ("rif", "nl"), ("nl", "nl"),
                                            ("tr", "tr"), ("ar", "ar"), ("ti", "ti"), ("xx", "nl")])
def test_formatting_locale_falls_back_as_documented(code, expected):
    assert str(formatting_locale(code)) == expected


def test_a_language_cldr_lacks_uses_its_own_catalog_with_dutch_formats(app, tmp_path):
    """Sranan Tongo: its words from the `srn` catalog, its dates and numbers the Dutch way."""
    folder = tmp_path / "srn" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale=None)
    catalog.add("Sign in", "Kon na inisei")
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    srn_app = create_app({**app.config, "BABEL_TRANSLATION_DIRECTORIES": str(tmp_path)})
    with srn_app.test_request_context("/?lang=srn"):
        assert gettext("Sign in") == "Kon na inisei"
        assert format_date(datetime.date(2026, 3, 5), "long") == "5 maart 2026"
        assert format_decimal(1234.5) == "1.234,5"
    assert str(babel_locale("srn")) == "srn" and babel_locale("srn").character_order == "left-to-right"
    with app.test_request_context("/?lang=srn"):  # the first app's one-message catalog is its own alone
        assert gettext("This is what you told us") == "Disi na san unu taki gi wi"


def test_arabic_numbers_keep_latin_digits(app):
    with app.test_request_context("/?lang=ar"):
        assert format_decimal(1234.5) == "1,234.5"
        assert babel_locale("ar").character_order == "right-to-left"
