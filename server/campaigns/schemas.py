"""The campaign definition document and what devices download."""

import re

from marshmallow import ValidationError, validates_schema

from .. import fields, validate
from ..errors import N_, ValidationCode
from ..i18n import LANGUAGES
from ..responses.models import AGE_BRACKETS
from ..validation import RequestSchema, Schema
from .models import CAMPAIGN_STATES, SOURCE_KINDS

QUESTION_TYPES = ("single_choice", "multiple_choice", "smiley", "yes_no", "number", "short_text", "voice")
CHOICE_TYPES = ("single_choice", "multiple_choice")
#: ``off``: tap only; ``allowed``: "say it instead" offered; ``only``: a voice-only question.
VOICE_MODES = ("off", "allowed", "only")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
KEY = validate.Regexp(KEY_PATTERN)


class TranslatedText(fields.Dict):
    """A text in several languages: ``{"nl": "...", "en": "..."}``."""

    def __init__(self, max_length: int = 1000, **kwargs):
        super().__init__(keys=fields.String(validate=validate.OneOf(list(LANGUAGES))),
                         values=fields.String(validate=validate.Length(max=max_length)), **kwargs)


class ChoiceSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    label = TranslatedText(max_length=200, required=True)
    #: Name of a bundled pictogram (``pwa/pictograms/<name>.svg``) or ``None``.
    pictogram = fields.String(load_default=None, allow_none=True, validate=KEY)
    #: An emoji shown when there is no pictogram.
    emoji = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))


class QuestionSchema(Schema):
    key = fields.String(required=True, validate=KEY)
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    text = TranslatedText(required=True)
    required = fields.Boolean(load_default=False)
    voice = fields.String(load_default="allowed", validate=validate.OneOf(VOICE_MODES))
    choices = fields.List(fields.Nested(ChoiceSchema), load_default=list, validate=validate.Length(max=20))
    min = fields.Integer(load_default=None, allow_none=True, strict=True)
    max = fields.Integer(load_default=None, allow_none=True, strict=True)
    max_length = fields.Integer(load_default=300, validate=validate.Range(1, 2000), strict=True)
    #: Prompt ids per language, set by versions before clips (ignored: prompts are clips ``q:<key>`` now).
    prompts = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)

    @validates_schema
    def check_type_settings(self, data, **_kwargs):
        if data["type"] in CHOICE_TYPES and len(data["choices"]) < 2:
            raise ValidationError(ValidationCode("too_few_choices", N_("Give at least two choices.")), "choices")
        keys = [choice["key"] for choice in data["choices"]]
        if len(keys) != len(set(keys)):
            raise ValidationError(ValidationCode("duplicate_key", N_("Each key may be used once.")), "choices")
        if data["type"] == "voice":
            data["voice"] = "only"
        if data["min"] is not None and data["max"] is not None and data["min"] > data["max"]:
            raise ValidationError(ValidationCode("invalid_range", N_("The minimum is above the maximum.")), "min")


class CampaignDefinitionSchema(RequestSchema):
    languages = fields.List(fields.String(validate=validate.OneOf(list(LANGUAGES))), required=True,
                            validate=validate.Length(min=1, max=len(LANGUAGES)))
    default_language = fields.String(required=True, validate=validate.OneOf(list(LANGUAGES)))
    title = TranslatedText(max_length=200, required=True)
    intro = TranslatedText(load_default=dict)
    #: What the team will do with the answers (shown at the end and on the results page).
    thanks = TranslatedText(load_default=dict)
    #: Neighbourhoods a resident may pick from; empty means the question is not asked.
    buurten = fields.List(fields.String(validate=validate.Length(1, 100)), load_default=list,
                          validate=validate.Length(max=100))
    ask_age_bracket = fields.Boolean(load_default=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=60))

    @validates_schema
    def check_consistency(self, data, **_kwargs):
        if data["default_language"] not in data["languages"]:
            raise ValidationError(ValidationCode("not_one_of", N_("Must be one of: {choices}."),
                                                 choices=", ".join(data["languages"])), "default_language")
        keys = [question["key"] for question in data["questions"]]
        if len(keys) != len(set(keys)):
            raise ValidationError(ValidationCode("duplicate_key", N_("Each key may be used once.")), "questions")


def missing_translations(definition: dict) -> dict[str, list[str]]:
    """Per language, the paths of texts not yet translated (an empty dict means complete)."""
    missing: dict[str, list[str]] = {}

    def check(texts: dict, path: str):
        for language in definition["languages"]:
            if not (texts.get(language) or "").strip():
                missing.setdefault(language, []).append(path)

    check(definition["title"], "title")
    for index, question in enumerate(definition["questions"]):
        check(question["text"], f"questions.{index}.text")
        for choice_index, choice in enumerate(question.get("choices", [])):
            check(choice["label"], f"questions.{index}.choices.{choice_index}.label")
    return missing


definition_schema = CampaignDefinitionSchema()
AGE_BRACKET_CHOICES = list(AGE_BRACKETS)


# --- what devices and flyer visitors download (documents the replies; `operations.campaign_document`) ------

TEXTS = {"keys": fields.String(), "values": fields.String()}


class ChoiceDocumentSchema(Schema):
    key = fields.String(required=True)
    label = fields.Dict(required=True, **TEXTS)
    pictogram = fields.String(required=True, allow_none=True)
    emoji = fields.String(required=True, allow_none=True)
    #: Where the bundled pictogram is served, or ``None``.
    pictogram_url = fields.String(required=True, allow_none=True)


class QuestionDocumentSchema(Schema):
    key = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    text = fields.Dict(required=True, **TEXTS)
    required = fields.Boolean(required=True)
    voice = fields.String(required=True, validate=validate.OneOf(VOICE_MODES))
    choices = fields.List(fields.Nested(ChoiceDocumentSchema), required=True)
    min = fields.Integer(required=True, allow_none=True)
    max = fields.Integer(required=True, allow_none=True)
    max_length = fields.Integer(required=True)
    #: Download path of the question's clip (``audio.<lang>.campaign.q:<key>``) per language; for apps that
    #: predate ``audio``.
    prompts = fields.Dict(required=True, **TEXTS)


class ClipReferenceSchema(Schema):
    #: Where the clip is served (`GET /api/v1/clips/<id>`, immutable).
    url = fields.String(required=True)
    bytes = fields.Integer(required=True)
    #: ``None`` only for a prompt recorded before clips were measured.
    duration_ms = fields.Integer(required=True, allow_none=True)


class LanguageAudioSchema(Schema):
    #: Campaign texts: ``title``, ``intro``, ``thanks``, ``q:<question>``, ``q:<question>:<choice>``.
    campaign = fields.Dict(keys=fields.String(), values=fields.Nested(ClipReferenceSchema), required=True)
    #: The team's voice pack: phrase keys of `pwa/js/phrases.js`.
    phrases = fields.Dict(keys=fields.String(), values=fields.Nested(ClipReferenceSchema), required=True)


class CampaignDocumentSchema(Schema):
    """One published campaign version with every translation."""

    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    #: Changes whenever a new version is published.
    etag = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CAMPAIGN_STATES))
    team = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    default_language = fields.String(required=True)
    title = fields.Dict(required=True, **TEXTS)
    intro = fields.Dict(required=True, **TEXTS)
    thanks = fields.Dict(required=True, **TEXTS)
    buurten = fields.List(fields.String(), required=True)
    #: Empty when the campaign does not ask for an age bracket.
    age_brackets = fields.List(fields.String(), required=True)
    questions = fields.List(fields.Nested(QuestionDocumentSchema), required=True)
    #: Per language, the clips that match the current texts (docs/listen-mode.md).
    audio = fields.Dict(keys=fields.String(), values=fields.Nested(LanguageAudioSchema), required=True)


class DeviceSourceSchema(Schema):
    """A door-to-door source (a route, a street, a team) an enrolled phone may attribute responses to."""

    code = fields.String(required=True)
    name = fields.String(required=True)


class DeviceCampaignDocumentSchema(CampaignDocumentSchema):
    """A campaign as an enrolled phone downloads it: with the door-to-door sources to choose from."""

    #: The campaign's open door-to-door sources, for the field worker's choice of the day's route.
    sources = fields.List(fields.Nested(DeviceSourceSchema), required=True)
    #: The code (one of `sources`) the coordinator chose for this phone at enrolment, or null.
    default_source = fields.String(required=True, allow_none=True)


class CampaignListSchema(Schema):
    campaigns = fields.List(fields.Nested(DeviceCampaignDocumentSchema), required=True)


class SourceSummarySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SOURCE_KINDS))


class SourceDocumentSchema(Schema):
    """What a flyer's code leads to."""

    source = fields.Nested(SourceSummarySchema, required=True)
    campaign = fields.Nested(CampaignDocumentSchema, required=True)
