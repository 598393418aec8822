"""The erasure page read aloud (issue 10 §1, docs/listen-mode.md): the phone's own voice for exactly the page's
language, never another language's; the button is hidden where the phone has none."""

import pytest
from playwright.sync_api import expect

from .flows import eventually, translator

pytestmark = pytest.mark.browser

#: The phone's voices (VOICES); what the page asks them to say is kept in `window.__said`.
SAID = """
speechSynthesis.getVoices = () => VOICES;
window.__said = [];
speechSynthesis.speak = (utterance) => {
  window.__said.push([utterance.lang, utterance.text]);
  setTimeout(() => utterance.onend && utterance.onend(), 20);
};
"""


@pytest.mark.parametrize("lang", ["nl", "ar"])
def test_the_erasure_page_is_said_by_the_phones_voice_for_its_language(live_server, browser_context, lang):
    context = browser_context("nl-NL")
    voices = "[{ lang: 'en-GB', name: 'English' }, { lang: 'nl-NL', name: 'NL' }, { lang: 'ar_SA', name: 'Arabic' }]"
    context.add_init_script(SAID.replace("VOICES", voices))
    page = context.new_page()
    page.goto(f"{live_server.url}/erase?lang={lang}")
    t = translator(lang)
    speaker = page.get_by_role("button", name=t("Read aloud"))
    expect(speaker).to_be_visible()
    box = speaker.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48
    speaker.click()
    eventually(page, lambda: len(page.evaluate("() => window.__said")) >= 4)
    said = page.evaluate("() => window.__said")
    assert {voice for voice, _text in said} == {"nl-NL" if lang == "nl" else "ar_SA"}
    texts = [text for _voice, text in said]
    assert texts[0] == t("Erase my answers")
    assert texts[1].startswith(t("After answering you got a receipt code. Type it here to erase everything you "
                                 "said: your answers and your voice recordings.")[:30])
    assert any(text.startswith(t("Your receipt code")) for text in texts)
    expect(speaker).not_to_have_class("speaker playing")  # done: it shows it stopped


def test_without_a_voice_for_the_pages_language_the_erasure_page_has_no_speaker(live_server, browser_context):
    context = browser_context("tr-TR")
    context.add_init_script(SAID.replace("VOICES", "[{ lang: 'en-GB', name: 'English' }]"))
    page = context.new_page()
    page.goto(f"{live_server.url}/erase?lang=tr")
    expect(page.get_by_role("heading", name=translator("tr")("Erase my answers"))).to_be_visible()
    expect(page.locator("button[data-speak]")).to_be_hidden()  # never a wrong-language voice
    page.evaluate("() => document.querySelector('button[data-speak]').click()")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__said") == []
