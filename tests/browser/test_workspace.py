"""The coordinator's workspace in Debian's Chromium: write a campaign in two languages with a prompt recorded
through the fake microphone, preview and publish it, print a flyer and follow its QR code, enrol a phone."""

import io
import os
import re
import shutil
import subprocess
import threading

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from server.campaigns.models import Campaign, Source
from server.campaigns.operations import create_source
from server.devices.models import Device
from server.extensions import db
from server.qr import module_count
from server.voicepacks.models import Clip
from server.workspace.flyer_views import SIZES
from tests.browser.conftest import record_and_save
from tests.conftest import PASSWORD
from tests.factories import response_body
from tests.flyer_world import widest_campaign, worst_language_sets

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not os.environ.get("WIJKSTEM_REQUIRE_BROWSER"):
    pytest.skip("Chromium is not installed (set WIJKSTEM_REQUIRE_BROWSER=1 to fail instead)",
                allow_module_level=True)


@pytest.fixture
def live_server(app):
    """The test app served by werkzeug on a free port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="nl-NL", permissions=["microphone"], base_url=live_server,
                                   viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def settled(read):
    """Run a database read and end its transaction at once, handing back detached objects: SQLite's write
    lock must stay free for the server thread (every transaction here begins IMMEDIATE)."""
    try:
        return read()
    finally:
        db.session.expunge_all()
        db.session.commit()


@pytest.fixture
def coordinator(make_user, team):
    """The signed-in coordinator's address."""
    return settled(lambda: make_user("coordinator", [team], email="fatima@example.org").email)


@pytest.fixture
def ids(demo):
    """The demo campaign's id, read once."""
    return {"campaign": settled(lambda: db.session.scalars(select(Campaign.id)).one())}


def sign_in(page, email):
    page.goto("/workspace/sign-in")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    page.wait_for_url("**/workspace/")


def serious_accessibility_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_write_a_campaign_in_two_languages_with_a_recorded_prompt_preview_and_publish(page, coordinator, ids):
    sign_in(page, coordinator)
    page.get_by_role("link", name="Nieuwe campagne").click()
    page.get_by_label("Titel").fill("Groen in de wijk")
    page.get_by_label("English").check()
    page.get_by_role("button", name="Campagne maken").click()
    page.wait_for_url("**/workspace/campaigns/*")
    campaign_url = page.url

    # a question with two choices in both languages, one with a pictogram
    page.get_by_role("link", name="Nieuwe vraag").click()
    page.get_by_label("Soort vraag").select_option("single_choice")
    page.locator("#f-text-nl").fill("Wat mis je het meest?")
    page.locator("#f-text-en").fill("What do you miss most?")
    page.locator("#f-choices-0-label-nl").fill("Bomen")
    page.locator("#f-choices-0-label-en").fill("Trees")
    page.locator("#choice-row-0 .pictogram-option", has=page.locator('input[value="bicycle"]')).click()
    page.locator("#f-choices-1-label-nl").fill("Bankjes")
    page.locator("#f-choices-1-label-en").fill("Benches")
    assert page.locator("#f-min").is_hidden()  # settings of other types are out of the way
    page.get_by_role("button", name="Vraag opslaan").click()
    page.wait_for_url("**/questions/wat-mis-je-het-meest*")
    assert page.get_by_role("status").first.inner_text().startswith("De vraag is opgeslagen.")

    # record the Dutch prompt through the fake microphone, listen back, save
    prompt = page.locator("#prompt-nl")
    record_and_save(prompt, 1500)
    page.wait_for_url("**#prompt-nl")
    stored = settled(lambda: db.session.scalars(select(Clip)).one())
    assert stored.language == "nl" and stored.key.startswith("q:") and stored.content_type == "audio/ogg"
    assert stored.size > 1000 and stored.duration_ms > 500  # normalised: Opus in Ogg, measured
    source = page.get_by_label("Huidige opname: Nederlands").get_attribute("src")
    played = page.evaluate("async (src) => { const r = await fetch(src); return [r.status, "
                           "r.headers.get('content-type'), (await r.arrayBuffer()).byteLength]; }", source)
    assert played == [200, "audio/ogg", stored.size]
    assert serious_accessibility_problems(page) == []

    # the English title is missing: publishing is refused and says why
    page.goto(campaign_url)
    page.get_by_role("button", name="Publiceren").click()
    alert = page.locator("#incomplete-languages")
    assert "English" in alert.inner_text() and "1 van 4 teksten nog te vertalen" in alert.inner_text()
    alert.get_by_role("link", name="Vertalen").click()
    page.locator("#f-title-en").fill("Green in the neighbourhood")
    page.get_by_role("button", name="Teksten opslaan").click()
    assert page.get_by_role("status").inner_text() == "De teksten zijn opgeslagen."

    # preview in English: the frame shows the field app, the draft document comes with the session
    page.goto(campaign_url + "/preview?preview_lang=en")
    frame = page.locator("iframe")
    campaign_id = campaign_url.rsplit("/", 1)[1]
    assert frame.get_attribute("src") == f"/app/#preview={campaign_id}&lang=en"
    document = page.evaluate("async (url) => (await fetch(url)).json()", f"{campaign_url}/preview.json")
    assert document["preview"] is True and document["title"]["en"] == "Green in the neighbourhood"
    assert document["questions"][0]["prompts"]["nl"].startswith("/api/v1/clips/")
    assert document["questions"][0]["choices"][0]["pictogram_url"] == "/app/pictograms/bicycle.svg"

    page.goto(campaign_url)
    page.get_by_role("button", name="Publiceren").click()
    page.wait_for_load_state()
    assert "Versie 1 is gepubliceerd" in page.locator("main").inner_text()
    assert serious_accessibility_problems(page) == []
    written = settled(lambda: db.session.scalars(
        select(Campaign).where(Campaign.id != ids["campaign"])).one())
    assert written.state == "published" and written.current_version == 1


def pdf_page_image(pdf: bytes, tmp_path, dpi: int = 150) -> Image.Image:
    """The only page of `pdf`, rendered by poppler's pdftoppm."""
    source = tmp_path / "flyer.pdf"
    source.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(source)], check=True, timeout=60, capture_output=True, text=True)
    assert "Pages:           1" in info.stdout  # the flyer fits on one sheet
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(source), str(tmp_path / "flyer")],
                   check=True, timeout=60)
    return Image.open(tmp_path / "flyer.png")


@pytest.mark.parametrize("size, width_mm, qr_mm", [("a6", 105, 42), ("a4", 210, 90)])
def test_print_a_flyer_and_follow_its_qr_code(page, coordinator, ids, live_server, tmp_path, size, width_mm,
                                              qr_mm):
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
    sign_in(page, coordinator)
    page.goto(f"/workspace/campaigns/{ids['campaign']}/sources")
    page.get_by_label("Naam").fill("Bibliotheek Noord")
    page.get_by_role("button", name="Bron toevoegen").click()
    source = settled(lambda: db.session.scalars(
        select(Source).where(Source.name == "Bibliotheek Noord")).one())
    row = page.locator(f"#source-{source.id}")
    row.get_by_role("link", name={"a6": "A6-deurhanger", "a4": "A4-poster"}[size]).click()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Tonen", exact=True).click()
    # the demo here has no recordings: residents cannot listen yet, so the flyer is shown once confirmed
    assert page.locator(".sheet").count() == 0 and "English" in page.locator("#unready-languages").inner_text()
    page.get_by_label("Toch afdrukken").check()
    page.get_by_role("button", name="Verder naar de flyer").click()
    assert "Our neighbourhood, your voice" in page.locator(".sheet").inner_text()

    image = pdf_page_image(page.pdf(prefer_css_page_size=True, print_background=True), tmp_path)
    assert image.width == pytest.approx(width_mm / 25.4 * 150, abs=3)  # the paper size came from @page
    results = zxingcpp.read_barcodes(image)
    links = [result.text for result in results]
    assert links == [f"{live_server}/f/{source.code}"]
    corners, modules = results[0].position, module_count(links[0])
    printed_mm = (corners.top_right.x - corners.top_left.x) / 150 * 25.4  # the symbol, without its quiet zone
    assert printed_mm == pytest.approx(qr_mm * (modules - 8) / modules, rel=0.05)

    opened = requests.get(links[0], allow_redirects=False, timeout=10)
    # the app itself, with the flyer's code in the page: no redirect, no second round trip (issue 12, section 7)
    assert opened.status_code == 200 and 'id="flyer-data"' in opened.text and source.code in opened.text
    poll = requests.get(f"{live_server}/api/v1/sources/{source.code}", timeout=10)
    assert poll.status_code == 200 and poll.json()["source"]["name"] == "Bibliotheek Noord"

    # stopped: the same printed code now shows a friendly page in the visitor's language
    page.goto(f"/workspace/campaigns/{ids['campaign']}/sources")
    page.locator(f"#source-{source.id}").get_by_role("button", name="Deze bron stoppen").click()
    page.goto(links[0])
    assert page.get_by_role("heading", level=1).inner_text() == "Deze peiling is gesloten."


def test_enrol_a_phone_with_the_on_screen_code_and_revoke_it(page, coordinator, ids, live_server):
    sign_in(page, coordinator)
    page.get_by_role("link", name="Telefoons", exact=True).click()
    page.get_by_label("Naam van de telefoon").fill("Telefoon Fatima")
    page.get_by_role("button", name="Koppelcode maken").click()
    shot = page.locator(".enrol-qr").screenshot()
    links = [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
    assert len(links) == 1 and links[0].startswith(f"{live_server}/app/#enrol=")
    code = links[0].rsplit("=", 1)[1]
    assert code[:5] in page.locator(".enrol-code").inner_text()
    assert code not in page.url  # the page came from a POST: the code is in no URL the server sees

    reply = requests.post(f"{live_server}/api/v1/devices/enrol", json={"code": code}, timeout=10)
    assert reply.status_code == 201
    token = {"Authorization": f"Bearer {reply.json()['token']}"}
    assert requests.get(f"{live_server}/api/v1/devices/me", headers=token, timeout=10).status_code == 200

    page.get_by_role("link", name="Terug naar de telefoons").click()
    device = settled(lambda: db.session.scalars(
        select(Device).where(Device.label == "Telefoon Fatima")).one())
    row = page.locator(f"#device-{device.id}")
    assert "Telefoon Fatima" in row.inner_text() and "nooit" in row.inner_text()
    assert serious_accessibility_problems(page) == []
    row.get_by_role("button", name="Intrekken").click()
    assert "ingetrokken" in page.locator(f"#device-{device.id}").inner_text()
    assert requests.get(f"{live_server}/api/v1/devices/me", headers=token, timeout=10).status_code == 401


# --- printed flyers fit their paper (issue 12 §3: an A5 flyer in three languages lost its last Arabic line and
# its footer): every size with the most languages it takes, in the longest texts we have, printed by Chromium
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


def test_the_flyer_page_starts_in_the_campaigns_languages_and_downloads_a_pdf(page, coordinator, ids, live_server,
                                                                                tmp_path):
    """Issue 12 §3: the page started in Dutch alone; the PDF is made on the server and its QR code reads."""
    source = settled(lambda: create_source(db.session.get(Campaign, ids["campaign"]), "Markt"))  # committed
    sign_in(page, coordinator)
    page.goto(f"/workspace/campaigns/{ids['campaign']}/sources/{source.id}/flyer?size=a5")
    checked = [box.get_attribute("value") for box in page.locator("input[name=langs]:checked").all()]
    assert checked == ["nl", "en", "tr"]
    page.get_by_label("Toch afdrukken").check()  # no recordings in this demo: residents cannot listen yet
    page.get_by_role("button", name="Verder naar de flyer").click()
    assert serious_accessibility_problems(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF downloaden").click()
    pdf = tmp_path / "flyer.pdf"
    download.value.save_as(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "flyer")], check=True,
                   timeout=60)
    read = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "flyer.png")], capture_output=True,
                          text=True, timeout=60)
    code = settled(lambda: db.session.get(Source, source.id).code)
    assert read.stdout.split() == [f"{live_server}/f/{code}"]


def test_the_page_says_when_the_texts_cannot_fit(page, coordinator, ids):
    """Texts scale down to 55 % on the page; past that the page asks for fewer words instead of printing them
    too small to read (here: the longest titles and team name allowed, 200 characters, in three languages on A5)."""
    languages = ("nl", "en", "tr")

    def make():
        campaign = db.session.get(Campaign, ids["campaign"])
        campaign.definition = {**campaign.definition,
                               "title": {code: ("Onze buurt, jouw stem en " * 8)[:200] for code in languages},
                               "intro": {code: "Vertel ons wat je van de buurt vindt en " * 5 for code in languages}}
        campaign.team.name = ("Buurtinitiatief De Brug en " * 8)[:200]
        return create_source(campaign, "Markt").id

    source_id = settled(make)
    sign_in(page, coordinator)
    page.goto(f"/workspace/campaigns/{ids['campaign']}/sources/{source_id}/flyer?size=a5&langs=nl&langs=en&langs=tr"
              "&unready=1")
    page.wait_for_selector(".sheet[data-fitted]", state="attached")
    assert page.locator(".sheet").get_attribute("data-fitted") == "0.55"
    assert page.locator("#flyer-too-long").is_visible()
    page.goto(f"/workspace/campaigns/{ids['campaign']}/sources/{source_id}/flyer?size=a5&langs=nl&unready=1")
    page.wait_for_selector(".sheet[data-fitted]", state="attached")
    assert page.locator("#flyer-too-long").is_hidden()  # one language fits


@pytest.mark.commits
def test_a_large_export_shows_being_prepared_then_its_download_without_a_reload(sync, page, app, coordinator, ids):
    """Asked for in the inbox, shown being prepared, and turned into its download link on the same page once the
    server's job thread has written it (issue 14 §2)."""
    from server.jobs.queue import drain, enqueue
    from tests.browser.test_studio import HOLD  # and its `browser_hold` job

    app.config.update(JOBS_RUNNER="thread", EXPORT_STREAM_RESPONSES=1)  # as the embedded default; any is large
    campaign = settled(lambda: db.session.get(Campaign, ids["campaign"]))
    settled(lambda: sync(response_body(campaign), response_body(campaign, language="tr")))
    HOLD.clear()
    settled(lambda: enqueue("browser_hold", token="exports"))  # the job thread is busy until the test lets go
    sign_in(page, coordinator)
    page.goto(f"/workspace/campaigns/{ids['campaign']}/responses")
    page.get_by_role("button", name="CSV downloaden").click()
    page.wait_for_url(re.compile(r"/exports#export-"))
    item = page.locator("li[id^=export-]")
    expect(item.locator("[data-processing]")).to_contain_text("Wordt klaargemaakt")
    assert serious_accessibility_problems(page) == []
    page.evaluate("window.stillTheSamePage = true")
    HOLD.set()
    download_link = page.locator("li[id^=export-]").get_by_role("link", name="Downloaden")
    expect(download_link).to_be_visible(timeout=30_000)
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, not reloaded
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert drain(app, timeout=30)
