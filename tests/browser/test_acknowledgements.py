"""Only an explicit, well-formed acknowledgement removes a response from the phone (Enketo's lesson)."""

import json

import pytest
from playwright.sync_api import expect

from server.responses.models import Response

from .flows import ANSWERS_CONSENT, AUDIO_CONSENT, NEXT, SKIP
from .server_state import count

pytestmark = pytest.mark.browser
WAITING = "#status-strip .waiting"


def queue_short_response(page) -> None:
    page.get_by_role("button", name="Beginnen", exact=True).click()
    page.get_by_role("group", name=ANSWERS_CONSENT).get_by_role("radio", name="Ja").check()
    page.get_by_role("group", name=AUDIO_CONSENT, exact=False).get_by_role("radio", name="Nee").check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    page.get_by_role("radio", name="Gaat wel", exact=True).check()
    page.get_by_role("button", name=NEXT, exact=True).click()
    for _ in range(5):
        page.get_by_role("button", name=SKIP, exact=True).click()
    page.get_by_role("button", name="Versturen", exact=True).click()


def answer_with(body, attempts: list):
    """A stand-in for whatever sits between phone and server (a captive portal, a broken proxy)."""

    def handle(route):
        attempts.append(json.loads(route.request.post_data)["responses"][0]["id"])
        route.fulfill(status=200, content_type=body[0], body=body[1](attempts[-1]))

    return handle


def send_now(page) -> None:
    page.get_by_role("button", name="Nu versturen", exact=True).click()
    expect(page.get_by_text("Bezig met versturen…")).to_have_count(0)


def test_only_explicit_acknowledgements_empty_the_outbox_and_refusals_are_kept_and_shown(
        live_server, browser_context, flyer_code):
    context = browser_context("nl-NL")
    page = context.new_page()
    attempts = []
    portal = answer_with(("text/html", lambda _id: "<html><body>Welkom op de wifi</body></html>"), attempts)
    context.route("**/api/v1/sync", portal)
    page.goto(f"{live_server.url}/f/{flyer_code}")
    queue_short_response(page)
    expect(page.locator("#status-strip .sync-error")).to_contain_text("misschien een inlogpagina van de wifi")
    expect(page.locator(WAITING)).to_contain_text("1 antwoord,")

    page.locator("#status-strip button").click()
    context.unroute("**/api/v1/sync")
    stranger = "01900000-0000-7000-8000-000000000000"
    other_id = answer_with(("application/json", lambda _id: json.dumps(
        {"results": [{"index": 0, "id": stranger, "status": "created"}]})), attempts)
    context.route("**/api/v1/sync", other_id)
    send_now(page)
    expect(page.locator(WAITING)).to_contain_text("1 antwoord,")

    context.unroute("**/api/v1/sync")
    refusal = {"code": "conflict", "field": "id", "message": "Er is al een ander antwoord met deze id."}
    conflict = answer_with(("application/json", lambda response_id: json.dumps({"results": [
        {"index": 0, "id": response_id, "status": "conflict", "errors": [refusal]}]})), attempts)
    context.route("**/api/v1/sync", conflict)
    send_now(page)
    expect(page.get_by_role("heading", name="Niet aangenomen door de server")).to_be_visible()
    expect(page.get_by_text("Er is al een ander antwoord met deze id.")).to_be_visible()
    expect(page.locator(WAITING)).to_contain_text("1 antwoord,")
    assert len(set(attempts)) == 1 and len(attempts) >= 3
    assert count(Response) == 0

    context.unroute("**/api/v1/sync")
    send_now(page)
    expect(page.locator(WAITING)).to_have_text("Alles is verstuurd")
    expect(page.get_by_role("heading", name="Niet aangenomen door de server")).to_have_count(0)
    assert count(Response) == 1


def test_backoff_doubles_up_to_five_minutes(live_server, browser_context):
    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/app/")
    delays = page.evaluate("async () => { const { backoffSeconds } = await import('/app/js/sync-loop.js'); "
                           "return [1, 2, 3, 4, 5, 8, 9, 12].map(backoffSeconds); }")
    assert delays == [2, 4, 8, 16, 32, 256, 300, 300]
