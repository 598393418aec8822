"""The draft as residents would see it: the field app in a frame, fed with the draft document."""

from types import SimpleNamespace

from flask import Blueprint, jsonify, request

from ..accounts.auth import login_required, require_campaign
from ..campaigns.models import Campaign
from ..campaigns.operations import campaign_document
from ..forms import load_form
from ..pages import render_page
from ..util import canonical_json, sha256_hex
from .schemas import preview_schema

preview_blueprint = Blueprint("preview", __name__, url_prefix="/campaigns")


def draft_document(campaign: Campaign) -> dict:
    """`campaign_document`'s shape, built from the draft definition and marked ``"preview": true``."""
    definition = campaign.definition
    etag = sha256_hex(canonical_json({"draft": str(campaign.id), "d": definition}))[:32]
    draft = SimpleNamespace(campaign=campaign, definition=definition, number=campaign.current_version,
                            etag=etag)
    return {**campaign_document(draft), "preview": True}


@preview_blueprint.get("/<uuid:campaign_id>/preview")
@login_required
def preview(campaign_id):
    """The field app in a frame, showing the draft in one of the campaign's languages."""
    campaign = require_campaign(campaign_id)
    values, _errors = load_form(preview_schema, {"preview_lang": request.args.get("preview_lang") or None})
    languages = campaign.definition["languages"]
    lang = values["preview_lang"] if values and values["preview_lang"] in languages else languages[0]
    return render_page("workspace/preview.html", campaign=campaign, preview_lang=lang, languages=languages,
                       frame_url=f"/app/#preview={campaign.id}&lang={lang}")


@preview_blueprint.get("/<uuid:campaign_id>/preview.json")
@login_required
def preview_document(campaign_id):
    """The draft in the shape devices download, for the field app's preview mode (session, not token)."""
    response = jsonify(draft_document(require_campaign(campaign_id)))
    response.headers["Cache-Control"] = "no-store"
    return response
