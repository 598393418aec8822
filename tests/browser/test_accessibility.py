"""axe-core on every screen of the field app: no serious or critical violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .flows import ANSWERS_CONSENT, AUDIO_CONSENT, NEXT, SKIP, enrol
from .test_field_app import enrolment_code

pytestmark = pytest.mark.browser
AXE = Axe()


def serious_violations(page: Page) -> list[str]:
    results = AXE.run(page)
    assert results.response["passes"], "axe-core did not run"
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['html'][:120]})"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


class Audit:
    """Runs axe on each screen visited and collects what it finds, by screen."""

    def __init__(self, page: Page):
        self.page, self.found, self.screens = page, {}, []

    def check(self, name: str) -> None:
        self.page.wait_for_timeout(150)  # let the screen settle (focus, live regions)
        self.screens.append(name)
        problems = serious_violations(self.page)
        if problems:
            self.found[name] = problems


def test_every_screen_of_a_flyer_visit_and_of_the_field_app_passes_axe(live_app, live_server, browser_context,
                                                                       flyer_code):
    page = browser_context("nl-NL").new_page()
    audit = Audit(page)
    page.goto(f"{live_server.url}/app/")
    expect(page.get_by_role("heading", name="Welkom bij Wijkstem")).to_be_visible()
    audit.check("welcome")
    page.goto(f"{live_server.url}/app/#flyer=ZZZZZZ")
    expect(page.get_by_role("heading", name="Peiling niet gevonden")).to_be_visible()
    audit.check("unknown flyer")

    page.goto(f"{live_server.url}/f/{flyer_code}")
    expect(page.get_by_role("button", name="Beginnen", exact=True)).to_be_visible()
    audit.check("intro")
    page.get_by_role("button", name="Beginnen", exact=True).click()
    page.get_by_role("button", name=NEXT, exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    audit.check("consent, with its error")
    page.get_by_role("group", name=ANSWERS_CONSENT).get_by_role("radio", name="Ja").check()
    page.get_by_role("group", name=AUDIO_CONSENT, exact=False).get_by_role("radio", name="Ja").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    audit.check("smiley question")
    page.get_by_role("button", name=NEXT, exact=True).click()
    audit.check("required question, unanswered")
    page.get_by_role("button", name="Zeg het liever").click()
    audit.check("say it instead")
    page.get_by_role("button", name="Toch liever tikken").click()
    page.get_by_role("radio", name="Tevreden", exact=True).check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    for name in ("single choice with pictograms", "multiple choice", "yes/no", "number", "short text"):
        audit.check(name)
        page.get_by_role("button", name=SKIP, exact=True).click()
    audit.check("voice-only question")
    page.get_by_role("button", name="Begin met opnemen").click()
    expect(page.get_by_role("button", name="Stop met opnemen")).to_be_visible()
    audit.check("recording")
    page.get_by_role("button", name="Stop met opnemen").click()
    expect(page.locator("audio")).to_be_visible()
    audit.check("listen back")
    page.get_by_role("button", name=NEXT, exact=True).click()
    audit.check("about you")
    page.get_by_role("button", name="Versturen", exact=True).click()
    expect(page.get_by_role("heading", name="Dank je wel!")).to_be_visible()
    audit.check("receipt")
    page.locator("#status-strip button").click()
    expect(page.get_by_role("heading", name="Versturen en redden")).to_be_visible()
    audit.check("sending and rescue")
    page.get_by_role("button", name="Terug", exact=True).click()
    page.get_by_role("button", name="Beginnen", exact=True).click()
    page.get_by_role("group", name=ANSWERS_CONSENT).get_by_role("radio", name="Nee").check()
    page.get_by_role("group", name=AUDIO_CONSENT, exact=False).get_by_role("radio", name="Nee").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    expect(page.get_by_text("Er is niets bewaard.")).to_be_visible()
    audit.check("no consent")

    page.get_by_role("combobox", name="Taal").select_option("ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    audit.check("intro in Arabic")

    field = browser_context("nl-NL").new_page()
    audit.page = field
    field.goto(f"{live_server.url}/app/#enrol=NOTVALID99")
    expect(field.get_by_role("alert")).to_be_visible()
    audit.check("enrolment refused")
    enrol(field, live_server.url, enrolment_code(live_app))
    audit.check("campaigns")
    field.get_by_role("button", name="Nieuwe bewoner", exact=True).click()
    audit.check("field intro")

    assert len(audit.screens) >= 20
    assert audit.found == {}
