"""Every catalog text a resident can hear has a voice-pack key in `pwa/js/phrases.js` (docs/listen-mode.md), so a
new resident-facing phrase cannot be added without one; and every key is played somewhere."""

import re

from babel.messages.extract import extract_from_file

from server.paths import PWA_DIR

JS = PWA_DIR / "js"
#: The modules of the resident's path: the interview's screens, the flow and the start (flyer messages).
RESIDENT_MODULES = [JS / "flow.js", JS / "main.js", JS / "speaker.js",
                    *(JS / "screens" / f"{name}.js" for name in
                      ("intro", "consent", "question", "inputs", "voice", "meta", "receipt", "message"))]
#: Not parsed: enrol.js and status.js (the field worker's), home.js (the field worker's campaigns, or the code field
#: of a phone that has no campaign yet: no campaign, so no voice pack to say anything with).

#: Texts on the resident's path that are never played, each with why.
NOT_SPOKEN = {
    # A number or a value that a recorded clip cannot say; the question itself is heard.
    "Question {number} of {total}", "Recorded: {time}", "You can talk for up to {minutes} minute.",
    # Names for screen readers only (the visible control is a pictogram, a "+" or a field).
    "Language", "Skip to the content", "Number", "One less", "One more", "Your answer", "Read aloud",
    # Said while the microphone records, a phrase would end up in the recording: `record_how` names the stop
    # before; the record button's own label is said by `record_how` too.
    "Recording…", "Stop recording", "Start recording",
    # An arrow pictogram; the screen's spoken part ends with the way forward (next, skip, send, start).
    "Back",
    # The receipt's two buttons, with pictograms: `keep_code` says what they do.
    "Save as picture", "Show big",
    # After this resident's turn: for the next person or the field worker.
    "Next resident", "Answer again for someone else", "Start again", "Back to campaigns", "Home",
    # Shown before any campaign (and so any voice pack) is on the phone: there is nothing to say them with.
    "No connection. Connect to the internet once to open this poll.", "This flyer code is not known.",
    "Poll not found", "This poll has closed", "Something went wrong",
    "Nothing that was saved is lost. Reload the page to try again.",
    # About the written translations, before the language names a clip cannot say; what listen mode plays was
    # recorded by the team's own speakers.
    "Not checked by a native speaker yet:",
    # The coordinator's preview only.
    "Preview", "This campaign could not be loaded.", "Preview: nothing was stored or sent.",
    "Preview: this is how residents see the campaign. Nothing is stored.",
}


def msgids(module) -> set[str]:
    """The msgids a module shows (a plural message by its singular)."""
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    return {message if isinstance(message, str) else message[0]
            for _line, message, _comments, _context in extract_from_file("javascript", str(module), keywords=keywords)}


def phrases() -> dict[str, str]:
    source = (JS / "phrases.js").read_text(encoding="utf-8")
    return dict(re.findall(r'^\s+(\w+): N_\("((?:[^"\\]|\\.)*)"\),?$', source, flags=re.M))


def test_phrases_parse_and_are_distinct():
    found = phrases()
    assert len(found) == (JS / "phrases.js").read_text(encoding="utf-8").count('N_("')
    assert len(set(found.values())) == len(found), "two keys for one text"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in found)
    assert not [text for text in found.values() if "{" in text], "a clip cannot say a placeholder's value"


def test_every_text_a_resident_can_hear_has_a_voice_pack_key():
    spoken = set(phrases().values())
    shown = set().union(*(msgids(module) for module in RESIDENT_MODULES))
    missing = sorted(shown - spoken - NOT_SPOKEN)
    assert not missing, f"give these a key in pwa/js/phrases.js (or say in NOT_SPOKEN why no one hears them): {missing}"
    assert not spoken & NOT_SPOKEN
    assert sorted(NOT_SPOKEN - shown) == [], "NOT_SPOKEN lists a text no resident module shows any more"


def test_every_phrase_is_played_somewhere():
    sources = "\n".join(module.read_text(encoding="utf-8") for module in RESIDENT_MODULES)
    unused = [key for key in phrases() if f'"{key}"' not in sources]
    assert not unused, f"no screen plays {unused}: remove them, or say them where they are shown"


def test_a_new_unkeyed_text_on_a_resident_screen_is_found(tmp_path):
    module = tmp_path / "screen.js"
    module.write_text('show(_("Tap here to win"), h("p", {}, _("Yes")));\n', encoding="utf-8")
    assert msgids(module) - set(phrases().values()) - NOT_SPOKEN == {"Tap here to win"}
