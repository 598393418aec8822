"""Recording, replacing and deleting clips; which texts can be heard; which clips still fit their text.

Operations flush, never commit. A replaced or deleted clip's file is removed only once the transaction
commits (`server.storage.after_commit`), so a failed request never leaves a row without its sound.

A recording is normalised by a job, never inside the request (`record_clip`, `server.voicepacks.jobs`): the
request checks what is cheap to check and keeps the upload as it came, in a clip that is ``processing``; the
job makes it live (or a proposal), replacing the clip the text had only then, so residents keep hearing the old
one meanwhile. A clip being processed is never sent to anyone; its failure is shown where it was recorded.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import or_, select

from ..campaigns.models import Campaign
from ..campaigns.schemas import missing_translations
from ..database import reading_only
from ..errors import N_, ApiError
from ..extensions import db
from ..jobs.queue import enqueue, forget, pending_or_failed, runner_name
from ..storage import media_store, new_storage_name
from ..storage.after_commit import delete_after_commit
from ..util import sha256_hex, utcnow
from .models import Clip
from .normalise import ffmpeg_binary, sniff
from .phrases import phrase_text, phrases

#: As large as any workspace request may be (`MAX_CONTENT_LENGTH`): 20 s of CD-quality WAV, minutes of Opus or MP3.
MAX_CLIP_BYTES = 2 * 1024 * 1024
_NAME = r"[a-z0-9][a-z0-9_-]{0,63}"
#: A buurt's name (``buurt:Noord``) is said as it is written, in each language's voice.
CAMPAIGN_KEY = re.compile(rf"^(?:title|intro|thanks|q:{_NAME}(?::{_NAME})?|buurt:[^\n]{{1,100}})$")


def clip_anchor(key: str) -> str:
    """The element id of a text's row in the studio (``q:missen:groen`` -> ``clip-q--missen--groen``;
    ``buurt:De Pijp`` -> ``clip-buurt--De_Pijp``: an id has no spaces)."""
    return "clip-" + re.sub(r"\s", "_", key.replace(":", "--"))


def text_hash(text: str) -> str:
    """What a clip remembers of the text it was recorded for."""
    return sha256_hex(text.strip())


# --- what a resident can hear --------------------------------------------------------------------------

def campaign_texts(definition: dict, language: str) -> dict[str, str]:
    """Each campaign text a resident can hear, in the order they meet it: key -> its text in `language`
    (``""`` while not translated). Texts empty in the main language too (no intro) are left out."""
    main = definition["default_language"]
    texts: dict[str, str] = {}

    def add(key: str, translated: dict) -> None:
        text = (translated.get(language) or "").strip()
        if text or (translated.get(main) or "").strip():
            texts[key] = text

    add("title", definition["title"])
    add("intro", definition.get("intro") or {})
    for question in definition["questions"]:
        add(f"q:{question['key']}", question["text"])
        for choice in question.get("choices", []):
            add(f"q:{question['key']}:{choice['key']}", choice["label"])
    for name in definition.get("buurten") or []:  # "about you": a name is the same in every language
        add(f"buurt:{name}", {language: name, main: name})
    add("thanks", definition.get("thanks") or {})
    return texts


def current_text(definition: dict, key: str, language: str) -> str | None:
    """The text `key` speaks in `language` now: a campaign text or a phrase (``None``: unknown or untranslated)."""
    if CAMPAIGN_KEY.match(key):
        return campaign_texts(definition, language).get(key) or None
    return phrase_text(key, language)


def is_known_key(definition: dict, key: str) -> bool:
    return key in phrases() or key in campaign_texts(definition, definition["default_language"])


def team_clips(campaign: Campaign, language: str | None = None) -> list[Clip]:
    """The live clips of `campaign` and of its team's voice pack (in `language`, or all), oldest first; a
    partner's proposal is not among them until the team approved it."""
    query = select(Clip).where(Clip.team_id == campaign.team_id, Clip.state == "live",
                               or_(Clip.campaign_id == campaign.id, Clip.campaign_id.is_(None)))
    if language is not None:
        query = query.where(Clip.language == language)
    return list(db.session.scalars(query.order_by(Clip.created_at, Clip.id)))


def slot(clip: Clip) -> tuple[str, str, str]:
    return ("campaign" if clip.campaign_id else "phrases", clip.language, clip.key)


@dataclass
class Item:
    """One text a resident can hear in one language, with its clip if one was recorded."""

    kind: str  #: ``campaign`` or ``phrases``
    key: str
    text: str | None  #: ``None`` or ``""`` while not translated
    clip: Clip | None

    @property
    def state(self) -> str:
        """``untranslated``, ``missing``, ``recorded`` or ``outdated``."""
        if not self.text:
            return "outdated" if self.clip else "untranslated"
        if self.clip is None:
            return "missing"
        return "recorded" if self.clip.text_sha256 == text_hash(self.text) else "outdated"


def studio_items(campaign: Campaign, definition: dict, language: str, clips: list[Clip] | None = None) -> list[Item]:
    """Every text a resident can hear in `language`: the campaign's, then the voice pack's phrases."""
    clips = team_clips(campaign, language) if clips is None else clips
    by_slot = {slot(clip): clip for clip in clips if clip.language == language}
    items = [Item("campaign", key, text, by_slot.get(("campaign", language, key)))
             for key, text in campaign_texts(definition, language).items()]
    items += [Item("phrases", key, phrase_text(key, language), by_slot.get(("phrases", language, key)))
              for key in phrases()]
    return items


@dataclass
class LanguageStatus:
    language: str
    translated: bool
    recorded: int
    total: int
    outdated: int

    @property
    def ready(self) -> bool:
        """Translated and recorded: a resident can hear every text in this language."""
        return self.translated and self.recorded == self.total


def language_statuses(campaign: Campaign, definition: dict | None = None) -> list[LanguageStatus]:
    """Per language of the campaign: translated, recorded, out of date, ready (one query for all)."""
    definition = definition or campaign.definition
    clips = team_clips(campaign)
    missing = missing_translations(definition)
    statuses = []
    for language in definition["languages"]:
        items = studio_items(campaign, definition, language, clips)
        states = [item.state for item in items]
        translated = language not in missing and all(item.text for item in items)
        statuses.append(LanguageStatus(language, translated, states.count("recorded"), len(items),
                                       states.count("outdated")))
    return statuses


def unready_languages(campaign: Campaign) -> list[LanguageStatus]:
    return [status for status in language_statuses(campaign) if not status.ready]


# --- the download ----------------------------------------------------------------------------------------

def audio_map(campaign: Campaign, definition: dict) -> dict:
    """Per language of `definition`, the clips that match its texts now (see docs/listen-mode.md)."""
    clips = team_clips(campaign)
    audio = {}
    for language in definition["languages"]:
        entry: dict = {"campaign": {}, "phrases": {}}
        for item in studio_items(campaign, definition, language, clips):
            if item.state == "recorded":
                entry[item.kind][item.key] = clip_reference(item.clip)
        audio[language] = entry
    return audio


def clip_reference(clip: Clip) -> dict:
    return {"url": url_for("api.clips.clip_audio", clip_id=clip.id), "bytes": clip.size,
            "duration_ms": clip.duration_ms}


# --- recording and deleting ----------------------------------------------------------------------------

#: A clip whose upload waits for the ``normalise_clip`` job (or whose job failed).
PROCESSING = "processing"
#: The upload's content type while it waits, by the container recognised in its first bytes.
RAW_TYPES = {"webm": "audio/webm", "ogg": "audio/ogg", "mp4": "audio/mp4", "wav": "audio/wav", "mp3": "audio/mpeg",
             "flac": "audio/flac"}


def record_clip(campaign: Campaign, key: str, language: str, data: bytes, user=None,
                proposed_by_team_id: int | None = None) -> Clip:
    """Keep `data` as it came, as the clip of `key` in `language` being processed, and ask for the
    ``normalise_clip`` job (once the transaction commits), which makes it live and replaces the older clip.

    A campaign text is stored for the campaign; a phrase for the team's voice pack (all its campaigns). A
    partner team's recording (`proposed_by_team_id`) becomes a proposal: it replaces nothing until approved. An
    earlier upload of the same text by the same team that is still waiting (or failed) is replaced at once.
    Only cheap checks run here; whether it holds speech the job finds out (`server.voicepacks.jobs`).

    :raise ApiError 404: ``text_not_found``; 422: the language is not the campaign's, or no audio container
        we accept; 409: ``text_not_translated``; 413: ``audio_too_large``; 503: ffmpeg is missing (where this
        process runs the jobs itself).
    """
    text = text_to_record(campaign, key, language)
    if len(data) > MAX_CLIP_BYTES:
        raise ApiError(413, "audio_too_large", N_("The recording is too large."), field="file")
    container = sniff(data[:4096])
    if container is None:
        raise ApiError(422, "unsupported_audio", N_("This is not a supported audio recording."), field="file")
    if runner_name(current_app) != "rq":
        ffmpeg_binary()  # this process normalises it: refuse now, not in a job that cannot succeed
    campaign_id = campaign.id if CAMPAIGN_KEY.match(key) else None
    for earlier in waiting_uploads(campaign.team_id, campaign_id, key, language, proposed_by_team_id):
        delete_clip(earlier)
    clip = Clip(team_id=campaign.team_id, campaign_id=campaign_id, key=key, language=language,
                text_sha256=text_hash(text), content_type=RAW_TYPES[container], sha256=sha256_hex(data),
                size=len(data), duration_ms=None, storage_name=new_storage_name("uploads"),
                recorded_by=user.id if user else None, proposed_by_team_id=proposed_by_team_id, state=PROCESSING)
    media_store().put_bytes(clip.storage_name, data)
    db.session.add(clip)
    db.session.flush()
    enqueue("normalise_clip", clip_id=clip.id, campaign_id=campaign.id, language=language, key=key)
    return clip


def waiting_uploads(team_id: int, campaign_id, key: str, language: str,
                    proposed_by_team_id: int | None = None) -> list[Clip]:
    """The uploads of a text still being processed (or failed), by the team itself or by one partner."""
    query = select(Clip).where(Clip.team_id == team_id, Clip.key == key, Clip.language == language,
                               Clip.state == PROCESSING,
                               Clip.campaign_id == campaign_id if campaign_id else Clip.campaign_id.is_(None),
                               Clip.proposed_by_team_id == proposed_by_team_id if proposed_by_team_id
                               else Clip.proposed_by_team_id.is_(None))
    return list(db.session.scalars(query))


def finish_clip(clip: Clip, storage_name: str, data: bytes, length: int, content_type: str) -> None:
    """The job normalised `clip`'s upload into `storage_name`: it replaces the clip its text had (a partner's,
    that partner's earlier proposal), residents hear it (or the team can approve it), the upload is deleted."""
    for old in same_slot(clip.team_id, clip.campaign_id, clip.key, clip.language, clip.proposed_by_team_id):
        delete_clip(old)
    delete_after_commit(db.session, clip.storage_name)
    clip.storage_name, clip.content_type, clip.sha256 = storage_name, content_type, sha256_hex(data)
    clip.size, clip.duration_ms, clip.created_at = len(data), length, utcnow()
    clip.state = "proposed" if clip.proposed_by_team_id else "live"
    db.session.flush()


def delete_stale_uploads(now, days: int) -> int:
    """Delete the uploads (rows and files) still unprocessed `days` after they were recorded: their
    normalisation failed for good and no one retried it or recorded the text again, or it never ran."""
    stale = list(db.session.scalars(select(Clip).where(Clip.state == PROCESSING,
                                                       Clip.created_at < now - timedelta(days=days))))
    for clip in stale:
        delete_clip(clip)
    return len(stale)


@dataclass
class Upload:
    """A recording of a text still being processed, with its job (``None`` while no job row is there)."""

    clip: Clip
    job: object | None

    @property
    def failed(self) -> bool:
        return self.job is not None and self.job.status == "failed"


def upload_state(clip_id) -> str:
    """``ready`` (live or proposed, or gone), ``processing`` or ``failed`` (its job failed for good): a read
    after the upload's commit, which may have run the job already."""
    with reading_only():
        clip = db.session.get(Clip, clip_id)
        if clip is None or clip.state != PROCESSING:
            return "ready"
        found = pending_or_failed("clip", [clip_id]).get(("normalise_clip", str(clip_id)))
        return "failed" if found is not None and found.status == "failed" else "processing"


def waiting_clips(campaign: Campaign, language: str, proposed_by_team_id: int | None = None) -> dict[str, Upload]:
    """The team's own (or one partner's) recordings of `campaign`'s texts and voice-pack phrases in `language`
    that are being processed or failed, by text key, each with its ``normalise_clip`` job."""
    query = select(Clip).where(Clip.team_id == campaign.team_id, Clip.state == PROCESSING, Clip.language == language,
                               or_(Clip.campaign_id == campaign.id, Clip.campaign_id.is_(None)),
                               Clip.proposed_by_team_id == proposed_by_team_id if proposed_by_team_id
                               else Clip.proposed_by_team_id.is_(None))
    clips = list(db.session.scalars(query.order_by(Clip.created_at, Clip.id)))
    jobs = pending_or_failed("clip", [clip.id for clip in clips])
    return {clip.key: Upload(clip, jobs.get(("normalise_clip", str(clip.id)))) for clip in clips}


def text_to_record(campaign: Campaign, key: str, language: str) -> str:
    definition = campaign.definition
    if not is_known_key(definition, key):
        raise ApiError(404, "text_not_found", N_("This text does not exist."), field="key")
    if language not in definition["languages"]:
        raise ApiError(422, "language_not_in_campaign", N_("This language is not part of the campaign."),
                       field="language")
    text = current_text(definition, key, language)
    if not text:
        raise ApiError(409, "text_not_translated", N_("Translate this text first, then record it."),
                       field="key")
    return text


def store_clip(campaign: Campaign, key: str, language: str, text: str, data: bytes, length: int | None,
               content_type: str, synthetic: bool = False, recorded_by: int | None = None,
               proposed_by_team_id: int | None = None) -> Clip:
    """Keep `data` (already normalised) as the clip of `key`, replacing the clip there was (a proposal replaces
    only the same partner's earlier proposal for this text)."""
    campaign_id = campaign.id if CAMPAIGN_KEY.match(key) else None
    for old in same_slot(campaign.team_id, campaign_id, key, language, proposed_by_team_id):
        delete_clip(old)
    clip = Clip(team_id=campaign.team_id, campaign_id=campaign_id, key=key, language=language,
                text_sha256=text_hash(text), content_type=content_type, sha256=sha256_hex(data), size=len(data),
                duration_ms=length, storage_name=new_storage_name("clips"), synthetic=synthetic,
                recorded_by=recorded_by, proposed_by_team_id=proposed_by_team_id,
                state="proposed" if proposed_by_team_id else "live")
    media_store().put_bytes(clip.storage_name, data)
    db.session.add(clip)
    db.session.flush()
    return clip


def same_slot(team_id: int, campaign_id, key: str, language: str, proposed_by_team_id: int | None = None) -> list[Clip]:
    """The live clip of a text, or (`proposed_by_team_id`) that partner's waiting proposals for it."""
    query = select(Clip).where(Clip.team_id == team_id, Clip.key == key, Clip.language == language,
                               Clip.campaign_id == campaign_id if campaign_id else Clip.campaign_id.is_(None))
    if proposed_by_team_id is None:
        query = query.where(Clip.state == "live")
    else:
        query = query.where(Clip.state == "proposed", Clip.proposed_by_team_id == proposed_by_team_id)
    return list(db.session.scalars(query))


def proposed_clips(campaign: Campaign, language: str) -> dict[str, list[Clip]]:
    """Partners' recordings of `campaign`'s texts and its team's voice pack waiting for approval, by text key."""
    query = select(Clip).where(Clip.team_id == campaign.team_id, Clip.state == "proposed", Clip.language == language,
                               or_(Clip.campaign_id == campaign.id, Clip.campaign_id.is_(None)))
    waiting: dict[str, list[Clip]] = {}
    for clip in db.session.scalars(query.order_by(Clip.created_at, Clip.id)):
        waiting.setdefault(clip.key, []).append(clip)
    return waiting


def approve_clip(clip: Clip, user) -> None:
    """The owning team accepts a partner's recording: it replaces the live one, and residents hear it."""
    for old in same_slot(clip.team_id, clip.campaign_id, clip.key, clip.language):
        delete_clip(old)
    clip.state, clip.approved_at, clip.approved_by = "live", utcnow(), user.id
    db.session.flush()


def campaign_clip(campaign: Campaign, clip_id) -> Clip | None:
    """The clip `clip_id` if it belongs to `campaign` or to its team's voice pack."""
    clip = db.session.get(Clip, clip_id)
    if clip is None or clip.team_id != campaign.team_id or clip.campaign_id not in (None, campaign.id):
        return None
    return clip


def delete_clip(clip: Clip) -> None:
    delete_after_commit(db.session, clip.storage_name)
    if clip.state == PROCESSING:
        forget("clip", [clip.id])
    db.session.delete(clip)
    db.session.flush()


