"""Themes in Chromium: a coordinator makes a theme, adds it in bulk from the inbox's filters, puts it on a
resident's selected words and marks them as a quote with an Arabic translation; another coordinator approves
it, and the public results page in Arabic shows the theme's count and the quote. Each page is checked with
axe-core."""

import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.reporting.models import PublicReport
from server.themes.models import Quote, ThemeLink
from server.util import utcnow
from tests.browser.test_review_browser import assert_accessible, release, sign_in
from tests.results_data import resident, sync

pytestmark = pytest.mark.browser

LIGHT = "De straatverlichting is kapot bij de speeltuin"
ARABIC = "إنارة الشارع معطلة بجانب الملعب"

SELECT_WORDS = """(words) => {
  const element = document.querySelector("blockquote[data-fragment-source]");
  const text = element.firstChild;
  const start = text.textContent.indexOf(words);
  const range = document.createRange();
  range.setStart(text, start);
  range.setEnd(text, start + words.length);
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}"""


def test_bulk_attach_quote_approve_and_the_arabic_public_page(review_server, browser, browser_page, client, auth,
                                                               campaign, make_user, team, backend):
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    bodies = [resident(campaign, day=day, idee=LIGHT) for day in range(12)]
    bodies += [resident(campaign, language="tr", idee="Parkta bank yok") for _ in range(3)]
    sync(client, auth, bodies)
    first, second = make_user("coordinator", [team]), make_user("coordinator", [team])
    db.session.add(PublicReport(campaign_id=campaign.id, code="LICHT123", next_steps={"nl": "We repareren."},
                                published_at=utcnow()))
    campaign_id = campaign.id
    release()
    page = browser_page
    sign_in(page, review_server, first)
    # the codebook: a theme named in Dutch and Arabic
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/themes")
    page.fill("#f-name-nl", "Straatverlichting")
    page.fill("#f-name-ar", "إنارة الشوارع")
    page.click("form[action$='/themes'] button[type=submit]")
    page.wait_for_selector("[role=status]")
    assert_accessible(page)
    # in bulk, on the inbox's filters: the count first, then one click, then undo is offered
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/responses?language=nl")
    page.click(".bulk-themes button[type=submit]")
    page.wait_for_selector("#bulk-count")
    assert "12" in page.text_content("#bulk-count")
    assert_accessible(page)
    page.click("#bulk-apply")
    page.wait_for_url(re.compile(r"/themes/batches/\d+$"))
    assert "12" in page.text_content("#batch-status")
    assert page.get_by_role("button", name="Ongedaan maken").is_visible()
    assert_accessible(page)
    # on a response: select the resident's words, and the form takes them (offsets and all)
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/responses/{bodies[0]['id']}")
    page.evaluate(SELECT_WORDS, "straatverlichting is kapot")
    page.wait_for_function("document.querySelector('#theme-words').value === 'straatverlichting is kapot'")
    assert page.input_value("#theme-source").startswith("answer:")
    page.click("#theme-form button[type=submit]")
    page.wait_for_selector("#themes q")
    db.session.expire_all()
    link = db.session.scalar(select(ThemeLink).where(ThemeLink.source_kind == "answer"))
    assert (link.start_offset, link.quoted_text) == (3, "straatverlichting is kapot")
    release()
    assert_accessible(page)
    page.get_by_role("button", name="Als citaat kiezen").click()
    page.wait_for_url(re.compile(r"/quotes#quote-\d+$"))
    quote_id = db.session.scalar(select(Quote.id))
    release()
    page.fill(f"#quote-{quote_id}-ar", ARABIC)
    page.click(f"#quote-{quote_id} button:has-text('Citaat opslaan')")
    page.wait_for_selector("[role=status]")
    assert page.get_by_role("button", name="Goedkeuren: op de openbare pagina zetten").count() == 0
    assert_accessible(page)
    # a second coordinator approves
    other = browser.new_context(locale="nl-NL")
    try:
        approver = other.new_page()
        sign_in(approver, review_server, second)
        approver.goto(f"{review_server}/workspace/campaigns/{campaign_id}/quotes")
        approver.get_by_role("button", name="Goedkeuren: op de openbare pagina zetten").click()
        approver.wait_for_selector(f"#quote-{quote_id} .badge.published")
    finally:
        other.close()
    # the public page in Arabic: the theme with its count, and the quote in Arabic
    page.goto(f"{review_server}/r/LICHT123?lang=ar")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.text_content(".public-quotes blockquote").strip() == ARABIC
    row = page.text_content("#themes-table tbody tr")
    assert "إنارة الشوارع" in row and re.search(r"12|١٢", row)
    assert_accessible(page)


def test_words_of_a_transcript_chosen_with_the_keyboard_alone(review_server, browser_page, campaign, coordinator,
                                                              voiced_response, backend):
    if backend != "sqlite":
        pytest.skip("browser tests run on SQLite")
    from server.themes.models import Theme
    from server.voice.models import VoiceNote

    response_id, note_id = voiced_response
    db.session.get(VoiceNote, note_id).transcript = "Parkta daha fazla bank olsun"
    db.session.add(Theme(campaign_id=campaign.id, name={"nl": "Bankjes"}, description={}, colour="#336699"))
    campaign_id = campaign.id
    page = browser_page
    sign_in(page, review_server, coordinator)  # ends the test's own transaction first
    page.goto(f"{review_server}/workspace/campaigns/{campaign_id}/responses/{response_id}")
    # Shift and the arrow keys select the last word in the transcript box; the theme form takes it
    page.focus(f"#transcript-{note_id}")
    page.keyboard.press("End")
    for _ in range(len("olsun")):
        page.keyboard.press("Shift+ArrowLeft")
    page.wait_for_function("document.querySelector('#theme-words').value === 'olsun'")
    assert page.input_value("#theme-source") == f"transcript:{note_id}"
    assert "olsun" in page.text_content("#theme-selection")
    # and the words can be typed instead: Enter in the field adds the theme
    page.fill("#theme-words", "")
    page.focus("#theme-words")
    page.keyboard.type("fazla bank")
    page.keyboard.press("Enter")
    page.wait_for_selector("#themes q")
    db.session.expire_all()
    link = db.session.scalar(select(ThemeLink))
    assert (link.source_kind, link.quoted_text, link.start_offset) == ("transcript", "fazla bank", 12)
    release()
