"""The catalogs: the template lists every message of the code, every catalog compiles and keeps the
placeholders, resident-facing messages are translated in every language, the workspace where it is promised."""

import gettext
import io

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from server import i18n_status, i18n_tools
from server.i18n import LANGUAGES
from server.paths import TRANSLATIONS_DIR

PLACEHOLDER = i18n_status.PLACEHOLDER
CATALOGS = sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/messages.po"))


def read_catalog(path):
    with path.open("rb") as handle:
        return read_po(handle)


def message_ids(catalog) -> set[str]:
    return {message.id for message in catalog if message.id}


def test_template_and_resident_list_hold_every_message_in_the_code(tmp_path):
    fresh, resident = tmp_path / "messages.pot", tmp_path / "resident-msgids.txt"
    i18n_tools.extract(fresh, resident)
    assert message_ids(read_catalog(fresh)) == message_ids(read_catalog(i18n_tools.POT)), \
        "run `wijkstem i18n extract` and `wijkstem i18n update`"
    assert i18n_status.read_resident_msgids(resident) == i18n_status.read_resident_msgids(), \
        "run `wijkstem i18n extract` (resident-sources.txt or a resident-facing file changed)"


def test_status_file_tells_the_current_state(tmp_path):
    assert i18n_status.STATUS_FILE.read_text(encoding="utf-8") == \
        i18n_status.status_markdown(i18n_status.all_statuses()), "run `wijkstem i18n stats --write`"


def test_every_catalog_is_a_listed_language():
    assert {path.parent.parent.name for path in CATALOGS} <= set(LANGUAGES) - {"en"}


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_catalog_compiles_and_loads(po_path):
    with po_path.open("rb") as handle:
        catalog = read_po(handle, abort_invalid=True)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    translations = gettext.GNUTranslations(compiled)
    for message in catalog:
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
            assert translations.gettext(message.id) == message.string


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda path: path.parent.parent.name)
def test_every_translation_keeps_exactly_the_placeholders_of_its_message(po_path):
    """Same names, same count; and it formats where the message id does (a stray brace would be a 500)."""
    assert i18n_status.placeholder_problems(read_catalog(po_path)) == []


@pytest.mark.parametrize("translation", ["Vraag {nummer} van {total}", "Vraag {number}",
                                         "Vraag {number} {number} van {total}", "Vraag %(number)s van {total}",
                                         "Vraag {number} van {total} {"])
def test_a_translation_that_loses_or_renames_a_placeholder_is_found(translation):
    catalog = Catalog(locale="nl")
    catalog.add("Question {number} of {total}", translation)
    catalog.add("Back", "Terug")
    assert i18n_status.placeholder_problems(catalog) == [("Question {number} of {total}", translation)]


def untranslated(missing) -> str:
    missing = sorted(missing)
    return f"{len(missing)} untranslated, for example {missing[:3]}"


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_no_resident_facing_message_is_missing_from_any_language(code):
    missing = i18n_status.language_status(code).missing_resident
    assert not missing, untranslated(missing)


@pytest.mark.parametrize("code", [code for code, language in LANGUAGES.items() if language.workspace])
def test_the_workspace_is_complete_where_it_is_promised(code):
    missing = (i18n_status.template_msgids() - i18n_status.read_resident_msgids()
               - i18n_status.translated_msgids(code))
    assert not missing, untranslated(missing)


def test_dutch_catalog_translates_every_message_with_the_same_placeholders():
    template = read_catalog(i18n_tools.POT)
    dutch = read_catalog(TRANSLATIONS_DIR / "nl" / "LC_MESSAGES" / "messages.po")
    for message in template:
        if not message.id:
            continue
        translated = dutch.get(message.id)
        assert translated is not None and translated.string and not translated.fuzzy, message.id
        forms = [translated.string] if isinstance(message.id, str) else list(translated.string)
        assert len(forms) == dutch.num_plurals or isinstance(message.id, str), message.id
        for form in forms:
            assert form and sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(i18n_status.message_key(
                message))), message.id
            assert "%(" not in form


def test_update_makes_a_catalog_for_every_language_but_english(tmp_path):
    i18n_tools.update(directory=tmp_path)
    made = {path.parent.parent.name for path in tmp_path.glob("*/LC_MESSAGES/messages.po")}
    assert made == set(LANGUAGES) - {"en"}
    sranan = read_catalog(tmp_path / "srn" / "LC_MESSAGES" / "messages.po")  # a locale CLDR lacks
    assert message_ids(sranan) == message_ids(read_catalog(i18n_tools.POT))


def test_update_keeps_existing_translations(tmp_path):
    target = tmp_path / "nl" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    target.write_bytes((TRANSLATIONS_DIR / "nl" / "LC_MESSAGES" / "messages.po").read_bytes())
    i18n_tools.update(("nl",), tmp_path)
    assert read_catalog(target).get("This poll has closed.").string == "Deze peiling is gesloten."


@pytest.mark.parametrize("code", ["en", "xx"])
def test_update_refuses_languages_without_a_catalog(code):
    with pytest.raises(ValueError, match=code):
        i18n_tools.catalog_codes((code,))


# --- which messages a resident can see ---------------------------------------------------------------

def test_resident_facing_messages_are_the_ones_a_resident_can_see():
    resident = i18n_status.read_resident_msgids()
    assert {"Start", "Question {number} of {total}", "This poll has closed.", "Please fill this in.",
            "Scan the code with your phone's camera.", "This flyer code is not known.",
            "Not a valid integer."} <= resident  # app, closed page, forms, flyer, API errors
    assert not {"Sign out", "My account", "Flyers and sources", "Give at least two choices."} & resident


def located_catalog(*messages) -> Catalog:
    catalog = Catalog()
    for msgid, path, comments in messages:
        catalog.add(msgid, locations=[(path, 1)], auto_comments=comments)
    return catalog


def test_resident_sources_are_globs_and_a_resident_comment_marks_a_single_message():
    catalog = located_catalog(("Next", "pwa/js/screens/question.js", []), ("Teams", "server/accounts/views.py", []),
                              ("fewer than {min}", "server/results/report.py", ["shown on the public page"]))
    assert i18n_tools.resident_msgids(catalog, ["pwa/js/*.js"]) == {"Next", "fewer than {min}"}
    assert i18n_tools.resident_msgids(catalog, ["server/accounts/*"]) == {"Teams", "fewer than {min}"}


def test_templates_a_resident_page_extends_or_imports_are_resident_facing_too():
    found = i18n_tools.with_referenced_templates({"server/templates/workspace/flyer.html"})
    assert found == {"server/templates/workspace/flyer.html", "server/templates/workspace/base.html"}
    catalog = located_catalog(("Skip to the content", "server/templates/workspace/base.html", []))
    assert i18n_tools.resident_msgids(catalog, ["server/templates/workspace/flyer.html"]) == {"Skip to the content"}
