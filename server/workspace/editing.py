"""Changing a campaign's draft: settings, texts side by side, questions and languages (flush, never commit).

The draft is `Campaign.definition`; every change is validated as a whole before it is stored, and publishing
(`server.campaigns.operations.publish_campaign`) freezes it as a new version.
"""

import copy
import re
import unicodedata

from flask_babel import gettext as _
from marshmallow import ValidationError

from .. import fields, validate
from ..campaigns.models import Campaign, CampaignVersion
from ..campaigns.schemas import CHOICE_TYPES, CampaignDefinitionSchema, QuestionSchema, missing_translations
from ..errors import N_, ValidationCode
from ..extensions import db
from ..forms import error_paths
from ..i18n import LANGUAGES
from ..voicepacks.operations import delete_clip, same_slot, waiting_uploads
from .schemas import LABEL_MAX, TEXT_MAX, TITLE_MAX


class DraftDefinitionSchema(CampaignDefinitionSchema):
    """A definition that may still be without questions (publishing asks for at least one)."""

    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(max=60))


draft_schema = DraftDefinitionSchema()
question_schema = QuestionSchema()


def store_definition(campaign: Campaign, definition: dict) -> None:
    """Validate `definition` as a draft and make it the campaign's; raises `ValidationError`."""
    campaign.definition = draft_schema.load(definition)
    db.session.flush()


def create_draft(team, title: str, default_language: str, languages: list[str]) -> Campaign:
    """A new draft campaign with a title and no questions yet."""
    others = [code for code in LANGUAGES if code in languages and code != default_language]
    ordered = [default_language, *others]
    campaign = Campaign(team=team, definition=draft_schema.load({
        "languages": ordered, "default_language": default_language, "title": {default_language: title},
        "questions": []}))
    db.session.add(campaign)
    db.session.flush()
    return campaign


def language_name(code: str) -> str:
    return LANGUAGES[code].native_name if code in LANGUAGES else code


# --- settings and languages --------------------------------------------------------------------------

def apply_settings(campaign: Campaign, values: dict) -> None:
    """Languages, main language, neighbourhoods and the age question; a dropped language loses its texts."""
    definition = copy.deepcopy(campaign.definition)
    languages = [code for code in LANGUAGES if code in values["languages"]]
    for code in definition["languages"]:
        if code not in languages:
            definition = without_language(definition, code)
    definition["languages"] = languages
    definition["default_language"] = values["default_language"]
    definition["buurten"] = buurten_from_text(values["buurten"])
    definition["ask_age_bracket"] = values["ask_age_bracket"]
    store_definition(campaign, definition)


def buurten_from_text(text: str) -> list[str]:
    """One neighbourhood a line, without blanks or repeats, in the order given."""
    seen: list[str] = []
    for line in text.splitlines():
        name = line.strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def without_language(definition: dict, code: str) -> dict:
    """A copy of `definition` without the texts of language `code`."""
    definition = copy.deepcopy(definition)
    definition["languages"] = [lang for lang in definition["languages"] if lang != code]
    for key in ("title", "intro", "thanks"):
        definition.get(key, {}).pop(code, None)
    for question in definition["questions"]:
        question["text"].pop(code, None)
        question.get("prompts", {}).pop(code, None)
        for choice in question.get("choices", []):
            choice["label"].pop(code, None)
    return definition


def remove_language(campaign: Campaign, code: str) -> None:
    """Drop a language and its texts.

    :raise ValidationError: for the main language or the only one.
    """
    definition = campaign.definition
    if code == definition["default_language"]:
        raise ValidationError(ValidationCode("main_language", N_(
            "The main language cannot be removed; choose another main language first.")))
    if code not in definition["languages"]:
        raise ValidationError(ValidationCode("not_one_of", N_("This language is not part of the campaign.")))
    store_definition(campaign, without_language(definition, code))


# --- texts side by side ------------------------------------------------------------------------------

def text_slots(definition: dict) -> list[dict]:
    """Every translatable text as ``{"name", "texts", "limit", "kind", ...}``; `name`.lang names its field."""
    slots = [{"name": "title", "kind": "title", "texts": definition["title"], "limit": TITLE_MAX},
             {"name": "intro", "kind": "intro", "texts": definition.get("intro", {}), "limit": TEXT_MAX},
             {"name": "thanks", "kind": "thanks", "texts": definition.get("thanks", {}), "limit": TEXT_MAX}]
    for question in definition["questions"]:
        prefix = f"questions.{question['key']}"
        slots.append({"name": f"{prefix}.text", "kind": "question", "question": question,
                      "texts": question["text"], "limit": TEXT_MAX})
        for choice in question.get("choices", []):
            slots.append({"name": f"{prefix}.choices.{choice['key']}.label", "kind": "choice",
                          "question": question, "choice": choice, "texts": choice["label"],
                          "limit": LABEL_MAX})
    return slots


def apply_texts(campaign: Campaign, values: dict, languages: list[str]) -> None:
    """Store the posted texts of `languages`; an emptied field removes that translation."""
    definition = copy.deepcopy(campaign.definition)
    for slot in text_slots(definition):
        for code in languages:
            name = f"{slot['name']}.{code}"
            if name not in values:
                continue
            if values[name]:
                slot["texts"][code] = values[name]
            else:
                slot["texts"].pop(code, None)
    store_definition(campaign, definition)


def missing_texts(definition: dict) -> dict[str, set[str]]:
    """Per language, the field names (as in `text_slots`) still to translate.

    Title, questions and choices are always needed; the intro and the closing text once the main language
    has them.
    """
    missing: dict[str, set[str]] = {}
    questions = definition["questions"]
    for language, paths in missing_translations(definition).items():
        missing[language] = {slot_name_for_path(questions, path) for path in paths}
    default = definition["default_language"]
    for key in ("intro", "thanks"):
        texts = definition.get(key, {})
        if (texts.get(default) or "").strip():
            for language in definition["languages"]:
                if not (texts.get(language) or "").strip():
                    missing.setdefault(language, set()).add(key)
    return missing


def slot_name_for_path(questions: list[dict], path: str) -> str:
    """``questions.2.choices.1.label`` -> ``questions.<key>.choices.<key>.label``."""
    parts = path.split(".")
    if parts[0] != "questions":
        return path
    question = questions[int(parts[1])]
    if parts[2] == "text":
        return f"questions.{question['key']}.text"
    return f"questions.{question['key']}.choices.{question['choices'][int(parts[3])]['key']}.label"


def completeness(definition: dict) -> list[dict]:
    """Per campaign language: ``{"code", "name", "missing", "total", "complete"}``, main language first."""
    slots = text_slots(definition)
    default = definition["default_language"]
    needed = [s for s in slots if s["kind"] in ("title", "question", "choice")
              or (s["texts"].get(default) or "").strip()]
    missing = missing_texts(definition)
    return [{"code": code, "name": language_name(code), "missing": len(missing.get(code, ())),
             "total": len(needed), "complete": not missing.get(code)} for code in definition["languages"]]


# --- questions ---------------------------------------------------------------------------------------

def find_question(definition: dict, key: str) -> dict | None:
    return next((q for q in definition["questions"] if q["key"] == key), None)


def slug(text: str, length: int = 24) -> str:
    """An ASCII key from `text` ("Groen en bomen" -> ``groen-en-bomen``), empty when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:length].strip("-")


def unused_key(base: str, taken: set[str], fallback: str) -> str:
    base = base or fallback
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def build_question(definition: dict, values: dict, existing: dict | None) -> tuple[dict, dict]:
    """The question the form describes, and errors by field name (empty when it can be saved)."""
    errors: dict[str, list[str]] = {}
    default = definition["default_language"]
    text = {code: value for code, value in values["text"].items() if value}
    if not text.get(default):
        errors[f"text.{default}"] = [_("Write the question in {language}, the main language.").format(
            language=language_name(default))]
    taken = {q["key"] for q in definition["questions"] if existing is None or q["key"] != existing["key"]}
    if existing:
        key = existing["key"]
    else:
        fallback = f"q{len(definition['questions']) + 1}"
        key = values["key"] or unused_key(slug(text.get(default, "")), taken, fallback)
    if key in taken:
        errors["key"] = [_("Another question already uses this key.")]
    choices = []
    if values["type"] in CHOICE_TYPES:
        choices = build_choices(values["choices"], default, errors)
    if values["type"] != "voice" and values["voice"] == "only":
        errors["voice"] = [_("For a question answered only by voice, choose the type Spoken answer.")]
    if values["min"] is not None and values["max"] is not None and values["min"] > values["max"]:
        errors["min"] = [_("The minimum is above the maximum.")]
    question = {"key": key, "type": values["type"], "text": text, "required": values["required"],
                "voice": "only" if values["type"] == "voice" else values["voice"], "choices": choices,
                "min": values["min"], "max": values["max"], "max_length": values["max_length"],
                "prompts": dict(existing.get("prompts", {})) if existing else {}}
    if not errors:
        try:
            question = question_schema.load(question)
        except ValidationError as err:
            errors.update(error_paths(err.messages))
    return question, errors


def build_choices(rows: list[tuple[int, dict]], default: str, errors: dict) -> list[dict]:
    """The kept choice rows as choices; removed and untouched blank rows are left out."""
    choices: list[dict] = []
    taken = {row["key"] for _number, row in rows if row["key"] and not row["remove"]}
    for number, row in rows:
        label = {code: value for code, value in row["label"].items() if value}
        if row["remove"] or not (label or row["pictogram"] or row["emoji"] or row["key"]):
            continue
        if not label.get(default):
            errors[f"choices.{number}.label.{default}"] = [_("Give this choice a label, or tick Remove.")]
        key = row["key"] or unused_key(slug(label.get(default, ""), 20), taken, f"c{len(choices) + 1}")
        taken.add(key)
        choices.append({"key": key, "label": label, "pictogram": row["pictogram"], "emoji": row["emoji"]})
    if len(choices) < 2:
        errors.setdefault("choices", []).append(_("Give at least two choices."))
    if len({choice["key"] for choice in choices}) != len(choices):
        errors.setdefault("choices", []).append(_("Each key may be used once."))
    return choices


def save_question(campaign: Campaign, question: dict, existing_key: str | None) -> None:
    """Replace the question `existing_key`, or add `question` at the end."""
    definition = copy.deepcopy(campaign.definition)
    if existing_key is None:
        definition["questions"].append(question)
    else:
        definition["questions"] = [question if q["key"] == existing_key else q
                                   for q in definition["questions"]]
    store_definition(campaign, definition)


def delete_question(campaign: Campaign, key: str) -> None:
    definition = copy.deepcopy(campaign.definition)
    definition["questions"] = [q for q in definition["questions"] if q["key"] != key]
    store_definition(campaign, definition)


def move_question(campaign: Campaign, key: str, direction: str) -> None:
    """Swap the question with the one above (``up``) or below (``down``); at an end nothing changes."""
    definition = copy.deepcopy(campaign.definition)
    questions = definition["questions"]
    index = next(i for i, q in enumerate(questions) if q["key"] == key)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
        store_definition(campaign, definition)


def remove_prompt(campaign: Campaign, key: str, language: str) -> None:
    """Delete the question's recorded prompt (its clip ``q:<key>``) in `language`."""
    for clip in [*same_slot(campaign.team_id, campaign.id, f"q:{key}", language),
                 *waiting_uploads(campaign.team_id, campaign.id, f"q:{key}", language)]:
        delete_clip(clip)


def discard_prompt_upload(campaign: Campaign, key: str, language: str, clip_id) -> None:
    """Delete the question's new recording `clip_id` in `language` while it waits or failed to be prepared; the
    prompt residents hear, a partner's proposal and an upload made since stay. Gone or ready by now: nothing."""
    for clip in waiting_uploads(campaign.team_id, campaign.id, f"q:{key}", language):
        if clip.id == clip_id:
            delete_clip(clip)


# --- publication state -------------------------------------------------------------------------------

def latest_version(campaign: Campaign) -> CampaignVersion | None:
    if not campaign.current_version:
        return None
    return db.session.query(CampaignVersion).filter_by(campaign_id=campaign.id,
                                                       number=campaign.current_version).one_or_none()


def has_unpublished_changes(campaign: Campaign) -> bool:
    """True when the draft differs from the newest published version (or nothing was published yet)."""
    version = latest_version(campaign)
    if version is None:
        return True
    return draft_schema.load(version.definition) != draft_schema.load(campaign.definition)
