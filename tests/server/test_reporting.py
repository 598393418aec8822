"""Reporting back: the public results page, its texts, its QR code, its privacy and its rate limit."""

import io

import pytest
import zxingcpp
from PIL import Image

from server.extensions import db
from server.reporting.models import PublicReport
from tests.results_data import crowd, forget_locale_between_requests, sync


@pytest.fixture(autouse=True)
def _locale_per_request(app):
    forget_locale_between_requests(app)


@pytest.fixture
def coordinator(make_user, team, web_as):
    return web_as(make_user("coordinator", [team]))


@pytest.fixture
def heard(client, auth, campaign):
    """40 residents; only three chose "bankjes", and only four answered in Arabic."""
    sync(client, auth, crowd(campaign, [
        (20, {"missen": "groen", "veilig": "yes", "idee": "Een geheim idee van Fatma"}),
        (13, {"missen": "licht", "veilig": "no", "language": "tr"}),
        (3, {"missen": "bankjes", "veilig": "yes"}),
        (4, {"missen": "spelen", "veilig": "no", "language": "ar"}),
    ]))


def settings_url(campaign, path=""):
    return f"/workspace/campaigns/{campaign.id}/report{path}"


def go_online(coordinator, campaign, texts=None) -> PublicReport:
    texts = texts or {"next_steps.nl": "We zetten in het voorjaar bankjes neer.\n\nIn mei praten we verder.",
                      "next_steps.tr": "İlkbaharda banklar koyuyoruz."}
    assert coordinator.post(settings_url(campaign, "/texts"), texts).status_code == 303
    assert coordinator.post(settings_url(campaign, "/publish")).status_code == 303
    return db.session.get(PublicReport, campaign.id)


def test_the_page_is_offline_until_published(coordinator, client, campaign, heard):
    coordinator.get(settings_url(campaign))
    report = db.session.get(PublicReport, campaign.id)
    assert report.published_at is None and len(report.code) == 8
    reply = client.get(f"/r/{report.code}")
    assert reply.status_code == 404 and reply.mimetype == "text/html"
    go_online(coordinator, campaign)
    assert client.get(f"/r/{report.code.lower()}").status_code == 200  # typed by hand, any case
    assert coordinator.post(settings_url(campaign, "/unpublish")).status_code == 303
    assert client.get(f"/r/{report.code}").status_code == 404


def test_publishing_needs_the_next_steps_in_the_main_language(coordinator, campaign, heard):
    coordinator.post(settings_url(campaign, "/texts"), {"next_steps.tr": "Sadece Türkçe"})
    reply = coordinator.post(settings_url(campaign, "/publish") + "?lang=en")
    assert reply.status_code == 409
    assert "at least in the campaign&#39;s main language" in reply.get_data(as_text=True)
    assert db.session.get(PublicReport, campaign.id).published_at is None


def test_texts_are_checked(coordinator, campaign):
    reply = coordinator.post(settings_url(campaign, "/texts") + "?lang=en", {"next_steps.nl": "x" * 3001})
    assert reply.status_code == 422
    assert "Use at most 3000 characters." in reply.get_data(as_text=True)
    reply = coordinator.post(settings_url(campaign, "/texts"), {"next_steps.xx": "?"})
    assert reply.status_code == 422
    coordinator.post(settings_url(campaign, "/texts"), {"next_steps.pl": "Nie w kampanii", "next_steps.nl": " Ja "})
    assert db.session.get(PublicReport, campaign.id).next_steps == {"nl": "Ja"}  # Polish is not a campaign language


def test_the_public_page_shows_totals_only(coordinator, client, campaign, heard):
    report = go_online(coordinator, campaign)
    reply = client.get(f"/r/{report.code}")
    html = reply.get_data(as_text=True)
    assert reply.headers["Cache-Control"] == "public, max-age=60"
    assert "<h1>Dit hebben jullie gezegd</h1>" in html
    assert "40 bewoners antwoordden tussen 1 oktober 2026 en 1 oktober 2026. Dank je wel!" in html
    missen = html[html.index('id="q-missen-table"'):]
    missen = missen[:missen.index("</table>")]
    # groen 20 (50 %). bankjes (3) and spelen (4) are small; together 7, so the smallest other one, licht (13),
    # is hidden too: else 40 - 20 - 13 would give their sum away
    assert "20 (50%)" in missen
    assert missen.count("minder dan 10") == 2
    assert missen.count("niet getoond, zodat kleinere aantallen niet zijn uit te rekenen") == 1
    assert ">13 (" not in missen and ">3 (" not in missen and ">4 (" not in missen
    assert "Een geheim idee van Fatma" not in html  # no one's own words
    assert "/voice" not in html and "<audio" not in html
    assert "We zetten in het voorjaar bankjes neer." in html and "In mei praten we verder." in html


def test_too_few_answers_show_no_results(coordinator, client, auth, campaign):
    sync(client, auth, crowd(campaign, [(9, {})]))
    report = go_online(coordinator, campaign)
    html = client.get(f"/r/{report.code}").get_data(as_text=True)
    assert 'id="q-' not in html
    assert "We zetten in het voorjaar bankjes neer." in html


def test_the_page_speaks_the_visitors_language(coordinator, client, campaign, heard):
    report = go_online(coordinator, campaign)
    turkish = client.get(f"/r/{report.code}", headers={"Accept-Language": "tr-TR,tr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="tr" dir="ltr">' in turkish
    assert "En çok neyin eksikliğini hissediyorsunuz?" in turkish and "Yeşillik ve ağaçlar" in turkish
    assert "İlkbaharda banklar koyuyoruz." in turkish
    arabic = client.get(f"/r/{report.code}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "ما الذي ينقصكم أكثر؟" in arabic
    assert 'lang="nl" dir="auto"><p>We zetten' in arabic  # no Arabic text yet: the main language's, marked as such
    polish = client.get(f"/r/{report.code}?lang=pl").get_data(as_text=True)  # not a campaign language
    assert '<html lang="nl"' in polish


def test_hidden_responses_are_not_on_the_public_page(coordinator, client, campaign, heard):
    from sqlalchemy import update

    from server.responses.models import Response

    db.session.execute(update(Response).where(Response.language == "tr").values(review_state="hidden"))
    db.session.commit()
    report = go_online(coordinator, campaign)
    html = client.get(f"/r/{report.code}").get_data(as_text=True)
    assert "27 bewoners antwoordden tussen" in html  # 40 minus the 13 Turkish answers, hidden


def test_the_public_page_is_rate_limited(app, coordinator, client, campaign, heard):
    report = go_online(coordinator, campaign)
    app.config["RATELIMIT_PUBLIC_RESULTS"] = "3/minute"
    replies = [client.get(f"/r/{report.code}") for _ in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[-1].mimetype == "text/html" and int(replies[-1].headers["Retry-After"]) > 0


def test_the_qr_code_leads_to_the_page(app, coordinator, campaign):
    app.config["PUBLIC_URL"] = "https://wijkstem.example.nl"
    coordinator.get(settings_url(campaign))
    code = db.session.get(PublicReport, campaign.id).code
    png = coordinator.get(settings_url(campaign, "/qr.png"))
    assert png.mimetype == "image/png"
    assert png.headers["Content-Disposition"] == f'attachment; filename="wijkstem-results-{code}.png"'
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [result.text for result in decoded] == [f"https://wijkstem.example.nl/r/{code}"]
    svg = coordinator.get(settings_url(campaign, "/qr.svg"))
    assert svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg") and b"viewBox" in svg.data
    assert f"https://wijkstem.example.nl/r/{code}" in coordinator.get(settings_url(campaign)).get_data(as_text=True)


def test_a_preview_shows_the_page_before_it_is_online(coordinator, campaign, heard, client):
    reply = coordinator.get(settings_url(campaign, "/preview") + "?lang=tr")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and '<html lang="tr"' in html
    assert reply.headers["Cache-Control"] == "no-store"
    assert client.get(settings_url(campaign, "/preview")).status_code == 302  # to the sign-in page



@pytest.mark.parametrize("language", ["srn", "pap", "rif"])
def test_the_page_speaks_languages_that_cldr_lacks(language, coordinator, client, campaign, heard):
    """Sranan Tongo, Papiamento and Tarifit format numbers as Dutch but keep their own words."""
    from server.campaigns.operations import publish_campaign
    from server.i18n import catalog_json

    definition = {**campaign.definition, "languages": [*campaign.definition["languages"], language]}
    for texts in text_fields(definition):
        texts[language] = texts["nl"]
    campaign.definition = definition
    publish_campaign(campaign)
    db.session.commit()
    report = go_online(coordinator, campaign)
    page = client.get(f"/r/{report.code}?lang={language}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<html lang="{language}"' in html
    own_words = catalog_json(language)["This is what you told us"]
    assert own_words != "Dit hebben jullie gezegd" and own_words in html


def text_fields(definition: dict) -> list[dict]:
    """Every translatable text of a campaign definition (title, questions, choices)."""
    fields = [definition["title"]]
    for question in definition["questions"]:
        fields.append(question["text"])
        fields += [choice["label"] for choice in question.get("choices", [])]
    return fields
