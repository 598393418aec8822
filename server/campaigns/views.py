"""Campaign downloads for devices and flyer visitors (their clips: `server.voicepacks.views`)."""

import uuid

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select

from ..compression import compress_response
from ..devices.auth import device_required
from ..errors import N_, ApiError
from ..extensions import db
from ..ratelimits import public_rate_limit
from ..util import normalise_code, sha256_hex
from .models import Campaign, Source
from .operations import device_campaign_document, flyer_document, published_version

campaigns_blueprint = Blueprint("campaigns", __name__, url_prefix="/v1")


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def with_etag(payload: dict, etag: str):
    """A JSON reply that costs only a 304 when the client already has `etag`."""
    if request.if_none_match.contains(etag):
        response = current_304(etag)
    else:
        response = jsonify(payload)
        response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def current_304(etag: str):
    response = jsonify()
    response.status_code = 304
    response.set_etag(etag)
    response.data = b""
    return response


@campaigns_blueprint.get("/campaigns")
@device_required
def list_campaigns():
    """The published campaigns of the device's team (of a lent phone: its one campaign), each as its newest
    frozen version."""
    query = select(Campaign).where(Campaign.team_id == g.device.team_id, Campaign.state == "published")
    if g.device.campaign_id is not None:  # a phone a partner lent for one campaign
        query = query.where(Campaign.id == g.device.campaign_id)
    campaigns = db.session.scalars(query.order_by(Campaign.created_at)).all()
    documents = [device_campaign_document(published_version(c), g.device.default_source_id) for c in campaigns]
    db.session.commit()
    return with_etag({"campaigns": documents}, sha256_hex("|".join(d["etag"] for d in documents))[:32])


@campaigns_blueprint.get("/campaigns/<campaign_id>")
@device_required
def get_campaign(campaign_id):
    """One campaign of the device's team; an id that is no UUID is as unknown as any other (issue 11)."""
    campaign = db.session.get(Campaign, campaign_uuid) if (campaign_uuid := parse_uuid(campaign_id)) else None
    if campaign is None or campaign.team_id != g.device.team_id or not campaign.current_version \
            or g.device.campaign_id not in (None, campaign.id):
        raise ApiError(404, "campaign_not_found", N_("This campaign or version is not known here."))
    document = device_campaign_document(published_version(campaign), g.device.default_source_id)
    db.session.commit()
    return with_etag(document, document["etag"])


@campaigns_blueprint.get("/sources/<code>")
@public_rate_limit
def get_source(code):
    """What a flyer's QR code leads to: the source and its campaign (no token needed)."""
    source = db.session.scalars(select(Source).where(Source.code == normalise_code(code)[:16])).first()
    if source is None or source.kind != "flyer":  # a door-to-door team's code opens nothing for visitors
        raise ApiError(404, "source_not_found", N_("This flyer code is not known."), field="code")
    campaign = source.campaign
    if source.revoked_at is not None or campaign.state != "published":
        raise ApiError(410, "source_closed", N_("This poll has closed."), field="code")
    payload, etag = flyer_document(source)
    return compress_response(with_etag(payload, etag))

