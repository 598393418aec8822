"""Counts for the results pages, summed from the running totals (GROUP BY over a few thousand rows).

The totals leave hidden responses out. Call `refresh_rollups` first so that they include the newest changes.
"""

from sqlalchemy import BigInteger, cast, func, select

from ..extensions import db
from .models import AnswerRollup, ResponseRollup

#: The ways responses can be broken down, and the column of the totals for each.
DIMENSIONS = {"language": "language", "source": "source_id", "channel": "channel", "buurt": "buurt",
              "age_bracket": "age_bracket"}


def summed(model, measure: str, columns: list[str], *criteria) -> list[tuple]:
    """``[(*columns, total)]`` of `model`'s rows matching `criteria`, groups that sum to zero left out."""
    table = model.__table__
    keys = [table.c[name] for name in columns]
    total = func.sum(table.c[measure])
    query = (select(*keys, cast(total, BigInteger)).where(*criteria).group_by(*keys).having(total != 0)
             .order_by(*keys))
    return [tuple(row) for row in db.session.execute(query)]


def response_totals(campaign_id, by: tuple[str, ...] = ()) -> list[tuple]:
    """Responses per group of `by` (dimension names, or ``day``): ``[(*values, count)]``."""
    columns = [DIMENSIONS.get(name, name) for name in by]
    return summed(ResponseRollup, "responses", columns, ResponseRollup.campaign_id == campaign_id)


def answer_totals(campaign_id, breakdown: str | None = None, question_key: str | None = None) -> list[tuple]:
    """Answers per question and value (``*``: responses that answered it), per `breakdown` group if given.

    Rows are ``(question_key, value, count)`` or ``(question_key, value, group, count)``.
    """
    columns = ["question_key", "value", *([DIMENSIONS[breakdown]] if breakdown else [])]
    criteria = [AnswerRollup.campaign_id == campaign_id]
    if question_key is not None:
        criteria.append(AnswerRollup.question_key == question_key)
    return summed(AnswerRollup, "answers", columns, *criteria)
