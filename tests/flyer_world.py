"""The worst case a flyer must fit: every language, each with the longest texts we have in its own script.

The campaign's title in each language is the longest fixed flyer line of that language's catalog that is not
on the flyer already, its intro two of those lines (more than the 160 characters a flyer takes from it), so
the fixed lines, the title and the invitation are all as long as the translations make them.
"""

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified

from server.extensions import db
from server.i18n import LANGUAGES, babel_locale
from server.workspace.flyer_texts import FLYER_LINES, flyer_texts


def lines_in(code: str) -> list[str]:
    with current_app.test_request_context(), force_locale(babel_locale(code)):
        return [_(msgid) for msgid in (
            "Tell us what you think about the neighbourhood. It takes a few minutes.",
            "No camera? Type the address below the code, or open the Wijkstem app and enter the code.",
            "Anonymous: we do not ask for your name or address.")]


def widest_campaign(campaign):
    """`campaign` in every language, with the longest texts of each (committed)."""
    definition = dict(campaign.definition)
    codes = list(LANGUAGES)
    definition["languages"] = codes
    definition["title"] = {**definition["title"], **{code: lines_in(code)[2].rstrip(".") for code in codes}}
    definition["intro"] = {code: " ".join(lines_in(code)[:2]) for code in codes}
    campaign.definition = definition
    flag_modified(campaign, "definition")
    db.session.commit()
    return campaign


def text_length(campaign, code: str) -> int:
    with current_app.test_request_context():
        texts = flyer_texts(campaign, code)
    return sum(len(texts[key] or "") for key in ("title", *FLYER_LINES))


def worst_language_sets(campaign, count: int) -> dict[str, list[str]]:
    """The `count` languages with the most words, and the tallest scripts (Arabic, Ge'ez) with the longest others."""
    by_length = sorted(LANGUAGES, key=lambda code: -text_length(campaign, code))
    tall = ["ar", "ti"][:count]
    return {"longest": by_length[:count], "scripts": tall + [c for c in by_length if c not in tall][:count - len(tall)]}
