"""``normalise_clip``: a recorded text made into the clip residents hear, in the background (ffmpeg may take
seconds, and a busy server many of them). The studio (and the question's page) says it is being prepared, or
why it failed, with a retry button; the clip the text had stays until the new one is ready."""

import uuid

from ..database import reading_only
from ..errors import N_, ApiError
from ..extensions import db
from ..jobs.queue import JobFailed, job
from ..storage import delete_file, media_store, new_storage_name
from .models import Clip
from .normalise import normalise
from .operations import PROCESSING, finish_clip


@job("normalise_clip", object_type="clip", key="clip_id")
def normalise_clip_job(clip_id: str, campaign_id: str | None = None, language: str | None = None,
                       key: str | None = None) -> None:
    """Normalise the upload of a clip being processed and make it live; nothing to do when the clip is gone
    (deleted, or replaced by a newer upload) or already done. ffmpeg runs outside any transaction. The
    campaign, language and key say where the workspace shows it (the studio it was recorded in).

    :raise JobFailed: ``unsupported_audio`` or ``recording_silent`` (for good: the recording is at fault),
        ``upload_missing`` (for good), ``audio_tools_missing`` (retried: ffmpeg may come back).
    """
    with reading_only():
        clip = db.session.get(Clip, uuid.UUID(clip_id))
        upload = clip.storage_name if clip is not None and clip.state == PROCESSING else None
    db.session.rollback()  # no transaction (on SQLite: no writers' turn) while ffmpeg works
    if upload is None:
        return
    data = media_store().read_bytes(upload)
    if data is None:
        raise JobFailed("upload_missing", N_("The uploaded recording is gone. Record it again."), permanent=True)
    try:
        sound = normalise(data)
    except ApiError as err:
        raise JobFailed(err.code, err.message, permanent=err.status == 422) from err
    name = new_storage_name("clips")
    media_store().put_bytes(name, sound.data)
    clip = db.session.get(Clip, uuid.UUID(clip_id))
    if clip is None or clip.state != PROCESSING or clip.storage_name != upload:
        delete_file(name)  # deleted or replaced while ffmpeg ran
        return
    finish_clip(clip, name, sound.data, sound.duration_ms, sound.content_type)
