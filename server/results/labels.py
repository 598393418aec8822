"""What results are called: questions and choices across a campaign's versions, and names of groups."""

from babel import Locale, UnknownLocaleError
from flask_babel import gettext as _

from ..errors import N_
from ..i18n import LANGUAGES

#: The smiley scale as the field app shows it.
SMILEYS = {1: ("😠", N_("Very unhappy")), 2: ("🙁", N_("Unhappy")), 3: ("😐", N_("In between")),
           4: ("🙂", N_("Happy")), 5: ("😄", N_("Very happy"))}
CHANNEL_NAMES = {"door_to_door": N_("Door to door"), "flyer": N_("Flyer (QR code)")}
NOT_GIVEN = N_("Not given")
NO_SOURCE = N_("No flyer or team")


def pick(texts: dict | None, language: str, fallback: str) -> str:
    """The text in `language`, else in `fallback`, else any."""
    texts = texts or {}
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")


def merged_questions(versions: list) -> list[dict]:
    """The questions of every published version: the newest wording, choices of older versions kept.

    Ordered as the newest version asks them; questions only older versions asked come last.
    """
    ordered = sorted(versions, key=lambda version: version.number)
    merged: dict[str, dict] = {}
    for version in ordered:
        for question in version.definition["questions"]:
            merged[question["key"]] = merge_question(merged.get(question["key"]), question)
    newest = [q["key"] for q in ordered[-1].definition["questions"]] if ordered else []
    return sorted(merged.values(), key=lambda q: newest.index(q["key"]) if q["key"] in newest else len(newest))


def merge_question(older: dict | None, newer: dict) -> dict:
    choices = {choice["key"]: choice for choice in (older or {}).get("choices", [])}
    newest = [choice["key"] for choice in newer.get("choices", [])]
    choices.update({choice["key"]: choice for choice in newer.get("choices", [])})
    ordered = sorted(choices.values(), key=lambda c: newest.index(c["key"]) if c["key"] in newest else len(newest))
    return {**newer, "choices": ordered}


def language_name(code: str, in_language: str) -> str:
    """A language's name in `in_language` (CLDR), else its own name, else its code."""
    try:
        name = Locale.parse(code).get_display_name(Locale.parse(in_language))
    except (UnknownLocaleError, ValueError, TypeError):
        name = None
    if name:
        return name[:1].upper() + name[1:]
    return LANGUAGES[code].native_name if code in LANGUAGES else code


def channel_name(channel: str) -> str:
    return _(CHANNEL_NAMES.get(channel, channel))


def smiley_label(value: int) -> str:
    face, words = SMILEYS.get(value, ("", str(value)))
    return f"{face} {_(words)}".strip()


def group_name(dimension: str, value, language: str, sources: dict) -> str:
    """The name of one group of residents: a language, a source, a channel, a buurt or an age bracket."""
    if value in ("", None):
        return _(NOT_GIVEN)
    if dimension == "language":
        return language_name(value, language)
    if dimension == "source":
        return sources.get(value) or _(NO_SOURCE)
    if dimension == "channel":
        return channel_name(value)
    return str(value)
