"""Making, publishing and closing campaigns, their sources and audio prompts (flush, never commit)."""

from flask import url_for

from ..errors import N_, ApiError
from ..extensions import db
from ..responses.models import AGE_BRACKETS
from ..storage import new_storage_name, write_at
from ..util import canonical_json, human_code, sha256_hex, utcnow
from ..voice.audio import CONTAINER_TYPES, sniff_container
from .models import Campaign, CampaignVersion, PromptAudio, Source
from .schemas import definition_schema, missing_translations

MAX_PROMPT_BYTES = 2 * 1024 * 1024


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


def add_prompt(campaign: Campaign, question_key: str, language: str, data: bytes) -> PromptAudio:
    """Store a recorded prompt and point the draft question at it (publish again to send it out)."""
    question = next((q for q in campaign.definition["questions"] if q["key"] == question_key), None)
    if question is None:
        raise ApiError(404, "question_not_found", N_("This question does not exist."), field="question")
    if language not in campaign.definition["languages"]:
        raise ApiError(422, "language_not_in_campaign", N_("This language is not part of the campaign."),
                       field="language")
    if len(data) > MAX_PROMPT_BYTES:
        raise ApiError(413, "audio_too_large", N_("The recording is too large."), field="file")
    container = sniff_container(data[:4096])
    if container is None:
        raise ApiError(422, "unsupported_audio", N_("This is not a supported audio recording."), field="file")
    prompt = PromptAudio(campaign_id=campaign.id, question_key=question_key, language=language,
                         content_type=CONTAINER_TYPES[container], sha256=sha256_hex(data), size=len(data),
                         storage_name=new_storage_name("prompts"))
    write_at(prompt.storage_name, 0, data)
    db.session.add(prompt)
    db.session.flush()
    definition = dict(campaign.definition)
    definition["questions"] = [
        {**q, "prompts": {**q.get("prompts", {}), language: str(prompt.id)}} if q["key"] == question_key else q
        for q in definition["questions"]
    ]
    campaign.definition = definition
    db.session.flush()
    return prompt


def campaign_document(version: CampaignVersion) -> dict:
    """What a device or a flyer visitor downloads: the frozen definition with media URLs."""
    campaign = version.campaign
    definition = version.definition
    return {
        "id": str(campaign.id),
        "version": version.number,
        "etag": version.etag,
        "state": campaign.state,
        "team": campaign.team.name,
        "languages": definition["languages"],
        "default_language": definition["default_language"],
        "title": definition["title"],
        "intro": definition.get("intro", {}),
        "thanks": definition.get("thanks", {}),
        "buurten": definition.get("buurten", []),
        "age_brackets": list(AGE_BRACKETS) if definition.get("ask_age_bracket", True) else [],
        "questions": [question_document(q) for q in definition["questions"]],
    }


def question_document(question: dict) -> dict:
    document = {key: value for key, value in question.items() if key != "prompts"}
    document["prompts"] = {lang: url_for("api.campaigns.prompt_audio", prompt_id=pid)
                           for lang, pid in question.get("prompts", {}).items()}
    document["choices"] = [
        {**choice, "pictogram_url": url_for("pwa.pictogram", name=choice["pictogram"])
         if choice.get("pictogram") else None}
        for choice in question.get("choices", [])
    ]
    return document


def published_version(campaign: Campaign) -> CampaignVersion | None:
    if not campaign.current_version:
        return None
    return db.session.query(CampaignVersion).filter_by(
        campaign_id=campaign.id, number=campaign.current_version).one()
