"""The partnership forms, checked with marshmallow."""

from .. import fields, validate
from ..forms import REQUIRED, TextLength
from ..validation import Schema
from .models import GRANTS, REQUEST_KINDS, REQUEST_STATES


class InviteFormSchema(Schema):
    team = fields.Integer(required=True, error_messages=REQUIRED)
    #: A campaign of the team, or empty for all its campaigns.
    campaign = fields.UUID(load_default=None, allow_none=True)


class AcceptFormSchema(Schema):
    partner_team = fields.Integer(required=True, error_messages=REQUIRED)
    code = fields.String(required=True, validate=TextLength(6, 40), error_messages=REQUIRED)


class GrantsFormSchema(Schema):
    grants = fields.List(fields.String(validate=validate.OneOf(GRANTS)), load_default=list)


class CreditFormSchema(Schema):
    credited = fields.Boolean(load_default=False)


class SupportFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REQUEST_KINDS), error_messages=REQUIRED)
    body = fields.String(required=True, validate=TextLength(1, 2000), error_messages=REQUIRED)


class AnswerFormSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(REQUEST_STATES), error_messages=REQUIRED)


class TextFormSchema(Schema):
    key = fields.String(required=True, validate=TextLength(1, 200), error_messages=REQUIRED)
    text = fields.String(required=True, validate=TextLength(1, 1000), error_messages=REQUIRED)


class LendFormSchema(Schema):
    label = fields.String(load_default="", validate=TextLength(max=200))


invite_form_schema = InviteFormSchema()
accept_form_schema = AcceptFormSchema()
grants_form_schema = GrantsFormSchema()
credit_form_schema = CreditFormSchema()
support_form_schema = SupportFormSchema()
answer_form_schema = AnswerFormSchema()
lend_form_schema = LendFormSchema()
text_form_schema = TextFormSchema()
