"""No synthetic italics: Arabic and Ethiopic have no italic letters, so texts in Arabic and Tigrinya are never
slanted, in the workspace (question editor, studio) or on a flyer (issue 12)."""

import pytest

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="{page}"><head>
<link rel="stylesheet" href="/static/workspace/workspace.css"><link rel="stylesheet" href="/static/workspace/flyer.css">
</head><body>
<p class="prompt-text" lang="nl" dir="auto">Hoe fijn woon je in de buurt?</p>
<p class="prompt-text" lang="ar" dir="auto">ما مدى رضاك عن السكن في الحي؟</p>
<p class="prompt-text" lang="ti" dir="ltr">ኣብ ከባቢኹም ምንባር ክንደይ ይፈትዉ፧</p>
<p class="prompt-text" lang="uk" dir="ltr">Як вам живеться в районі?</p>
<section lang="ar" dir="rtl"><p class="flyer-anonymous">مجهول</p></section>
<section lang="ti" dir="ltr"><p class="flyer-anonymous">ስም ኣይሕተትን</p></section>
<section lang="tr" dir="ltr"><p class="flyer-anonymous">İsim sorulmaz</p></section>
</body></html>"""

STYLES = """() => [...document.querySelectorAll("p")].map((p) => [p.className, p.closest("[lang]").lang,
    getComputedStyle(p).fontStyle])"""


@pytest.mark.parametrize("page_language", ["nl", "ar"])
def test_arabic_and_tigrinya_are_never_slanted_and_other_scripts_keep_their_italics(live_server, browser_context,
                                                                                     page_language):
    page = browser_context("nl-NL").new_page()
    page.goto(f"{live_server.url}/static/workspace/workspace.css")  # the server's origin for the stylesheets
    page.set_content(PAGE.format(page=page_language))
    page.wait_for_function("() => document.styleSheets.length === 2 && [...document.styleSheets].every((s) => "
                           "s.cssRules.length > 0)")
    assert page.evaluate(STYLES) == [
        ["prompt-text", "nl", "italic"], ["prompt-text", "ar", "normal"], ["prompt-text", "ti", "normal"],
        ["prompt-text", "uk", "italic"], ["flyer-anonymous", "ar", "normal"], ["flyer-anonymous", "ti", "normal"],
        ["flyer-anonymous", "tr", "italic"]]
