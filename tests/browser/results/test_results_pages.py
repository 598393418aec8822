"""A coordinator reads the results, enters the neighbourhood's make-up and reports back; residents read it."""

import io

import pytest
import zxingcpp
from PIL import Image

from tests.browser.results.conftest import axe_violations

pytestmark = pytest.mark.browser


def test_results_with_charts_tables_a_breakdown_and_a_print_version(signed_in, results_server, results_app):
    page = signed_in
    page.get_by_role("link", name="Uitkomsten").first.click()
    page.get_by_role("link", name="Uitkomsten").nth(1).click()  # the campaign's row
    page.wait_for_url("**/results")
    assert page.locator("h1").inner_text().startswith("Uitkomsten")
    assert page.locator("svg.chart").count() >= 10
    assert page.locator("svg.chart rect").first.bounding_box()["width"] > 0
    # choose a breakdown with the keyboard and show it
    page.locator("#f-breakdown").focus()
    page.keyboard.press("ArrowDown")  # "Taal"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/results?breakdown=language")
    legend = page.locator("#questions-heading + section .legend").inner_text()
    assert "Nederlands" in legend and "Turks" in legend and "Arabisch" in legend
    # open a chart's table with the keyboard
    summary = page.locator("#question-missen-table").locator("xpath=ancestor::details/summary")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.locator("#question-missen-table")
    assert table.is_visible()
    row = table.locator("tr", has_text="Groen en bomen").inner_text()
    assert "30 (71%)" in row and "30 (50%)" in row  # 30 of the 42 Dutch speakers; half of everyone
    assert axe_violations(page) == []
    # the print version: no navigation, every table open
    page.get_by_role("link", name="Afdrukversie").click()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert page.locator("details.chart-table[open]").count() == page.locator("details.chart-table").count()
    assert page.pdf(format="A4")[:4] == b"%PDF"


def test_reach_from_typed_and_uploaded_figures(signed_in, results_server, results_app, tmp_path):
    page = signed_in
    campaign_id = results_app.config["DEMO_CAMPAIGN_ID"]
    page.goto(f"{results_server}/workspace/campaigns/{campaign_id}/reach")
    assert "Vul de samenstelling van de buurt in" in page.locator("#advice-heading + p").inner_text()
    page.get_by_role("link", name="Samenstelling invullen of uploaden").click()
    page.get_by_label("Waar de cijfers vandaan komen").fill("CBS 2025")
    for name, value in (("Noord", "50"), ("Zuid", "30"), ("Centrum", "20")):
        page.locator("#f-amount-buurt").get_by_label(name, exact=True).fill(value)
    page.get_by_role("button", name="Samenstelling opslaan").click()
    page.wait_for_url("**/reach?saved=1")
    assert page.get_by_role("status").inner_text() == "De samenstelling van de buurt is opgeslagen."
    buurt = page.locator("#reach-buurt")
    assert "hoogstens" in buurt.locator(".score").inner_text()
    assert "minder dan 10" in buurt.locator("table").inner_text()
    advice = page.locator("#advice").inner_text()
    assert ("Ga naar Centrum: minder dan 10 antwoordden, waar ongeveer 12 bij het aandeel in de buurt zou "
            "passen.") in advice
    # the ages from a spreadsheet
    csv = tmp_path / "leeftijden.csv"
    csv.write_text("dimensie;groep;aandeel\nleeftijd;27-40;30\nleeftijd;41-65;40\nleeftijd;66-79;30\n",
                   encoding="utf-8-sig")
    page.get_by_role("link", name="Samenstelling invullen of uploaden").click()
    page.get_by_label("CSV-bestand", exact=True).set_input_files(str(csv))
    page.get_by_role("button", name="Uploaden").click()
    page.wait_for_url("**/reach?saved=1")
    ages = page.locator("#reach-age_bracket table").inner_text()
    assert "27-40" in ages and "30%" in ages
    assert page.locator("#reach-age_bracket svg.chart").is_visible()
    assert axe_violations(page) == []


def test_reporting_back_on_a_public_page_in_every_language(signed_in, results_server, results_app, new_page):
    page = signed_in
    campaign_id = results_app.config["DEMO_CAMPAIGN_ID"]
    page.goto(f"{results_server}/workspace/campaigns/{campaign_id}/report")
    page.get_by_label("Nederlands (hoofdtaal)").fill("In het voorjaar komen er bankjes in het park.")
    page.get_by_label("العربية").fill("في الربيع سنضع مقاعد في الحديقة.")
    page.get_by_role("button", name="Teksten opslaan").click()
    page.get_by_role("button", name="Online zetten").click()
    assert page.get_by_role("status").inner_text() == "De pagina staat online."
    url = page.locator("#public-url").inner_text()
    # a resident scans the code on the settings page
    qr = page.locator(".share-settings .qr-box svg").screenshot()
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr)))] == [url]
    resident = new_page("nl-NL")
    resident.goto(url)
    assert resident.locator("h1").inner_text() == "Dit hebben jullie gezegd"
    assert "60 bewoners antwoordden" in resident.locator(".public-lead").inner_text()
    assert "In het voorjaar komen er bankjes in het park." in resident.locator(".next-steps").inner_text()
    assert "mevrouw Jansen" not in resident.content()
    missen = resident.locator("#q-missen-table").inner_text()
    assert "30 (50%)" in missen and "minder dan 10" in missen
    assert axe_violations(resident) == []
    resident.get_by_role("link", name="العربية").click()
    assert resident.locator("html").get_attribute("dir") == "rtl"
    assert "في الربيع سنضع مقاعد في الحديقة." in resident.locator(".next-steps").inner_text()
    first_bar = resident.locator("#q-missen-chart rect").first.bounding_box()
    chart = resident.locator("#q-missen-chart").bounding_box()
    assert first_bar["x"] + first_bar["width"] == pytest.approx(chart["x"] + chart["width"], abs=2)  # from the right
    assert axe_violations(resident) == []
