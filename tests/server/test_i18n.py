"""The catalogs: the template lists every message of the code, and Dutch (the default) translates them all."""

import re

import pytest
from babel.messages.pofile import read_po

from server import i18n_tools
from server.i18n import LANGUAGES
from server.paths import TRANSLATIONS_DIR

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def read_catalog(path):
    with path.open("rb") as handle:
        return read_po(handle)


def message_ids(catalog) -> set[str]:
    return {message.id for message in catalog if message.id}


def test_template_lists_every_message_in_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    i18n_tools.extract(fresh)
    assert message_ids(read_catalog(fresh)) == message_ids(read_catalog(i18n_tools.POT)), \
        "run `wijkstem i18n extract` and `wijkstem i18n update`"


def test_dutch_catalog_translates_every_message_with_the_same_placeholders():
    template = read_catalog(i18n_tools.POT)
    dutch = read_catalog(TRANSLATIONS_DIR / "nl" / "LC_MESSAGES" / "messages.po")
    for message in template:
        if not message.id:
            continue
        translated = dutch.get(message.id)
        assert translated is not None and translated.string and not translated.fuzzy, message.id
        assert sorted(PLACEHOLDER.findall(translated.string)) == sorted(PLACEHOLDER.findall(message.id)), \
            message.id
        assert "%(" not in translated.string


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
