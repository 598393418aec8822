"""Right-to-left in the server's pages: Arabic pages say dir="rtl", text someone typed is isolated, codes and
addresses stay left-to-right, and no stylesheet uses physical left/right."""

import re
from pathlib import Path

import pytest

from server.extensions import db
from server.paths import PACKAGE_DIR, PWA_DIR
from server.teams.models import Team

ARABIC_TEAM = "فريق الحي"


@pytest.fixture
def arabic_browser(web_as, make_user):
    team = Team(slug="fariq", name=ARABIC_TEAM, kind="initiative")
    db.session.add(team)
    db.session.commit()
    user = make_user("admin", [team], email="admin@example.org")
    user.language, user.name = "ar", "سلمى"
    db.session.commit()
    return web_as(user), team


def html_of(reply) -> str:
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def test_workspace_in_arabic_is_right_to_left_and_isolates_names(arabic_browser):
    browser, team = arabic_browser
    dashboard = html_of(browser.get("/workspace/"))
    assert '<html lang="ar" dir="rtl">' in dashboard
    assert f"<bdi>{ARABIC_TEAM}</bdi></h2>" in dashboard
    devices = html_of(browser.get(f"/workspace/devices/?team={team.id}"))
    assert f"<bdi>{ARABIC_TEAM}</bdi>" in re.search(r"<h1>.*?</h1>", devices).group(0)
    account = html_of(browser.get("/workspace/account"))
    assert "<dd><bdi>admin@example.org</bdi></dd>" in account and "<bdi>سلمى</bdi>" in account
    assert re.search(r'<input id="f-current_password"[^>]* dir="ltr"', account)


def test_typed_text_fields_follow_what_is_typed_and_addresses_stay_left_to_right(arabic_browser):
    browser, team = arabic_browser
    users = html_of(browser.get("/workspace/admin/users/new"))
    assert re.search(r'<input id="f-email"[^>]* type="email"[^>]* dir="ltr"', users)
    assert re.search(r'<input id="f-name"[^>]* type="text"[^>]* dir="auto"', users)
    devices = html_of(browser.get(f"/workspace/devices/?team={team.id}"))
    assert re.search(r'<input id="f-label"[^>]* dir="auto"', devices)


PHYSICAL = re.compile(r"(?<![\w-])(margin|padding|border)-(left|right)\b|(?<![\w-])(left|right)\s*:|"
                      r"text-align:\s*(left|right)|float:\s*(left|right)")


@pytest.mark.parametrize("stylesheet", sorted([*PWA_DIR.glob("css/*.css"), *(PACKAGE_DIR / "static").rglob("*.css")]),
                         ids=lambda path: path.name)
def test_stylesheets_use_logical_properties_so_arabic_mirrors(stylesheet: Path):
    assert PHYSICAL.findall(stylesheet.read_text(encoding="utf-8")) == []
