"""The language table in `translations/languages.json`: checked when loaded, and a language added there (with
its catalog) appears everywhere without a change to the code."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from server.languages import LANGUAGES_FILE, load_languages
from server.paths import TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]


def entries() -> list[dict]:
    return json.loads(LANGUAGES_FILE.read_text(encoding="utf-8"))


def write(tmp_path, table) -> Path:
    path = tmp_path / "languages.json"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_twelve_languages_in_picker_order():
    languages = load_languages()
    assert list(languages) == ["nl", "en", "tr", "ar", "rif", "pl", "uk", "so", "ti", "pap", "srn", "fy"]
    assert [code for code, language in languages.items() if language.direction == "rtl"] == ["ar"]
    assert {code for code, language in languages.items() if language.workspace} == {"nl", "en", "tr", "ar", "pl",
                                                                                    "uk"}
    assert not any(language.reviewed for language in languages.values())  # nobody has reviewed one yet


@pytest.mark.parametrize("change, problem", [
    ({"dir": "sideways"}, "dir"),
    ({"format_locale": "xx_YY"}, "CLDR has no locale"),
    ({"code": "Dutch"}, "code"),
    ({"name": ""}, "name"),
    ({"code": "en"}, "listed twice"),
])
def test_a_broken_language_table_is_refused_with_the_reason(tmp_path, change, problem):
    table = entries()
    table[2] = {**table[2], **change}
    with pytest.raises(ValueError, match=problem):
        load_languages(write(tmp_path, table))


def test_dutch_and_english_cannot_be_left_out(tmp_path):
    with pytest.raises(ValueError, match="Dutch"):
        load_languages(write(tmp_path, [e for e in entries() if e["code"] != "en"]))
    with pytest.raises(ValueError, match=r"languages\.json"):
        load_languages(tmp_path / "languages.json")


NEW_LANGUAGE = {"code": "ary", "name": "الدارجة", "english_name": "Moroccan Arabic", "dir": "rtl",
                "format_locale": "ar_MA"}

CHECK = """
import json
from server import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
client = app.test_client()
table = client.get("/app/i18n/languages.json").json["languages"]
sign_in = client.get("/workspace/sign-in?lang=ary").get_data(as_text=True)
print(json.dumps({"entry": [e for e in table if e["code"] == "ary"], "catalog": client.get("/app/i18n/ary.json").json,
                  "page": sign_in[:sign_in.index(">", 20)], "option": 'value="ary"' in sign_in,
                  "translated": "دخول" in sign_in}))
"""


def run(args: list[str], folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WIJKSTEM_TRANSLATIONS_DIR": str(folder), "PYTHONPATH": str(ROOT), "FLASK_APP": "server"}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=True)


@pytest.mark.slow
def test_a_language_is_added_with_a_table_entry_and_a_catalog_and_no_code(tmp_path):
    """Moroccan Arabic: an entry in languages.json, `wijkstem i18n update --lang ary`, a translation."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS_DIR, folder, ignore=shutil.ignore_patterns("*.mo"))
    write(folder, [*entries(), NEW_LANGUAGE])
    run(["-m", "flask", "i18n", "update", "--lang", "ary"], folder)
    po_path = folder / "ary" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    catalog.get("Start").string = "بدا"
    catalog.get("Sign in").string = "دخول"
    with po_path.open("wb") as handle:
        write_po(handle, catalog)

    seen = json.loads(run(["-c", CHECK], folder).stdout)
    assert seen["entry"] == [{"code": "ary", "name": "الدارجة", "dir": "rtl", "format": "ar-MA", "reviewed": False,
                              "complete": 0}]
    # the app gets the resident-facing messages, and the catalog's plural rule under ""
    assert seen["catalog"] == {"": {"nplurals": 2, "plural": "(n != 1)"}, "Start": "بدا"}
    assert seen["page"].startswith('<!doctype html>\n<html lang="ary" dir="rtl"') and seen["option"]
    assert seen["translated"]  # the workspace's sign-in page speaks it too
    stats = run(["-m", "flask", "i18n", "stats"], folder).stdout
    assert re.search(r"^ary +Moroccan Arabic +1/\d+ \(0%\) +1/\d+ \(0%\) +no$", stats, flags=re.M), stats
