"""Sources, printable flyers, QR codes that decode, and what a revoked flyer link shows."""

import io
import re
import subprocess

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


# --- PDF downloads (issue 12 §3) -------------------------------------------------------------------------

PAPER_PT = {"a4": (595.3, 841.9), "a5": (419.5, 595.3), "a6": (297.6, 419.5)}


def pdf_tool(tool: str, pdf: bytes, tmp_path, *args) -> str:
    path = tmp_path / "flyer.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], check=True,
                          capture_output=True, text=True, timeout=60).stdout


def decoded_links(pdf: bytes, tmp_path) -> list[str]:
    """The QR codes on the PDF's pages, as poppler renders them and zbar reads them (one link a line)."""
    (tmp_path / "flyer.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "flyer.pdf"), str(tmp_path / "page")],
                   check=True, timeout=60)
    links = []
    for image in sorted(tmp_path.glob("page*.png")):
        found = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True,
                               timeout=60)
        links += found.stdout.split()
    return links


def words_off_the_page(pdf: bytes, tmp_path) -> tuple[int, list[str]]:
    """The number of pages, and every word of `pdftotext -bbox` that does not lie inside its page."""
    html = pdf_tool("pdftotext", pdf, tmp_path, "-bbox")
    off = []
    for page in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        width, height = float(page[0]), float(page[1])
        for x0, y0, x1, y1, word in re.findall(
                r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">([^<]*)</word>', page[2]):
            if float(x0) < 0 or float(y0) < 0 or float(x1) > width + 0.5 or float(y1) > height + 0.5:
                off.append(word)
    return html.count("<page "), off


def nothing_runs_into_the_footer(pdf: bytes, tmp_path, team_word: str = "Buurtinitiatief") -> bool:
    """Every word lies above the team's line at the bottom (poppler leaves out what falls off the page: text
    that does not fit shows as text running into the footer)."""
    html = pdf_tool("pdftotext", pdf, tmp_path, "-bbox")
    words = [(float(top), float(bottom), word) for top, bottom, word in
             re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', html)]
    [footer] = [top for top, _bottom, word in words if word == team_word]
    rest = [bottom for top, bottom, _word in words if abs(top - footer) > 0.5]
    return bool(rest) and max(rest) <= footer


@pytest.fixture
def wide(recorded):
    from tests.flyer_world import widest_campaign

    return widest_campaign(recorded)


@pytest.mark.slow  # renders six PDFs and reads each with poppler's tools (the fast part keeps one PDF below)
@pytest.mark.parametrize("size", ["a4", "a5", "a6"])
@pytest.mark.parametrize("kind", ["longest", "scripts"])
def test_flyer_pdf_fits_its_paper_decodes_and_embeds_every_script(web_c, wide, flyer, tmp_path, size, kind):
    from server.workspace.flyer_views import SIZES
    from tests.flyer_world import worst_language_sets

    languages = worst_language_sets(wide, SIZES[size]["languages"])[kind]
    query = "&".join(f"langs={code}" for code in languages)
    reply = web_c.get(url(wide, f"/sources/{flyer.id}/flyer.pdf?size={size}&{query}&unready=1"))
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"] == \
        f'attachment; filename="wijkstem-{flyer.code.lower()}-{size}.pdf"'
    info = pdf_tool("pdfinfo", reply.data, tmp_path)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (width, height) == pytest.approx(PAPER_PT[size], abs=1)
    assert words_off_the_page(reply.data, tmp_path) == (1, [])
    assert nothing_runs_into_the_footer(reply.data, tmp_path)
    assert decoded_links(reply.data, tmp_path) == [f"http://localhost/f/{flyer.code}"]
    text = pdf_tool("pdftotext", reply.data, tmp_path)
    assert wide.team.name.split()[-1] in text  # the footer
    assert "".join(wide.definition["title"][languages[-1]].split())[:12] in "".join(text.split())
    fonts = pdf_tool("pdffonts", reply.data, tmp_path).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded
    families = {line.split()[0].split("+")[-1] for line in fonts}
    if kind == "scripts":
        assert {"NotoSansArabic", "NotoSansEthiopic"} <= {name.removesuffix("Bold") for name in families}


@pytest.mark.slow  # a PDF rendered and read with poppler
def test_qr_code_in_the_pdf_is_vector_graphics(web_c, recorded, flyer, tmp_path):
    reply = web_c.get(url(recorded, f"/sources/{flyer.id}/flyer.pdf?size=a5&langs=nl"))
    assert pdf_tool("pdfimages", reply.data, tmp_path, "-list").splitlines()[2:] == []  # no raster image


@pytest.mark.slow  # sheets of flyers rendered, rasterised and their QR codes decoded
@pytest.mark.parametrize("size, count", [("a6", 4), ("a5", 2)])
def test_a_sheet_holds_several_flyers_to_cut(web_c, recorded, flyer, tmp_path, size, count):
    reply = web_c.get(url(recorded, f"/sources/{flyer.id}/sheet.pdf?size={size}&langs=nl&langs=ar"))
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].endswith(f'-{size}-sheet.pdf"')
    pages, off = words_off_the_page(reply.data, tmp_path)
    assert (pages, off) == (1, [])
    assert decoded_links(reply.data, tmp_path) == [f"http://localhost/f/{flyer.code}"] * count
    poster = web_c.get(url(recorded, f"/sources/{flyer.id}/sheet.pdf?size=a4&langs=nl"))
    assert poster.headers["Content-Disposition"].endswith('-a6-sheet.pdf"')  # no sheet of posters: door-hangers


def test_pdf_of_unready_languages_asks_first(web_c, campaign, flyer):
    reply = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer.pdf?size=a6&langs=nl&langs=en"))
    assert reply.status_code == 303 and "/flyer?" in reply.headers["Location"]
    confirmed = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer.pdf?size=a6&langs=nl&langs=en&unready=1"))
    assert confirmed.status_code == 200 and confirmed.data.startswith(b"%PDF")


def test_the_flyer_page_starts_with_the_campaigns_languages_and_links_the_pdfs(web_c, recorded, flyer):
    html = web_c.get(url(recorded, f"/sources/{flyer.id}/flyer?size=a5")).get_data(as_text=True)
    checked = re.findall(r'id="lang-(\w+)" name="langs" value="\w+" checked', html)
    assert checked == ["nl", "en", "tr"]  # as many of the campaign's languages as fit on A5, not Dutch alone
    assert 'lang="tr" dir="ltr"' in html
    assert f"/sources/{flyer.id}/flyer.pdf?size=a5&amp;langs=nl&amp;langs=en&amp;langs=tr" in html
    assert f"/sources/{flyer.id}/sheet.pdf?size=a5" in html
    assert "PDF downloaden" in html


@pytest.mark.slow  # a PDF of the longest titles rendered, rasterised and decoded
def test_titles_at_their_longest_stay_on_the_paper(web_c, campaign, flyer, tmp_path):
    """The most a campaign may say (200 characters of title, an introduction past the 160 characters a flyer takes)
    in each of the most languages: every word stays on the paper, above the team's line."""
    from sqlalchemy.orm.attributes import flag_modified

    languages = ("nl", "en", "tr")
    campaign.definition["title"] = {code: ("Onze buurt, jouw stem en " * 8)[:200] for code in languages}
    campaign.definition["intro"] = {code: "Vertel ons wat je van de buurt vindt en " * 5 for code in languages}
    flag_modified(campaign, "definition")
    db.session.commit()
    reply = web_c.get(url(campaign, f"/sources/{flyer.id}/flyer.pdf?size=a5&langs=nl&langs=en&langs=tr&unready=1"))
    assert words_off_the_page(reply.data, tmp_path) == (1, [])
    assert nothing_runs_into_the_footer(reply.data, tmp_path)
    assert decoded_links(reply.data, tmp_path) == [f"http://localhost/f/{flyer.code}"]
