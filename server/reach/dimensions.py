"""The dimensions a campaign's make-up can describe: age, language, buurt and its choice questions."""

from dataclasses import dataclass

from flask_babel import gettext as _

from ..errors import N_
from ..i18n import LANGUAGES
from ..responses.models import AGE_BRACKETS
from ..results.labels import language_name, pick

FIXED_TITLES = {"age_bracket": N_("Age"), "language": N_("Language"), "buurt": N_("Buurt")}
#: Questions whose choices divide residents into groups (each resident gives one answer).
GROUP_QUESTION_TYPES = ("single_choice", "yes_no")
QUESTION_PREFIX = "question:"


@dataclass
class Dimension:
    """A way to divide residents into groups, and the groups."""

    key: str
    title: str
    #: ``(group key, name)`` in the order forms and reports show them.
    groups: list[tuple[str, str]]

    @property
    def form_name(self) -> str:
        """The dimension's name in form fields (letters, digits, ``-`` and ``_`` only)."""
        return self.key.replace(QUESTION_PREFIX, "q-")

    @property
    def question_key(self) -> str | None:
        return self.key[len(QUESTION_PREFIX):] if self.key.startswith(QUESTION_PREFIX) else None

    def name_of(self, group_key: str) -> str:
        return dict(self.groups).get(group_key, group_key)


def campaign_definition(campaign) -> dict:
    """What residents answered: the newest published version, or the draft before the first publication."""
    versions = list(campaign.versions)
    return versions[-1].definition if versions else campaign.definition


def campaign_dimensions(campaign, language: str) -> list[Dimension]:
    definition = campaign_definition(campaign)
    fallback = definition.get("default_language", "nl")
    campaign_languages = definition.get("languages", [])
    languages = campaign_languages + [code for code in LANGUAGES if code not in campaign_languages]
    dimensions = [
        Dimension("age_bracket", _(FIXED_TITLES["age_bracket"]), [(bracket, bracket) for bracket in AGE_BRACKETS]),
        Dimension("language", _(FIXED_TITLES["language"]),
                  [(code, language_name(code, language)) for code in languages]),
    ]
    if definition.get("buurten"):
        dimensions.append(Dimension("buurt", _(FIXED_TITLES["buurt"]), [(b, b) for b in definition["buurten"]]))
    for question in definition.get("questions", []):
        if question["type"] in GROUP_QUESTION_TYPES:
            dimensions.append(question_dimension(question, language, fallback))
    return dimensions


def question_dimension(question: dict, language: str, fallback: str) -> Dimension:
    if question["type"] == "yes_no":
        groups = [("yes", _("Yes")), ("no", _("No"))]
    else:
        groups = [(choice["key"], pick(choice["label"], language, fallback)) for choice in question["choices"]]
    return Dimension(QUESTION_PREFIX + question["key"], pick(question["text"], language, fallback), groups)
