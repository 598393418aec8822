"""The field worker's phone tells the truth: every status follows the outbox, sizes read right, no empty strips."""

import re

import pytest
from playwright.sync_api import expect

from server.responses.models import Response

from .flows import answer_demo_in_dutch, enrol, wait_until_offline_ready
from .server_state import count
from .test_field_app import enrolment_code

pytestmark = pytest.mark.browser
STATE = "section.status"


def collect_three_offline(page, voice_seconds: float) -> None:
    page.context.set_offline(True)
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    answer_demo_in_dutch(page, idea="Meer bankjes", voice_seconds=voice_seconds)
    for idea in ("Een moestuin", "Meer licht"):
        page.get_by_role("button", name="Volgende bewoner", exact=True).click()
        answer_demo_in_dutch(page, idea=idea)


def test_the_sending_screen_follows_the_outbox_when_the_phone_comes_online(live_app, live_server, context):
    page = context.new_page()
    enrol(page, live_server.url, enrolment_code(live_app))
    wait_until_offline_ready(page)
    collect_three_offline(page, voice_seconds=5)
    page.locator("#status-strip .status-button").click()
    expect(page.get_by_role("heading", name="Versturen en redden")).to_be_visible()
    lead = page.locator(f"{STATE} .lead")
    expect(lead).to_contain_text("3 antwoorden, 1 opname (")
    # a five-second note and three answers are some tens of kilobytes, never "0,0 MB"
    expect(lead).to_have_text(re.compile(r"\([\d,]+ kB\)$"))
    expect(page.locator("#status-strip .waiting")).to_have_text(re.compile(r"\([\d,]+ kB\)$"))
    expect(page.locator(f"{STATE} .notice.error")).to_contain_text("Geen verbinding")
    expect(page.locator(STATE)).to_contain_text("Nog niets verstuurd")

    context.set_offline(False)  # the screen stays open: the phone sends everything by itself
    expect(lead).to_have_text("Alles is verstuurd", timeout=30000)
    expect(page.locator(f"{STATE} .notice.error")).to_have_count(0)
    expect(page.locator(STATE)).to_contain_text("Laatst verstuurd:")
    expect(page.locator("#status-strip .waiting")).to_have_text("Alles is verstuurd")
    expect(page.get_by_role("heading", name="Versturen en redden")).to_be_focused()  # redrawn in place
    assert count(Response) == 3


def test_the_offline_welcome_screen_shows_no_empty_banner(live_server, context):
    page = context.new_page()
    page.goto(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", name="Welkom bij Wijkstem")).to_be_visible()
    wait_until_offline_ready(page)
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Welkom bij Wijkstem")).to_be_visible()
    banners = page.locator("#update-banner, #preview-band, #status-strip .sync-error")
    for index in range(banners.count()):
        expect(banners.nth(index)).to_be_hidden()
    # no coloured strip without words anywhere around the screen
    empty_strips = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((el) => !el.closest('main, svg') && el.getBoundingClientRect().height > 4
                && !el.textContent.trim() && !el.querySelector('select, button, input, svg')
                && getComputedStyle(el).backgroundColor !== 'rgba(0, 0, 0, 0)')
        .map((el) => el.id || el.className)""")
    assert empty_strips == []


def test_the_worker_changes_the_days_route_and_answers_carry_it(live_app, live_server, context):
    from server.campaigns.models import Source
    from server.demo import ensure_demo
    from server.devices.operations import make_enrolment_code
    from server.extensions import db

    team, campaign = ensure_demo()
    default = db.session.query(Source).filter_by(campaign_id=campaign.id, kind="door_to_door").one()
    other = create_route(campaign, "Route Zuid")
    code = make_enrolment_code(team, "Telefoon Route", default)
    db.session.commit()
    default_id, other_id = default.id, other.id
    db.session.rollback()  # SQLite: no transaction of ours may hold the server's writes up

    page = context.new_page()
    enrol(page, live_server.url, code)
    route = page.get_by_label("Route of team van vandaag")
    expect(route.locator("option:checked")).to_have_text("Deur-aan-deur team 1")
    route.select_option(label="Route Zuid")
    page.wait_for_function("""async () => {
        const { setting } = await import('/app/js/db.js');
        return Object.values((await setting('routes')) || {}).some((route) => route.code);
    }""")
    page.reload()  # the day's choice is kept on the phone
    expect(page.get_by_label("Route of team van vandaag").locator("option:checked")).to_have_text("Route Zuid")
    page.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    answer_demo_in_dutch(page, idea="Zebrapad")
    page.get_by_role("button", name="Volgende bewoner", exact=True).click()  # the same route for the next one
    answer_demo_in_dutch(page, idea="Bankjes")
    expect(page.locator("#status-strip .waiting")).to_have_text("Alles is verstuurd", timeout=30000)
    assert sources_of_responses() == [other_id, other_id]
    assert default_id != other_id


def create_route(campaign, name):
    from server.campaigns.operations import create_source

    return create_source(campaign, name, "door_to_door")


def sources_of_responses() -> list:
    from sqlalchemy import select

    from .server_state import fetch_all

    return [r.source_id for r in fetch_all(select(Response).order_by(Response.id))]
