"""The reporting-back form: what the team will do next, per language."""

from marshmallow import EXCLUDE

from .. import fields, validate
from ..forms import TextLength
from ..i18n import LANGUAGES
from ..validation import Schema

MAX_NEXT_STEPS = 3000


class NextStepsFormSchema(Schema):
    next_steps = fields.Dict(keys=fields.String(validate=validate.OneOf(list(LANGUAGES))),
                             values=fields.String(validate=TextLength(max=MAX_NEXT_STEPS)), load_default=dict)


class PublicPageQuerySchema(Schema):
    """``?lang=tr``; other parameters are ignored."""

    class Meta:
        unknown = EXCLUDE

    lang = fields.String(load_default=None, validate=validate.OneOf(list(LANGUAGES)))


next_steps_form_schema = NextStepsFormSchema()
public_page_query_schema = PublicPageQuerySchema()
