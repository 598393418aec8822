"""Printed flyers fit their paper: every size with the most languages it takes, in the longest texts we have,
printed by Chromium (issue 12 §3: an A5 flyer in three languages lost its last Arabic line and its footer)."""

import re
import subprocess

import pytest

from server.campaigns.models import Campaign, Source
from server.campaigns.operations import create_source
from server.extensions import db
from server.workspace.flyer_views import SIZES
from tests.flyer_world import widest_campaign, worst_language_sets

from .test_workspace import coordinator, ids, live_server, page, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
PAGE_MM = {"a4": (210, 297), "a5": (148, 210), "a6": (105, 148)}
MM = 72 / 25.4  # PDF points a millimetre


@pytest.fixture
def wide(ids):
    """The demo campaign in every language, in its longest texts, with a flyer: (campaign id, source id, sets)."""

    def make():
        campaign = widest_campaign(db.session.get(Campaign, ids["campaign"]))
        source = create_source(campaign, "Bibliotheek Noord")
        db.session.commit()
        return campaign.id, source.id, {size: worst_language_sets(campaign, spec["languages"])
                                        for size, spec in SIZES.items()}

    return settled(make)


def words_outside(pdf_path, width_mm: float, height_mm: float) -> list[str]:
    """Each word of the PDF's text (pdftotext -bbox) that lies outside the page, or on a second page."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = html.count("<page ")
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                       html)
    assert words
    outside = [text for x0, y0, x1, y1, text in words
               if float(x0) < 0 or float(y0) < 0 or float(x1) > width_mm * MM + 0.5
               or float(y1) > height_mm * MM + 0.5]
    return outside + ([f"{pages} pages"] if pages != 1 else [])


@pytest.mark.parametrize("size", ["a4", "a5", "a6"])
@pytest.mark.parametrize("kind", ["longest", "scripts"])
def test_every_size_with_the_most_languages_fits_its_page(page, coordinator, wide, tmp_path, size, kind):
    campaign_id, source_id, sets = wide
    languages = sets[size][kind]
    sign_in(page, coordinator)
    query = "&".join(f"langs={code}" for code in languages)
    page.goto(f"/workspace/campaigns/{campaign_id}/sources/{source_id}/flyer?size={size}&{query}&unready=1")
    sheet = page.locator(".sheet")
    assert sheet.locator(".flyer-language[lang]").count() == 2 * len(languages)
    page.wait_for_selector(".sheet[data-fitted]", state="attached")
    assert page.locator("#flyer-too-long").is_hidden()  # it fits without the page asking for fewer words
    page.emulate_media(media="print")
    # every part of the sheet lies inside it, above its bottom margin
    overflow = page.evaluate("""() => {
        const sheet = document.querySelector('.sheet').getBoundingClientRect();
        return [...document.querySelectorAll('.sheet p, .sheet h2, .flyer-qr')]
            .filter((el) => el.getBoundingClientRect().bottom > sheet.bottom + 0.5
                            || el.getBoundingClientRect().right > sheet.right + 0.5)
            .map((el) => el.textContent.slice(0, 40));
    }""")
    assert overflow == []
    pdf = tmp_path / "flyer.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True, print_background=True))
    width, height = PAGE_MM[size]
    assert words_outside(pdf, width, height) == []
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    team = settled(lambda: db.session.get(Source, source_id).campaign.team.name)
    assert team.split()[-1] in text  # the footer is printed
