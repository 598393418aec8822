"""The workspace's campaign, source and device forms, checked with marshmallow.

Campaign forms depend on the campaign's languages, so their schemas are made per request.
"""

from marshmallow import ValidationError
from werkzeug.datastructures import FileStorage

from .. import fields, validate
from ..campaigns.models import SOURCE_KINDS
from ..campaigns.schemas import KEY, QUESTION_TYPES, VOICE_MODES
from ..errors import N_, ValidationCode
from ..forms import REQUIRED, Rows, TextLength
from ..i18n import LANGUAGES
from ..validation import Schema

#: Longest texts, as `CampaignDefinitionSchema` allows them.
TITLE_MAX, TEXT_MAX, LABEL_MAX = 200, 1000, 200
KEY_HINT = N_("Use lower-case letters, digits, - and _ (at most 64), starting with a letter or digit.")
KEY_FIELD = validate.Regexp(KEY.regex, error=KEY_HINT)
LANGUAGE = validate.OneOf(list(LANGUAGES))


def texts_field(languages: list[str], max_length: int, **kwargs) -> fields.Dict:
    """A text per language of the campaign: ``{"nl": "...", "en": "..."}``."""
    return fields.Dict(keys=fields.String(validate=validate.OneOf(languages)),
                       values=fields.String(validate=TextLength(max=max_length)), load_default=dict, **kwargs)


class NewCampaignSchema(Schema):
    team = fields.Integer(required=True, error_messages=REQUIRED)
    title = fields.String(required=True, validate=TextLength(1, TITLE_MAX), error_messages=REQUIRED)
    default_language = fields.String(required=True, validate=LANGUAGE, error_messages=REQUIRED)
    languages = fields.List(fields.String(validate=LANGUAGE), load_default=list)


class SettingsSchema(Schema):
    languages = fields.List(fields.String(validate=LANGUAGE), required=True,
                            validate=validate.Length(min=1, error=N_("Choose at least one language.")),
                            error_messages={"required": N_("Choose at least one language.")})
    default_language = fields.String(required=True, validate=LANGUAGE, error_messages=REQUIRED)
    buurten = fields.String(load_default="", validate=TextLength(max=100 * 101))
    ask_age_bracket = fields.Boolean(load_default=False)
    revision = fields.String(load_default="")


def choice_row_schema(languages: list[str], pictograms: list[str]) -> Schema:
    class ChoiceRowSchema(Schema):
        key = fields.String(load_default=None, validate=KEY_FIELD)
        label = texts_field(languages, LABEL_MAX)
        pictogram = fields.String(load_default=None, validate=validate.OneOf(
            pictograms, error=N_("Choose one of the pictograms shown.")))
        emoji = fields.String(load_default=None, validate=TextLength(max=16))
        remove = fields.Boolean(load_default=False)

    return ChoiceRowSchema()


def question_form_schema(languages: list[str], pictograms: list[str]) -> Schema:
    """The question form; `choices` are numbered rows (``choices.3.label.nl``)."""

    class QuestionFormSchema(Schema):
        type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES), error_messages=REQUIRED)
        key = fields.String(load_default=None, validate=KEY_FIELD)
        text = texts_field(languages, TEXT_MAX)
        required = fields.Boolean(load_default=False)
        voice = fields.String(load_default="allowed", validate=validate.OneOf(VOICE_MODES))
        min = fields.Integer(load_default=None, validate=validate.Range(-1_000_000, 1_000_000))
        max = fields.Integer(load_default=None, validate=validate.Range(-1_000_000, 1_000_000))
        max_length = fields.Integer(load_default=300, validate=validate.Range(1, 2000))
        choices = Rows(choice_row_schema(languages, pictograms), max_rows=40, load_default=list)
        revision = fields.String(load_default="")
        more_rows = fields.Boolean(load_default=False)

    return QuestionFormSchema()


def texts_form_schema(names: dict[str, int]) -> Schema:
    """One optional text per field name (``questions.wonen.text.en``), each with its longest length.

    marshmallow reads dots in attribute names as nesting, so the fields are ``text0``, ``text1`` ... reading
    the dotted names as their data keys (errors are reported under the dotted names).
    """
    text_fields = {
        f"text{number}": fields.String(data_key=name, load_default="", validate=TextLength(max=limit))
        for number, (name, limit) in enumerate(names.items())
    }
    return Schema.from_dict({**text_fields, "revision": fields.String(load_default="")})()


class Recording(fields.Field):
    """An uploaded sound file as bytes (at most `limit` + 1 of them, so the caller sees it is too large)."""

    def __init__(self, limit: int, **kwargs):
        super().__init__(**kwargs)
        self.limit = limit

    def _deserialize(self, value, attr, data, **kwargs) -> bytes:
        content = value.read(self.limit + 1) if isinstance(value, FileStorage) else b""
        if not content:
            raise ValidationError(ValidationCode("required", N_("Choose or record a sound file first.")))
        return content


def prompt_upload_schema(limit: int) -> Schema:
    return Schema.from_dict({"file": Recording(limit, required=True, error_messages={
        "required": N_("Choose or record a sound file first.")})})()


class MoveSchema(Schema):
    direction = fields.String(required=True, validate=validate.OneOf(["up", "down"]), error_messages=REQUIRED)


class PreviewSchema(Schema):
    preview_lang = fields.String(load_default=None, validate=LANGUAGE)


class SourceFormSchema(Schema):
    name = fields.String(required=True, validate=TextLength(1, 200), error_messages=REQUIRED)
    kind = fields.String(load_default="flyer", validate=validate.OneOf(SOURCE_KINDS))


class FlyerOptionsSchema(Schema):
    size = fields.String(load_default="a5", validate=validate.OneOf(["a4", "a5", "a6"]))
    langs = fields.List(fields.String(validate=LANGUAGE), load_default=list)


class EnrolFormSchema(Schema):
    team = fields.Integer(required=True, error_messages=REQUIRED)
    label = fields.String(load_default="", validate=TextLength(max=200))
    #: The id of one of the team's door-to-door sources (checked against the team by the view), or none.
    source = fields.Integer(load_default=None, validate=validate.Range(1, 2**31 - 1))


new_campaign_schema = NewCampaignSchema()
settings_schema = SettingsSchema()
move_schema = MoveSchema()
preview_schema = PreviewSchema()
source_form_schema = SourceFormSchema()
flyer_options_schema = FlyerOptionsSchema()
enrol_form_schema = EnrolFormSchema()
