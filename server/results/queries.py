"""Counts for the results pages, summed from the running totals (GROUP BY over a few thousand rows).

The totals leave hidden responses out. Call `refresh_rollups` first so that they include the newest changes.
The statements are built once per shape and reused with new parameters: building them cost more than running
them.
"""

from functools import lru_cache

from sqlalchemy import BigInteger, bindparam, cast, func, select

from ..extensions import db
from .models import AnswerRollup, ResponseRollup

#: The ways responses can be broken down, and the column of the totals for each.
DIMENSIONS = {"language": "language", "source": "source_id", "channel": "channel", "buurt": "buurt",
              "age_bracket": "age_bracket"}


@lru_cache(maxsize=64)
def summed_statement(model, measure: str, columns: tuple[str, ...], one_question: bool):
    """``SELECT columns, SUM(measure) ... GROUP BY columns`` for one campaign (and one question)."""
    table = model.__table__
    keys = [table.c[name] for name in columns]
    total = func.sum(table.c[measure])
    query = select(*keys, cast(total, BigInteger)).where(table.c.campaign_id == bindparam("campaign_id"))
    if one_question:
        query = query.where(table.c.question_key == bindparam("question_key"))
    return query.group_by(*keys).having(total != 0).order_by(*keys)


def response_totals(campaign_id, by: tuple[str, ...] = ()) -> list[tuple]:
    """Responses per group of `by` (dimension names, or ``day``): ``[(*values, count)]``."""
    columns = tuple(DIMENSIONS.get(name, name) for name in by)
    statement = summed_statement(ResponseRollup, "responses", columns, False)
    return [tuple(row) for row in db.session.connection().execute(statement, {"campaign_id": campaign_id})]


def answer_totals(campaign_id, breakdown: str | None = None, question_key: str | None = None) -> list[tuple]:
    """Answers per question and value (``*``: responses that answered it), per `breakdown` group if given.

    Rows are ``(question_key, value, count)`` or ``(question_key, value, group, count)``.
    """
    columns = ("question_key", "value", *([DIMENSIONS[breakdown]] if breakdown else []))
    statement = summed_statement(AnswerRollup, "answers", columns, question_key is not None)
    parameters = {"campaign_id": campaign_id, "question_key": question_key}
    return [tuple(row) for row in db.session.connection().execute(statement, parameters)]
