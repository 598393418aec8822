"""Making, publishing and closing campaigns, their sources, and what devices download (flush, never commit)."""

from flask import url_for
from sqlalchemy import select

from ..errors import N_, ApiError
from ..extensions import db
from ..responses.models import AGE_BRACKETS
from ..util import canonical_json, human_code, sha256_hex, utcnow
from ..voicepacks.operations import audio_map, record_clip
from .models import Campaign, CampaignVersion, Source
from .schemas import definition_schema, missing_translations


def create_campaign(team, definition: dict) -> Campaign:
    """A new draft campaign; `definition` is validated by `CampaignDefinitionSchema`."""
    campaign = Campaign(team=team, definition=definition_schema.load(definition))
    db.session.add(campaign)
    db.session.flush()
    return campaign


def publish_campaign(campaign: Campaign) -> CampaignVersion:
    """Freeze the current definition as a new version.

    :raise ApiError 409: when a language is not fully translated, or the campaign is closed.
    """
    if campaign.state == "closed":
        raise ApiError(409, "campaign_closed", N_("This campaign is closed."))
    definition = definition_schema.load(campaign.definition)
    missing = missing_translations(definition)
    if missing:
        raise ApiError(409, "translation_incomplete",
                       N_("Every text must be translated in every language of the campaign."),
                       field=next(iter(missing.values()))[0], languages=sorted(missing))
    number = campaign.current_version + 1
    version = CampaignVersion(campaign=campaign, number=number, definition=definition,
                              etag=sha256_hex(canonical_json({"n": number, "d": definition}))[:32])
    campaign.current_version = number
    campaign.state = "published"
    db.session.add(version)
    db.session.flush()
    return version


def close_campaign(campaign: Campaign) -> None:
    campaign.state = "closed"
    campaign.closed_at = utcnow()
    db.session.flush()


def create_source(campaign: Campaign, name: str, kind: str = "flyer") -> Source:
    """A flyer location or door-to-door team with a fresh public code."""
    source = Source(campaign=campaign, name=name, kind=kind, code=unused_source_code())
    db.session.add(source)
    db.session.flush()
    return source


def unused_source_code() -> str:
    while True:
        code = human_code(6)
        if not db.session.query(Source.id).filter_by(code=code).first():
            return code


def revoke_source(source: Source) -> None:
    source.revoked_at = source.revoked_at or utcnow()
    db.session.flush()


def add_prompt(campaign: Campaign, question_key: str, language: str, data: bytes, user=None):
    """Record the question read aloud in `language`: the clip ``q:<question_key>`` (one store for all clips).

    :raise ApiError 404: no such question; see `voicepacks.operations.record_clip` for the rest.
    """
    if not any(q["key"] == question_key for q in campaign.definition["questions"]):
        raise ApiError(404, "question_not_found", N_("This question does not exist."), field="question")
    return record_clip(campaign, f"q:{question_key}", language, data, user)


def campaign_document(version: CampaignVersion) -> dict:
    """What a device or a flyer visitor downloads: the frozen definition with media URLs."""
    campaign = version.campaign
    definition = version.definition
    audio = audio_map(campaign, definition)
    return {
        "id": str(campaign.id),
        "version": version.number,
        "etag": sha256_hex(canonical_json({"v": version.etag, "a": audio}))[:32],
        "state": campaign.state,
        "team": campaign.team.name,
        "languages": definition["languages"],
        "default_language": definition["default_language"],
        "title": definition["title"],
        "intro": definition.get("intro", {}),
        "thanks": definition.get("thanks", {}),
        "buurten": definition.get("buurten", []),
        "age_brackets": list(AGE_BRACKETS) if definition.get("ask_age_bracket", True) else [],
        "questions": [question_document(q, audio) for q in definition["questions"]],
        "audio": audio,
    }


def device_campaign_document(version: CampaignVersion, default_source_id: int | None) -> dict:
    """`campaign_document` as an enrolled phone downloads it: with the campaign's open door-to-door sources (a
    route, a street, a team) and the phone's default among them (`default_source_id`; null when it is none of
    them); its etag covers both."""
    document = campaign_document(version)
    sources = door_to_door_sources(version.campaign)
    default = next((s.code for s in sources if s.id == default_source_id), None)
    document["sources"] = [{"code": s.code, "name": s.name} for s in sources]
    document["default_source"] = default
    document["etag"] = sha256_hex(canonical_json({"c": document["etag"], "s": document["sources"],
                                                  "d": default}))[:32]
    return document


def door_to_door_sources(campaign: Campaign) -> list[Source]:
    """The campaign's door-to-door sources that are not revoked, by name."""
    return list(db.session.scalars(select(Source).where(
        Source.campaign_id == campaign.id, Source.kind == "door_to_door", Source.revoked_at.is_(None))
        .order_by(Source.name, Source.id)))


def question_document(question: dict, audio: dict) -> dict:
    """A question as downloaded; ``prompts`` (its clip per language) is kept for apps installed before ``audio``."""
    document = {key: value for key, value in question.items() if key != "prompts"}
    spoken = {lang: entry["campaign"].get(f"q:{question['key']}") for lang, entry in audio.items()}
    document["prompts"] = {lang: clip["url"] for lang, clip in spoken.items() if clip}
    document["choices"] = [
        {**choice, "pictogram_url": url_for("pwa.pictogram", name=choice["pictogram"])
         if choice.get("pictogram") else None}
        for choice in question.get("choices", [])
    ]
    return document


def flyer_document(source: Source) -> tuple[dict, str]:
    """What a flyer visitor's phone gets (the source and its campaign), with its ETag: by `GET
    /api/v1/sources/<code>`, or handed over in the page of `/f/<code>` itself."""
    document = campaign_document(published_version(source.campaign))
    payload = {"source": {"code": source.code, "name": source.name, "kind": source.kind}, "campaign": document}
    return payload, sha256_hex(source.code + document["etag"])[:32]


def published_version(campaign: Campaign) -> CampaignVersion | None:
    if not campaign.current_version:
        return None
    return db.session.query(CampaignVersion).filter_by(
        campaign_id=campaign.id, number=campaign.current_version).one()
