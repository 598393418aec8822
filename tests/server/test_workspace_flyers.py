"""Sources, printable flyers, QR codes that decode, and what a revoked flyer link shows."""

import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageFilter
from sqlalchemy import select

from server.campaigns.models import Source
from server.extensions import db
from server.util import utcnow


@pytest.fixture
def web_c(web, make_user, team):
    return web.sign_in_as(make_user("coordinator", [team]))


def url(campaign, path=""):
    return f"/workspace/campaigns/{campaign.id}{path}"


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_a_source_is_added_and_gets_a_code(web_c, campaign):
    reply = web_c.post(url(campaign, "/sources"), {"name": "Bibliotheek Noord", "kind": "door_to_door"})
    assert reply.status_code == 303
    source = db.session.scalars(select(Source).where(Source.name == "Bibliotheek Noord")).one()
    assert source.kind == "door_to_door" and re.fullmatch(r"[2-9A-Z]{6}", source.code)
    assert source.code in web_c.get(url(campaign, "/sources")).get_data(as_text=True)


@pytest.mark.parametrize("data, message", [({"name": ""}, "Vul dit veld in."),
                                           ({"name": "x" * 201}, "Gebruik hoogstens 200 tekens."),
                                           ({"name": "X", "kind": "billboard"}, "Moet een van deze zijn:")])
def test_source_form_explains_mistakes(web_c, campaign, data, message):
    count = len(db.session.scalars(select(Source)).all())
    reply = web_c.post(url(campaign, "/sources"), data)
    assert reply.status_code == 422
    assert message in reply.get_data(as_text=True)
    assert len(db.session.scalars(select(Source)).all()) == count


@pytest.fixture
def recorded(campaign):
    """The demo campaign with its synthetic clips: every language is ready for residents."""
    from server.demo import load_demo_audio

    load_demo_audio(campaign)
    db.session.commit()
    return campaign


def test_flyer_has_the_qr_code_short_url_code_and_campaign_texts(web_c, recorded, flyer):
    campaign = recorded
    reply = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer?size=a4&langs=nl&langs=ar&langs=xx"))
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert f"localhost/f/{flyer.code}" in html
    assert f"{flyer.code[:3]} {flyer.code[3:]}" in html
    assert "<svg" in html and "viewBox" in html
    assert "Onze buurt, jouw stem" in html and "حيّنا، صوتكم" in html
    assert 'lang="ar" dir="rtl"' in html
    assert "Scan de code met de camera van je telefoon." in html  # fixed lines where translated
    assert "kun je je antwoorden laten wissen op localhost/erase of in het buurthuis." in html  # the small print
    assert "flyer-a4.css" in html


def test_too_many_languages_for_the_size_are_cut_with_a_note(web_c, campaign, flyer):
    html = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer?size=a6&langs=nl&langs=en&langs=tr")
                     ).get_data(as_text=True)
    assert "Op dit formaat passen hoogstens 2 talen" in html
    assert "Mahallemiz, sizin sesiniz" not in html


def test_unknown_size_falls_back_to_a5(web_c, campaign, flyer):
    html = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer?size=a0")).get_data(as_text=True)
    assert "flyer-a5.css" in html


def test_qr_downloads_decode_to_the_short_link(web_c, campaign, flyer):
    png = web_c.get(url(campaign, f"/sources/{flyer.id}/qr.png"))
    assert png.mimetype == "image/png"
    assert png.headers["Content-Disposition"] == f'attachment; filename="wijkstem-{flyer.code.lower()}.png"'
    assert decode(Image.open(io.BytesIO(png.data))) == [f"http://localhost/f/{flyer.code}"]
    svg = web_c.get(url(campaign, f"/sources/{flyer.id}/qr.svg"))
    assert svg.mimetype == "image/svg+xml"
    assert svg.headers["Content-Disposition"].endswith('.svg"')
    assert svg.data.startswith(b"<?xml") and b'fill="#fff"' in svg.data


def test_qr_uses_the_public_address_when_configured(app, web_c, campaign, flyer):
    app.config["PUBLIC_URL"] = "https://wijkstem.example.nl/"
    png = web_c.get(url(campaign, f"/sources/{flyer.id}/qr.png"))
    assert decode(Image.open(io.BytesIO(png.data))) == [f"https://wijkstem.example.nl/f/{flyer.code}"]


def test_qr_stays_readable_printed_two_and_a_half_centimetres_wide(app, flyer):
    """2.5 cm at 150 dpi is 148 pixels; a slight blur stands in for ink spread and a phone camera's focus."""
    from server.qr import module_count, qr_png

    link = f"https://wijkstem.example.nl/f/{flyer.code}"
    assert 25 / module_count(link) >= 0.5  # mm a module, quiet zone included
    image = Image.open(io.BytesIO(qr_png(link))).convert("L")
    printed = image.resize((148, 148), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(0.8))
    assert decode(printed) == [link]


def test_someone_elses_source_is_not_found(web_c, campaign, flyer):
    from server.campaigns.operations import create_campaign, create_source
    from server.demo import DEMO_DEFINITION

    other = create_campaign(campaign.team, DEMO_DEFINITION)
    stranger = create_source(other, "Elders")
    db.session.commit()
    assert web_c.get(url(campaign, f"/sources/{stranger.id}/flyer")).status_code == 404
    assert web_c.post(url(campaign, f"/sources/{stranger.id}/revoke")).status_code == 404


# --- the short link ----------------------------------------------------------------------------------

def test_short_link_opens_the_field_app_with_the_code(client, flyer):
    reply = client.get(f"/f/{flyer.code.lower()}")
    assert reply.status_code == 200 and "Location" not in reply.headers  # the app itself, no redirect
    assert f'"code": "{flyer.code}"' in reply.get_data(as_text=True)


def test_revoked_source_shows_a_friendly_closed_page_in_the_visitors_language(web_c, client, campaign, flyer):
    assert web_c.post(url(campaign, f"/sources/{flyer.id}/revoke")).status_code == 303
    assert db.session.get(Source, flyer.id).revoked_at is not None
    dutch = client.get(f"/f/{flyer.code}", headers={"Accept-Language": "nl"})
    assert dutch.status_code == 410
    assert "Deze peiling is gesloten." in dutch.get_data(as_text=True)
    assert "Onze buurt, jouw stem" in dutch.get_data(as_text=True)
    english = client.get(f"/f/{flyer.code}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "This poll has closed." in english.get_data(as_text=True)
    assert "Our neighbourhood, your voice" in english.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english.get_data(as_text=True)
    assert client.get(f"/api/v1/sources/{flyer.code}").status_code == 410


def test_closed_campaign_closes_its_flyers(client, campaign, flyer):
    campaign.state, campaign.closed_at = "closed", utcnow()
    db.session.commit()
    assert client.get(f"/f/{flyer.code}", headers={"Accept-Language": "nl"}).status_code == 410


def test_flyer_of_a_draft_says_not_started_and_unknown_codes_say_so(web_c, client, team):
    from server.campaigns.operations import create_source
    from server.workspace.editing import create_draft

    draft = create_draft(team, "Later", "nl", ["nl"])
    source = create_source(draft, "Vroeg")
    db.session.commit()
    early = client.get(f"/f/{source.code}", headers={"Accept-Language": "nl"})
    assert early.status_code == 404 and "nog niet begonnen" in early.get_data(as_text=True)
    unknown = client.get("/f/ZZZZZZ", headers={"Accept-Language": "nl"})
    assert unknown.status_code == 404 and "Deze flyercode is niet bekend." in unknown.get_data(as_text=True)
    assert client.get("/f/%00%0a<script>").status_code == 404


def test_a_flyer_in_a_language_residents_cannot_hear_asks_first(web_c, campaign, flyer):
    from server.demo import load_demo_audio
    from server.voicepacks.models import Clip
    from server.voicepacks.operations import campaign_texts
    from server.voicepacks.phrases import phrases

    load_demo_audio(campaign)
    db.session.execute(Clip.__table__.delete().where(Clip.language == "ar", Clip.key == "yes"))
    db.session.commit()
    asked = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer?size=a5&langs=nl&langs=ar")).get_data(as_text=True)
    total = len(campaign_texts(campaign.definition, "ar")) + len(phrases())
    assert 'id="unready-languages"' in asked and f"{total - 1} van {total} teksten opgenomen" in asked
    assert 'class="sheet' not in asked and "data-print" not in asked  # no flyer until confirmed
    shown = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer?size=a5&langs=nl&langs=ar&unready=1"))
    assert 'class="sheet' in shown.get_data(as_text=True)
    only_dutch = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer?size=a5&langs=nl")).get_data(as_text=True)
    assert 'class="sheet' in only_dutch and "unready-languages" not in only_dutch
