"""Helpers the campaign pages share: access for writing, the edit stamp, and names for templates."""

from flask import Blueprint
from flask_babel import gettext as _
from markupsafe import Markup

from ..accounts.auth import require_campaign
from ..campaigns.models import Campaign
from ..errors import N_, ApiError
from ..forms import form_error
from ..i18n import LANGUAGES
from .editing import language_name
from .pictograms import pictogram_name

#: Shown in the type menu of the question form.
TYPE_NAMES = {"single_choice": N_("One choice"), "multiple_choice": N_("Several choices"),
              "smiley": N_("Smiley scale (1 to 5)"), "yes_no": N_("Yes or no"), "number": N_("Number"),
              "short_text": N_("Short text"), "voice": N_("Spoken answer")}
STATE_NAMES = {"draft": N_("Draft"), "published": N_("Published"), "closed": N_("Closed")}


def editable_campaign(campaign_id) -> Campaign:
    """The campaign for a coordinator to change.

    :raise 404/403: see `require_campaign`.
    :raise ApiError 409: the campaign is closed and stays as it is.
    """
    campaign = require_campaign(campaign_id, write=True)
    if campaign.state == "closed":
        raise ApiError(409, "campaign_closed", N_("This campaign is closed; it can no longer be changed."))
    return campaign


def revision(campaign: Campaign) -> str:
    """A stamp of the draft as a form saw it, to notice a colleague's changes in between."""
    return campaign.updated_at.isoformat()


def changed_meanwhile(campaign: Campaign, values: dict) -> dict:
    """An error for the whole form when the draft changed since the form was shown."""
    if values.get("revision") and values["revision"] != revision(campaign):
        return form_error("", _("Someone else changed this campaign while you were editing. Your changes "
                                "are still in the form: check them and save again."))
    return {}


def language_options() -> list[tuple[str, str]]:
    return [(code, language.native_name) for code, language in LANGUAGES.items()]


def question_type_name(question_type: str) -> str:
    return _(TYPE_NAMES.get(question_type, question_type))


def campaign_state_name(state: str) -> str:
    return _(STATE_NAMES.get(state, state))


def language_direction(code: str) -> str:
    return LANGUAGES[code].direction if code in LANGUAGES else "ltr"


def isolate(text: str) -> Markup:
    """Text someone typed (a name), isolated so a right-to-left name cannot reorder the sentence around it."""
    return Markup("<bdi>{}</bdi>").format(text)


def register_template_helpers(blueprint: Blueprint) -> None:
    for helper in (question_type_name, campaign_state_name, language_direction, pictogram_name, isolate):
        blueprint.add_app_template_global(helper)
    blueprint.add_app_template_global(language_name, "language_label")
