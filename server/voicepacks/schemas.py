"""The studio's recording form (the clip map of the download is documented in `campaigns.schemas`)."""

from marshmallow import Schema, fields, validate

from ..errors import N_
from ..forms import REQUIRED
from ..workspace.schemas import Recording

#: ``title``, ``q:wonen``, ``q:missen:groen``, ``buurt:<name>`` or a phrase key such as ``consent_answers``.
CLIP_KEY = validate.Regexp(r"^(?:[a-z0-9][a-z0-9_:-]{0,159}|buurt:[^\n]{1,100})$",
                           error=N_("This text does not exist."))


def record_form_schema(limit: int) -> Schema:
    return Schema.from_dict({
        "key": fields.String(required=True, validate=CLIP_KEY, error_messages=REQUIRED),
        "file": Recording(limit, required=True,
                          error_messages={"required": N_("Choose or record a sound file first.")}),
    })()

