"""What the results pages take from the address bar."""

from marshmallow import EXCLUDE

from .. import fields, validate
from ..errors import N_
from ..validation import Schema
from .report import BREAKDOWNS


class ResultsQuerySchema(Schema):
    """``?breakdown=language``; other parameters (such as ``lang``) are ignored."""

    class Meta:
        unknown = EXCLUDE

    breakdown = fields.String(load_default=None, validate=validate.OneOf(
        list(BREAKDOWNS), error=N_("Choose one of the breakdowns in the list.")))


results_query_schema = ResultsQuerySchema()
