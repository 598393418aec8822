"""Keeping the running totals (`ResponseRollup`, `AnswerRollup`) in step with the responses (flush, never commit).

- `refresh_rollups`, which every results page calls before it reads, finds the responses whose
  ``counted_hidden`` does not match their review state (new ones, and ones hidden or unhidden since), adds or
  takes off what they contribute, and records how they are counted now. It works in key order and in chunks
  and locks the rows it handles, so each change is counted exactly once.
- Deleted responses and answers (erasure by receipt code, or `session.delete`) are taken off by the session
  events at the end of this module, before the rows disappear. `take_deletes_off_totals` attaches them to
  Wijkstem's session (`db.session`) when the app is built; other sessions in the process are left alone, and
  rows deleted past the session (SQL sent straight through a connection or the driver) stay counted until
  `wijkstem results rebuild`.
"""

from functools import lru_cache

from flask import current_app
from sqlalchemy import (
    String,
    and_,
    any_,
    bindparam,
    cast,
    distinct,
    event,
    false,
    func,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Delete

from ..extensions import db
from ..responses.models import Answer, Response
from .models import AnswerRollup, ResponseRollup, is_hidden, out_of_step
from .sql import local_date, upsert

#: Responses handled per statement: PostgreSQL takes their ids as one array, SQLite as (at most 32766) parameters.
CHUNK = {"postgresql": 50_000, "sqlite": 20_000}
#: What "answered the question at all" is counted under in `AnswerRollup.value`.
ANSWERED = "*"
GROUP_COLUMNS = ("language", "channel", "source_id", "buurt", "age_bracket")


def group_expressions() -> list:
    """The group a response belongs to, with NULLs as the totals store them."""
    return [Response.language.label("language"), Response.channel.label("channel"),
            func.coalesce(Response.source_id, 0).label("source_id"),
            func.coalesce(Response.buurt, "").label("buurt"),
            func.coalesce(Response.age_bracket, "").label("age_bracket")]


def answer_value():
    """A choice key or a number as text; NULL for text answers, which are only counted as answered."""
    return func.coalesce(Answer.choice_key, cast(Answer.number, String))


def response_rows(criteria):
    """One row per response matching `criteria`: campaign, local day and group."""
    day = local_date(Response.collected_at, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return select(Response.campaign_id, day.label("day"), *group_expressions()).where(criteria).subquery()


def answer_rows(criteria):
    """One row per answer of the responses matching `criteria` (which may also filter `Answer`)."""
    return (select(Response.campaign_id, Answer.question_key, answer_value().label("value"),
                   *group_expressions(), Answer.response_id)
            .join(Answer, Answer.response_id == Response.id).where(criteria).cte("answer_rows"))


def response_counts(rows, sign: int):
    keys = [rows.c.campaign_id, rows.c.day, *(rows.c[name] for name in GROUP_COLUMNS)]
    return select(*keys, (func.count() * sign).label("responses")).group_by(*keys).subquery()


def answer_counts(rows, sign: int):
    """Counts per value, and per question the responses that answered it (value ``*``)."""
    groups = [rows.c[name] for name in GROUP_COLUMNS]
    per_value = (select(rows.c.campaign_id, rows.c.question_key, rows.c.value, *groups,
                        (func.count() * sign).label("answers"))
                 .where(rows.c.value.is_not(None))
                 .group_by(rows.c.campaign_id, rows.c.question_key, rows.c.value, *groups))
    answered = (select(rows.c.campaign_id, rows.c.question_key, literal(ANSWERED, String).label("value"), *groups,
                       (func.count(distinct(rows.c.response_id)) * sign).label("answers"))
                .group_by(rows.c.campaign_id, rows.c.question_key, *groups))
    return union_all(per_value, answered).subquery()


def add_counts(connection, model, counts, measure: str) -> None:
    """Add `counts` (a subquery with the model's columns) to the model's rows."""
    table = model.__table__
    columns = [column.name for column in table.columns]
    source = select(*(counts.c[name] for name in columns)).where(true())  # SQLite's upsert wants a WHERE
    statement = upsert(db.session, table).from_select(columns, source)
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key],
        set_={measure: table.c[measure] + statement.excluded[measure]})
    connection.execute(statement)


def add_responses(connection, criteria, sign: int = 1) -> None:
    """Add (or with ``sign=-1`` take off) the responses matching `criteria` and all their answers."""
    add_counts(connection, ResponseRollup, response_counts(response_rows(criteria), sign), "responses")
    add_counts(connection, AnswerRollup, answer_counts(answer_rows(criteria), sign), "answers")


def among(column, ids: list):
    """`column` is one of `ids`: a single array parameter on PostgreSQL, an IN list elsewhere."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(column.type)))
    return column.in_(ids)


@lru_cache(maxsize=2)
def candidates_statement(after: bool):
    query = select(Response.id).where(Response.campaign_id == bindparam("campaign_id"), out_of_step())
    if after:
        query = query.where(Response.id > bindparam("after", type_=Response.id.type))
    return query.order_by(Response.id).limit(bindparam("size"))


def pending_candidates(campaign_id, after, size: int) -> list:
    """Ids of responses the totals are out of step with, in key order after `after` (the partial index)."""
    parameters = {"campaign_id": campaign_id, "after": after, "size": size}
    return list(db.session.connection().scalars(candidates_statement(after is not None), parameters))


def lock_pending(candidates: list) -> list:
    """The `candidates` still out of step, locked for this transaction; rows another refresh holds are skipped.

    A separate statement: asked for in one, PostgreSQL's planner walks the primary key instead of the index.
    """
    query = select(Response.id).where(among(Response.id, candidates), out_of_step())
    return list(db.session.scalars(query.order_by(Response.id).with_for_update(skip_locked=True)))


def catch_up(connection, ids: list) -> None:
    """Bring the totals in step with the responses `ids` (all out of step, and locked)."""
    chosen = among(Response.id, ids)
    add_responses(connection, and_(chosen, Response.counted_hidden == false()), sign=-1)  # hidden since
    add_responses(connection, and_(chosen, ~is_hidden()))  # new, or unhidden since
    table = Response.__table__
    connection.execute(update(table).where(among(table.c.id, ids)).values(counted_hidden=is_hidden()))


def refresh_rollups(campaign_id, limit: int | None = None) -> int:
    """Catch up with the campaign's new, hidden and unhidden responses (at most `limit`); returns how many."""
    connection, done, after = db.session.connection(), 0, None
    chunk = CHUNK.get(connection.dialect.name, 1000)
    while limit is None or done < limit:
        candidates = pending_candidates(campaign_id, after, chunk if limit is None else min(chunk, limit - done))
        if not candidates:
            break
        ids = lock_pending(candidates)
        if ids:
            catch_up(connection, ids)
        done, after = done + len(ids), candidates[-1]
    if done:
        drop_empty_rows(connection, campaign_id)
    return done


def rebuild_rollups(campaign_id) -> int:
    """Forget the campaign's totals and count every response again."""
    connection = db.session.connection()
    for model in (ResponseRollup, AnswerRollup):
        connection.execute(model.__table__.delete().where(model.__table__.c.campaign_id == campaign_id))
    connection.execute(update(Response.__table__).where(Response.__table__.c.campaign_id == campaign_id)
                       .values(counted_hidden=None))
    return refresh_rollups(campaign_id)


def drop_empty_rows(connection, campaign_id=None) -> None:
    """Rows counting zero (left when responses are hidden or deleted)."""
    for model, measure in ((ResponseRollup, "responses"), (AnswerRollup, "answers")):
        table = model.__table__
        statement = table.delete().where(table.c[measure] == 0)
        if campaign_id is not None:
            statement = statement.where(table.c.campaign_id == campaign_id)
        connection.execute(statement)


# --- taking deleted rows off the totals ---------------------------------------------------------------

def counted_ids(connection, criteria) -> list:
    """Ids of responses matching `criteria` that the totals count, locked so no refresh changes them."""
    query = select(Response.id).where(criteria, Response.counted_hidden == false()).with_for_update()
    return list(connection.scalars(query))


def take_off_responses(connection, criteria) -> None:
    """Before responses matching `criteria` are deleted: take them (and their answers) off the totals."""
    ids = counted_ids(connection, criteria)
    if ids:
        add_responses(connection, among(Response.id, ids), sign=-1)
        drop_empty_rows(connection)


def take_off_answers(connection, criteria) -> None:
    """Before answers matching `criteria` are deleted (with their responses): take them off the totals."""
    if counted_ids(connection, Response.id.in_(select(Answer.response_id).where(criteria))):
        counts = answer_counts(answer_rows(and_(criteria, Response.counted_hidden == false())), sign=-1)
        add_counts(connection, AnswerRollup, counts, "answers")
        drop_empty_rows(connection)


def take_deletes_off_totals(session) -> None:
    """Let `session` (a session, sessionmaker or scoped session: the app's `db.session`) take the responses and
    answers it deletes off the totals. Once per session factory, however many apps are built on it."""
    for identifier, listener in (("do_orm_execute", _take_off_bulk_deletes),
                                 ("before_flush", _take_off_deleted_objects)):
        if not event.contains(session, identifier, listener):
            event.listen(session, identifier, listener)


def _take_off_bulk_deletes(state) -> None:
    """`session.execute(delete(Response | Answer).where(...))`, as erasure by receipt code does."""
    statement = state.statement
    target = getattr(statement, "table", None) if isinstance(statement, Delete) else None
    if target is None or target.name not in (Response.__tablename__, Answer.__tablename__):
        return  # (an ORM delete names an annotated copy of the table, so compare names)
    criteria = statement.whereclause if statement.whereclause is not None else true()
    connection = state.session.connection()
    if target.name == Response.__tablename__:
        take_off_responses(connection, criteria)
    else:
        take_off_answers(connection, criteria)


def _take_off_deleted_objects(session, _context, _instances) -> None:
    """`session.delete(response)` (its answers go with it) or `session.delete(answer)`."""
    responses = [obj.id for obj in session.deleted if isinstance(obj, Response)]
    answers = [obj.id for obj in session.deleted
               if isinstance(obj, Answer) and obj.id is not None and obj.response_id not in responses]
    if not responses and not answers:
        return
    connection = session.connection()
    if answers:
        take_off_answers(connection, Answer.id.in_(answers))
    if responses:
        take_off_responses(connection, Response.id.in_(responses))
