"""A coordinator searches what residents said in Chromium: types words in the inbox's search box, sees the
matches in context (marked, also in Arabic), narrows the search by a filter, opens a result at its answer,
and pages through the results with the search kept. Each page is checked with axe-core."""

import re

import pytest

from tests.browser.test_review_browser import assert_accessible, release, sign_in
from tests.factories import response_body

pytestmark = pytest.mark.browser


def saying(campaign, words: str, **overrides) -> dict:
    body = response_body(campaign, **overrides)
    body["answers"] = [a if a["question"] != "idee" else {"question": "idee", "value": words}
                       for a in body["answers"]]
    return body


def test_search_the_inbox_and_open_a_result(review_server, browser_page, campaign, coordinator, sync, backend):
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    lamp, arabic, other = sync(saying(campaign, "De straatlantaarn bij het plein is al weken kapot"),
                               saying(campaign, "الإنارة في الشارع معطلة", language="ar"),
                               saying(campaign, "Meer groen in de straat", language="tr"))
    campaign_id = campaign.id
    page = browser_page
    sign_in(page, review_server, coordinator)
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/responses")
    page.fill("#f-q", "kapot")
    page.press("#f-q", "Enter")
    page.wait_for_url(re.compile(r"q=kapot"))
    assert page.text_content("table.inbox mark") == "kapot"
    links = page.eval_on_selector_all("table.inbox td.matches a", "links => links.map(a => a.href)")
    assert len(links) == 1 and str(lamp) in links[0] and "#answer-" in links[0]
    assert_accessible(page)
    # Arabic, right to left, found and marked in its own script
    page.fill("#f-q", "معطلة")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("table.inbox mark")
    assert page.text_content("table.inbox mark") == "معطلة"
    assert str(arabic) in page.eval_on_selector("table.inbox td.matches a", "a => a.href")
    # a search combined with a filter: a prefix over two languages, then only Turkish
    page.fill("#f-q", "straat*")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("table.inbox td.matches")
    assert len(page.query_selector_all("table.inbox td.matches")) == 2
    page.select_option("#f-language", "tr")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"language=tr"))
    hrefs = page.eval_on_selector_all("table.inbox td.matches a", "links => links.map(a => a.href)")
    assert len(hrefs) == 1 and str(other) in hrefs[0]
    # open the result: the response page, scrolled to the answer that matched
    page.click("table.inbox td.matches a")
    page.wait_for_url(re.compile(f"/responses/{other}"))
    target = page.evaluate("location.hash").lstrip("#")
    assert target.startswith("answer-")
    assert page.evaluate(f"document.getElementById('{target}').textContent") == "Meer groen in de straat"
    assert page.evaluate("document.querySelector(':target') !== null")
    assert_accessible(page)
    release()
