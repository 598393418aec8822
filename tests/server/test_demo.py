"""The demo campaign reads as a real one would (issue 12)."""

import json

from server.demo import DEMO_DEFINITION
from server.demo_audio.make import HERE, MANIFEST
from server.i18n import catalog_json
from server.voicepacks.operations import text_hash


def test_the_thank_you_text_does_not_repeat_the_screens_heading():
    """The receipt screen's heading is "Thank you!"; the campaign's text under it says what happens next."""
    for lang, text in DEMO_DEFINITION["thanks"].items():
        heading = (catalog_json(lang).get("Thank you!") or "Thank you!").rstrip("!！ ")
        assert heading.casefold() not in text.casefold(), lang
        assert not text.casefold().startswith(("thank", "dank", "teşekkür", "شكر")), lang


def test_the_demo_clips_of_the_thank_you_text_say_the_text_of_today():
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for lang, text in DEMO_DEFINITION["thanks"].items():
        assert manifest[lang]["thanks"] == text_hash(text), lang
        assert (HERE / lang / "thanks.ogg").is_file()
