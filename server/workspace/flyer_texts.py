"""The words printed on a flyer, in each of its languages (resident-facing: see resident-sources.txt)."""

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..campaigns.models import Campaign
from ..errors import N_
from ..i18n import babel_locale
from ..qr import public_url
from .common import language_direction
from .editing import language_name

#: The fixed lines of a flyer.
FLYER_LINES = {
    "invite": N_("Tell us what you think about the neighbourhood. It takes a few minutes."),
    "scan": N_("Scan the code with your phone's camera."),
    "type": N_("No camera? Type the address below the code, or open the Wijkstem app and enter the code."),
    "anonymous": N_("Anonymous: we do not ask for your name or address."),
    "erase": N_("Changed your mind? With the code you get at the end, you can have your answers deleted at {address} "
                "or at the community centre."),
}


def flyer_texts(campaign: Campaign, code: str) -> dict:
    """The flyer's words in `code`: the campaign's own texts, and the fixed lines where translated."""
    definition = campaign.definition
    intro = (definition.get("intro") or {}).get(code) or ""
    with force_locale(babel_locale(code)):
        return {
            "code": code, "dir": language_direction(code), "name": language_name(code),
            "title": definition["title"].get(code) or campaign.title(),
            "invite": first_sentence(intro) or translated(code, FLYER_LINES["invite"]),
            **{key: translated(code, msgid) for key, msgid in FLYER_LINES.items() if key not in ("invite", "erase")},
            "erase": erase_line(code),
        }


def erase_line(code: str) -> str | None:
    """Where a resident can have their answers erased with the receipt code: the erasure page's address."""
    line = translated(code, FLYER_LINES["erase"])
    address = public_url(url_for("privacy.erase")).split("://", 1)[-1]
    return line.format(address=address) if line else None


def translated(code: str, msgid: str) -> str | None:
    """`msgid` in the current (forced) locale, or ``None`` where that language has no translation yet."""
    text = _(msgid)
    return text if code == "en" or text != msgid else None


def first_sentence(text: str, limit: int = 160) -> str:
    """The opening of `text`, cut at a sentence end within `limit` characters where possible."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = max(text.rfind(mark, 0, limit) for mark in ".!?؟。")
    return text[:cut + 1] if cut > 40 else text[:limit].rsplit(" ", 1)[0] + "…"
