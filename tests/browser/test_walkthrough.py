"""The whole path, walked as its three users (issue 12, §8), so that what §1-§5 fixed does not come back:

- the coordinator adds a flyer and downloads its PDF as a signed-in browser does; the QR code that poppler renders
  and zbar decodes is the flyer's address; she enrols a phone with a default source (a door-to-door team);
- the field worker's phone collects three interviews offline, one with a voice note from Chromium's fake microphone,
  and sends them once back online; every status on the phone and on the Phones page says so, with the report's time;
- a resident opens the decoded flyer address in a browser of her own and answers in Turkish;
- the coordinator sees the door-to-door answers under their team and the flyer's under the flyer in the results,
  and the voice note's length on the response page, in its player and in the file she downloads.
"""

import io
import re
import subprocess

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from server.campaigns.models import Source
from server.devices.models import Device
from server.extensions import db
from server.responses.models import Response
from server.storage import media_path
from server.util import utcnow
from server.voice.models import VoiceNote
from server.voice.timing import stored_file

from .flows import (
    answer_demo_in_dutch,
    eventually,
    give_consent,
    recorded_audio,
    sha256,
    translator,
    wait_until_offline_ready,
)
from .test_workspace import coordinator, ids, live_server, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SOURCE = "Deur-aan-deur team 1"
FLYER = "Bibliotheek Noord"


@pytest.fixture
def browser_pages(browser, live_server):  # noqa: F811 (the workspace's live server)
    """The coordinator's laptop, the field worker's phone, the resident's phone: each a browser of its own."""
    contexts = []

    def make(**kwargs):
        options = {"locale": "nl-NL", "permissions": ["microphone"], "base_url": live_server, **kwargs}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def print_flyer(laptop, campaign_id, tmp_path) -> tuple[Source, str]:
    """The coordinator adds a flyer for the library and downloads its A5 PDF: the source, and the address its QR
    code holds, as poppler renders the PDF and zbar reads it."""
    laptop.goto(f"/workspace/campaigns/{campaign_id}/sources")
    laptop.get_by_label("Naam").fill(FLYER)
    laptop.get_by_role("button", name="Bron toevoegen").click()
    expect(laptop.locator("[id^=source-]", has_text=FLYER)).to_be_visible()
    source = settled(lambda: db.session.scalars(select(Source).where(Source.name == FLYER)).one())
    laptop.locator(f"#source-{source.id}").get_by_role("link", name="A5-flyer").click()
    expect(laptop.get_by_role("checkbox", name="Türkçe")).to_be_checked()  # the campaign's languages, not Dutch alone
    laptop.get_by_label("Toch afdrukken").check()  # this demo has no recordings: residents cannot listen yet
    laptop.get_by_role("button", name="Verder naar de flyer").click()
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="PDF downloaden").click()
    pdf = tmp_path / "flyer.pdf"
    download.value.save_as(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "flyer")], check=True,
                   timeout=60)
    read = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "flyer.png")], capture_output=True,
                          text=True, timeout=60)
    (link,) = read.stdout.split()
    return source, link


def enrol_phone_with_source(laptop) -> str:
    """The coordinator makes an enrolment code with a default source; returns the link in its QR code."""
    laptop.get_by_role("link", name="Telefoons", exact=True).click()
    laptop.get_by_label("Naam van de telefoon").fill("Telefoon Fatima")
    sources = laptop.get_by_label("Standaardbron")
    sources.select_option(sources.locator("option", has_text=SOURCE).get_attribute("value"))
    laptop.get_by_role("button", name="Koppelcode maken").click()
    expect(laptop.get_by_text(f"De deur-aan-deurantwoorden tellen voor: {SOURCE}")).to_be_visible()
    shot = laptop.locator(".enrol-qr").screenshot()
    (link,) = [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))]
    return link


def phones_row(laptop, device_id) -> str:
    laptop.goto("/workspace/devices/")
    return laptop.locator(f"#device-{device_id}").inner_text()


def answer_the_flyer_in_turkish(page, link: str) -> None:
    """A resident follows the flyer's address (a redirect to the app, or the app itself) and answers in Turkish."""
    t = translator("tr")
    page.goto(link)
    expect(page.get_by_role("heading", name="Mahallemiz, sizin sesiniz")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    page.get_by_role("button", name=t("Start"), exact=True).click()
    give_consent(page, t, answers=True, audio=False)
    expect(page.get_by_role("heading", name="Mahallede yaşamaktan ne kadar memnunsunuz?")).to_be_visible()
    page.get_by_role("radio", name=t("Very happy"), exact=True).check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("radio", name="Oyun alan\u0131").check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("Skip"), exact=True).click()  # where do you like to go
    page.get_by_role("radio", name=t("Yes"), exact=True).check()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("One more"), exact=True).click()
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("textbox").fill("Daha fazla ağaç")
    page.get_by_role("button", name=t("Next"), exact=True).click()
    page.get_by_role("button", name=t("Send"), exact=True).click()
    expect(page.get_by_role("heading", name=t("Thank you!"))).to_be_visible()
    expect(page.locator("#status-strip .waiting")).to_have_text(t("Everything has been sent"))


def probed_seconds(path) -> float | None:
    """How long ffprobe says the file plays (``None`` when its header does not say)."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    return None if out in ("", "N/A") else float(out)


def test_print_enrol_collect_offline_answer_the_flyer_and_see_every_status_source_and_duration(
        browser_pages, coordinator, ids, live_server, tmp_path):  # noqa: F811
    # 1. the coordinator prints a flyer (a PDF, as a print shop gets it) and enrols a phone for a door-to-door team
    laptop = browser_pages(viewport={"width": 1280, "height": 900})
    sign_in(laptop, coordinator)
    flyer, flyer_link = print_flyer(laptop, ids["campaign"], tmp_path)
    assert flyer_link == f"{live_server}/f/{flyer.code}"
    enrolment_link = enrol_phone_with_source(laptop)

    # 2. the field worker's phone: three interviews offline, one with a voice note, sent once back online
    phone = browser_pages(viewport={"width": 390, "height": 844})
    phone.goto(enrolment_link)
    expect(phone.get_by_role("heading", name="Campagnes")).to_be_visible()
    route = phone.get_by_label("Route of team van vandaag")
    expect(route.locator("option:checked")).to_have_text(SOURCE)  # the coordinator's choice, preselected
    wait_until_offline_ready(phone)
    device = settled(lambda: db.session.scalars(select(Device).where(Device.label == "Telefoon Fatima")).one())
    assert "niets" in phones_row(laptop, device.id)  # the new phone said so after its first (empty) drain

    phone.context.set_offline(True)
    phone.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    answer_demo_in_dutch(phone, idea="Meer bankjes", voice_seconds=2.5)
    for idea in ("Een moestuin", "Meer licht"):
        phone.get_by_role("button", name="Volgende bewoner", exact=True).click()
        answer_demo_in_dutch(phone, idea=idea)
    (recording,) = recorded_audio(phone).values()  # Chromium's own WebM, as the phone will send it
    strip = phone.locator("#status-strip .waiting")
    expect(strip).to_have_text(re.compile(r"^Klaar om te versturen: 3 antwoorden, 1 opname \([\d,]+ kB\)$"))
    phone.locator("#status-strip .status-button").click()
    state = phone.locator("section.status .sync-state")
    expect(state.locator(".lead")).to_have_text(re.compile(r"3 antwoorden, 1 opname \([\d,]+ kB\)"))
    expect(state.locator(".notice.error")).to_contain_text("Geen verbinding")

    online_at = utcnow().replace(microsecond=0)
    phone.context.set_offline(False)  # back online, the "send and rescue" screen still open
    expect(state.locator(".lead")).to_have_text("Alles is verstuurd", timeout=30_000)
    expect(state.locator(".notice.error")).to_have_count(0)
    expect(strip).to_have_text("Alles is verstuurd")

    def reported_nothing():
        found = settled(lambda: db.session.get(Device, device.id))
        return (found.status_reported_at is not None and found.status_reported_at >= online_at
                and not (found.pending_responses or found.pending_voice_notes or found.pending_bytes))

    eventually(phone, reported_nothing)
    row = phones_row(laptop, device.id)
    assert "niets" in row and SOURCE in row
    assert re.search(r"gemeld \d{2}-\d{2}-\d{4}, \d{2}:\d{2}", row), row  # with the time of that report
    assert "antwoord" not in row  # no longer "Still on the phone: 3 answers, 1 voice note"

    # 3. a resident scans the printed flyer and answers on her own phone, in Turkish
    resident = browser_pages(locale="tr-TR", viewport={"width": 390, "height": 844})
    answer_the_flyer_in_turkish(resident, flyer_link)

    source_id = settled(lambda: db.session.scalars(select(Source.id).where(Source.name == SOURCE)).one())
    responses = eventually(laptop, lambda: (found := settled(lambda: db.session.scalars(select(Response)).all()))
                           and len(found) == 4 and found)
    by_channel = sorted((r.channel, r.source_id, r.language, r.device_id is not None) for r in responses)
    assert by_channel == [("door_to_door", source_id, "nl", True)] * 3 + [("flyer", flyer.id, "tr", False)]

    # 4. the coordinator: sources in the results, the voice note's length everywhere she meets it
    laptop.goto(f"/workspace/campaigns/{ids['campaign']}/results")
    by_source = laptop.locator("section.group-result", has=laptop.get_by_role("heading", name="Flyer of team"))
    expect(by_source).to_contain_text(FLYER)
    counted = by_source.inner_text()
    assert f"{SOURCE}\n3 (75%)" in counted and f"{FLYER}\n1 (25%)" in counted, counted
    assert "Geen flyer of team" not in counted

    note = eventually(laptop, lambda: (found := settled(lambda: db.session.scalars(select(VoiceNote)).one()))
                      .playback_name and found.timed_name and found)  # made by their background jobs
    assert note.state == "complete" and note.sha256 == sha256(recording)
    assert media_path(note.storage_name).read_bytes() == recording  # the original stays as the phone sent it
    assert 2000 <= note.duration_ms <= 6000
    assert probed_seconds(media_path(note.storage_name)) is None  # MediaRecorder's WebM states no length...
    timed = media_path(stored_file(note)[0])  # its timed copy does
    assert probed_seconds(timed) == pytest.approx(note.duration_ms / 1000, abs=0.1)

    laptop.goto(f"/workspace/campaigns/{ids['campaign']}/responses/{note.response_id}")
    shown = laptop.locator(f"#note-{note.id} .duration")
    expect(shown).to_have_text(re.compile(r"^duur 0:0[2-6]$"))  # not 0:00
    laptop.wait_for_function("() => Number.isFinite(document.querySelector('.voice-note audio')?.duration)")
    assert laptop.locator(f"#note-{note.id} audio").evaluate("audio => audio.duration") == pytest.approx(
        note.duration_ms / 1000, abs=0.15)
    with laptop.expect_download() as download:
        laptop.locator(f"#note-{note.id}").get_by_role("link", name="Downloaden", exact=True).click()
    downloaded = tmp_path / download.value.suggested_filename
    download.value.save_as(downloaded)
    assert probed_seconds(downloaded) == pytest.approx(note.duration_ms / 1000, abs=0.15)
