"""Clip downloads: public like the campaign texts, immutable (a new recording is a new id)."""

import io

from flask import Blueprint, current_app, send_file

from ..errors import N_, ApiError
from ..extensions import db, limiter
from ..storage import media_store
from .models import Clip
from .operations import PROCESSING

clips_blueprint = Blueprint("clips", __name__, url_prefix="/v1")


def clip_limit() -> str:
    return current_app.config["RATELIMIT_CLIPS"]


def send_clip(clip_id):
    """The clip's sound, cacheable for a year. Read from the store whole and sent from memory (a clip is small):
    a phone that leaves while its
    clips are being cached drops the connection, and werkzeug's server then never closes an open file.

    :raise ApiError 404: no such clip, its file is gone, or it is still being processed (what was uploaded
        is never sent: the id serves only the normalised sound, once and for good).
    """
    clip = db.session.get(Clip, clip_id)
    ready = clip is not None and clip.state != PROCESSING
    data = media_store().read_bytes(clip.storage_name) if ready else None
    if data is None:
        raise ApiError(404, "not_found", N_("This was not found."))
    response = send_file(io.BytesIO(data), mimetype=clip.content_type, conditional=True,
                         etag=clip.sha256, max_age=31536000, last_modified=clip.created_at)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@clips_blueprint.get("/clips/<uuid:clip_id>")
@limiter.limit(clip_limit)
def clip_audio(clip_id):
    """A recorded clip: a campaign text or an app phrase read aloud (public, like the texts it speaks)."""
    return send_clip(clip_id)


@clips_blueprint.get("/prompts/<uuid:clip_id>")
@limiter.limit(clip_limit)
def prompt_audio(clip_id):
    """The address question prompts had before they became clips (apps installed earlier still ask it)."""
    return send_clip(clip_id)
