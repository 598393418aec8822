"""The whole path, walked as its users: a coordinator enrols a phone with a default source; the phone collects
three interviews offline and sends them when it is back online; every status on the phone and on the Phones page
is right; the coordinator sees the source in the results. (Issue 12, §8; the lead adds the flyer PDF, the
resident's visit and the voice notes' durations.)"""

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from server.campaigns.models import Source
from server.devices.models import Device
from server.extensions import db
from server.responses.models import Response
from server.voice.models import VoiceNote

from .flows import answer_demo_in_dutch, eventually, wait_until_offline_ready
from .test_workspace import coordinator, ids, live_server, settled, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SOURCE = "Deur-aan-deur team 1"


@pytest.fixture
def browser_pages(browser, live_server):  # noqa: F811 (the workspace's live server)
    """The coordinator's laptop and the field worker's phone: two browsers of their own."""
    contexts = []

    def make(**kwargs):
        context = browser.new_context(locale="nl-NL", permissions=["microphone"], base_url=live_server, **kwargs)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


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


def test_enrol_collect_offline_sync_and_see_every_status_and_source(browser_pages, coordinator, ids):  # noqa: F811
    laptop = browser_pages(viewport={"width": 1280, "height": 900})
    sign_in(laptop, coordinator)
    link = enrol_phone_with_source(laptop)

    phone = browser_pages(viewport={"width": 390, "height": 844})
    phone.goto(link)
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
    strip = phone.locator("#status-strip .waiting")
    expect(strip).to_have_text(re.compile(r"^Klaar om te versturen: 3 antwoorden, 1 opname \([\d,]+ kB\)$"))
    phone.locator("#status-strip .status-button").click()
    state = phone.locator("section.status .sync-state")
    expect(state.locator(".lead")).to_have_text(re.compile(r"3 antwoorden, 1 opname \([\d,]+ kB\)"))
    expect(state.locator(".notice.error")).to_contain_text("Geen verbinding")

    phone.context.set_offline(False)  # back online, the "send and rescue" screen still open
    expect(state.locator(".lead")).to_have_text("Alles is verstuurd", timeout=30_000)
    expect(state.locator(".notice.error")).to_have_count(0)
    expect(strip).to_have_text("Alles is verstuurd")

    def reported_nothing():
        found = settled(lambda: db.session.get(Device, device.id))
        return found.status_reported_at is not None and not (found.pending_responses or found.pending_voice_notes)

    eventually(phone, reported_nothing)
    row = phones_row(laptop, device.id)
    assert "niets" in row and "gemeld " in row and SOURCE in row
    assert "antwoord" not in row  # no longer "Still on the phone: 3 answers, 1 voice note"

    source_id = settled(lambda: db.session.scalars(select(Source.id).where(Source.name == SOURCE)).one())
    responses = settled(lambda: db.session.scalars(select(Response)).all())
    assert len(responses) == 3 and {r.source_id for r in responses} == {source_id}
    assert {r.channel for r in responses} == {"door_to_door"}
    assert settled(lambda: db.session.scalars(select(VoiceNote.state)).all()) == ["complete"]

    laptop.goto(f"/workspace/campaigns/{ids['campaign']}/results")
    by_source = laptop.locator("section.group-result", has=laptop.get_by_role("heading", name="Flyer of team"))
    expect(by_source).to_contain_text(SOURCE)
    expect(by_source).not_to_contain_text("Geen flyer of team")
