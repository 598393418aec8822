"""The workspace's account forms: signing in, passwords, users and teams."""

from marshmallow import ValidationError, validates_schema

from .. import fields, validate
from ..errors import N_, ValidationCode
from ..forms import REQUIRED, TextLength
from ..i18n import LANGUAGES
from ..teams.models import TEAM_KINDS
from ..validation import Schema
from .models import ROLES

PASSWORD_MIN = 10
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,63}$", error=N_(
    "Use 2 to 64 lower-case letters, digits and dashes, starting with a letter or digit."))


def password_field(**kwargs) -> fields.String:
    return fields.String(validate=TextLength(max=1024), error_messages=REQUIRED, **kwargs)


def new_password_field(**kwargs) -> fields.String:
    return fields.String(validate=TextLength(PASSWORD_MIN, 1024), error_messages=REQUIRED, **kwargs)


class SignInSchema(Schema):
    email = fields.String(required=True, validate=TextLength(max=254), error_messages=REQUIRED)
    password = password_field(required=True)
    next = fields.String(load_default=None)


class PasswordChangeSchema(Schema):
    current_password = password_field(required=True)
    new_password = new_password_field(required=True)
    confirm_password = password_field(required=True)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def check_repeated(self, _data, original, **_kwargs):
        if isinstance(original, dict) and original.get("new_password") \
                and original.get("new_password") != original.get("confirm_password"):
            raise ValidationError(ValidationCode("mismatch", N_("The two passwords differ.")),
                                  "confirm_password")


class UserFormSchema(Schema):
    """A new account (the admin sets a first password and passes it on)."""

    email = fields.Email(required=True, validate=TextLength(max=254), error_messages=REQUIRED)
    name = fields.String(load_default="", validate=TextLength(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES), error_messages=REQUIRED)
    teams = fields.List(fields.Integer(), load_default=list)
    password = new_password_field(required=True)


class UserEditSchema(Schema):
    """Changes to an account; a password is set only when one is given."""

    name = fields.String(load_default="", validate=TextLength(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES), error_messages=REQUIRED)
    teams = fields.List(fields.Integer(), load_default=list)
    password = new_password_field(load_default=None)
    active = fields.Boolean(load_default=False)


class TeamFormSchema(Schema):
    slug = fields.String(required=True, validate=SLUG, error_messages=REQUIRED)
    name = fields.String(required=True, validate=TextLength(1, 200), error_messages=REQUIRED)
    kind = fields.String(required=True, validate=validate.OneOf(TEAM_KINDS), error_messages=REQUIRED)


class TeamEditSchema(Schema):
    name = fields.String(required=True, validate=TextLength(1, 200), error_messages=REQUIRED)
    kind = fields.String(required=True, validate=validate.OneOf(TEAM_KINDS), error_messages=REQUIRED)


class MemberFormSchema(Schema):
    email = fields.String(required=True, validate=TextLength(max=254), error_messages=REQUIRED)


class LanguageFormSchema(Schema):
    lang = fields.String(required=True, validate=validate.OneOf(list(LANGUAGES)), error_messages=REQUIRED)
    next = fields.String(load_default=None)


sign_in_schema = SignInSchema()
password_change_schema = PasswordChangeSchema()
user_form_schema = UserFormSchema()
user_edit_schema = UserEditSchema()
team_form_schema = TeamFormSchema()
team_edit_schema = TeamEditSchema()
member_form_schema = MemberFormSchema()
language_form_schema = LanguageFormSchema()
