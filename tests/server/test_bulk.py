"""Bulk inserts through the driver store what the ORM stores, and fail as SQLAlchemy fails."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.bulk import SQLITE_KEYS_PER_STATEMENT, insert_rows, rows_with_keys
from server.extensions import db
from server.responses.models import Answer, Response
from server.responses.storing import ANSWER_COLUMNS, LEFT_OUT, RESPONSE_COLUMNS
from server.util import uuid7

#: Characters that COPY's text format escapes, and some that are not ASCII.
TRICKY_TEXT = "Meer groen 🌳\tbij de \\N school,\nen \\. een bankje"


def response_values(campaign, **changes) -> dict:
    values = {
        "id": uuid7(), "campaign_id": campaign.id, "campaign_version": 1, "language": "tr",
        "channel": "door_to_door", "source_id": None, "device_id": None,
        "collected_at": datetime(2026, 11, 28, 10, 15, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
        "received_at": datetime(2026, 11, 28, 12, 0, tzinfo=UTC), "consent_answers": True,
        "consent_audio": False, "buurt": "Zuid", "age_bracket": None, "receipt_hash": None,
        "content_hash": "ab" * 32, "review_state": "new",
    }
    return {**values, **changes}


@pytest.mark.parametrize(("model", "columns"), [(Response, RESPONSE_COLUMNS), (Answer, ANSWER_COLUMNS)],
                         ids=["responses", "answers"])
def test_the_sync_stores_every_column_but_those_it_names_as_left_out(model, columns):
    table = model.__table__
    left_out = LEFT_OUT[table.name]
    assert set(columns).isdisjoint(left_out)
    assert set(columns) | set(left_out) == set(table.c.keys()), "a column the sync neither stores nor leaves out"
    for name in left_out:  # stored through the driver, a left-out column gets no Python-side default
        column = table.c[name]
        assert column.default is None, f"{name}: the sync's driver inserts skip its default"
        assert column.nullable or column is table.autoincrement_column, f"{name}: NULL is not allowed"


def as_row(values: dict) -> tuple:
    return tuple(values[column] for column in RESPONSE_COLUMNS)


def test_rows_read_back_as_the_orm_wrote_them(campaign):
    values = response_values(campaign)
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [as_row(values)])
    insert_rows(Answer.__table__, ANSWER_COLUMNS, [(values["id"], "plekken", "park", None, None),
                                                   (values["id"], "jaren", None, 12, None),
                                                   (values["id"], "idee", None, None, TRICKY_TEXT)])
    db.session.commit()
    db.session.expunge_all()
    stored = db.session.get(Response, values["id"])
    assert {column: getattr(stored, column) for column in RESPONSE_COLUMNS} == values
    assert stored.collected_at.tzinfo is not None
    answers = db.session.execute(select(Answer.question_key, Answer.choice_key, Answer.number, Answer.text)
                                 .where(Answer.response_id == values["id"]).order_by(Answer.id)).all()
    assert [tuple(a) for a in answers] == [("plekken", "park", None, None), ("jaren", None, 12, None),
                                           ("idee", None, None, TRICKY_TEXT)]


def test_a_stored_key_raises_sqlalchemys_integrity_error_and_the_session_recovers(campaign):
    values = response_values(campaign)
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [as_row(values)])
    db.session.commit()
    with pytest.raises(IntegrityError):
        insert_rows(Response.__table__, RESPONSE_COLUMNS,
                    [as_row(response_values(campaign)), as_row({**values, "language": "nl"})])
    db.session.rollback()
    assert db.session.scalars(select(Response.language)).all() == ["tr"]


def test_an_unknown_campaign_is_refused_by_the_foreign_key(campaign):
    with pytest.raises(IntegrityError):
        insert_rows(Response.__table__, RESPONSE_COLUMNS,
                    [as_row(response_values(campaign, campaign_id=uuid7()))])
    db.session.rollback()


def test_no_rows_is_no_statement(campaign):
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [])
    assert db.session.scalars(select(Response.id)).all() == []


def test_rows_with_keys_reads_what_the_orm_reads(campaign):
    stored = [response_values(campaign, receipt_hash=None if n % 2 else f"{n:064x}") for n in range(3)]
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [as_row(values) for values in stored])
    db.session.commit()
    wanted = ("id", "collected_at", "receipt_hash", "consent_audio")
    unknown = uuid7()
    found = rows_with_keys(Response.__table__, "id", wanted, [stored[0]["id"], unknown, stored[2]["id"]])
    orm = db.session.execute(select(*(Response.__table__.c[c] for c in wanted))
                             .where(Response.id.in_([stored[0]["id"], stored[2]["id"]]))).all()
    assert sorted(found) == sorted(tuple(row) for row in orm)
    assert {row[0] for row in found} == {stored[0]["id"], stored[2]["id"]}
    assert found[0][1].tzinfo is not None
    assert rows_with_keys(Response.__table__, "id", wanted, []) == []


def test_rows_with_keys_takes_more_keys_than_one_statement_binds(campaign):
    stored = [response_values(campaign) for _ in range(3)]
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [as_row(values) for values in stored])
    keys = [uuid7() for _ in range(2 * SQLITE_KEYS_PER_STATEMENT)] + [values["id"] for values in stored]
    found = rows_with_keys(Response.__table__, "id", ("id",), keys)
    assert sorted(row[0] for row in found) == sorted(values["id"] for values in stored)


def test_update_row_sets_values_as_the_orm_would_unless_a_column_is_set(campaign):
    from server.bulk import update_row

    values = response_values(campaign)
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [as_row(values)])
    later = datetime(2026, 11, 29, 8, 0, 0, 250, tzinfo=timezone(timedelta(hours=1)))
    changes = {"received_at": later, "consent_audio": True, "buurt": TRICKY_TEXT}
    assert update_row(Response.__table__, "id", values["id"], changes, unless_set=("age_bracket",)) == 1
    assert update_row(Response.__table__, "id", uuid7(), changes) == 0
    assert update_row(Response.__table__, "id", values["id"], {"buurt": "Noord"}, unless_set=("buurt",)) == 0
    db.session.commit()
    db.session.expunge_all()
    stored = db.session.get(Response, values["id"])
    assert (stored.received_at, stored.consent_audio, stored.buurt) == (later, True, TRICKY_TEXT)


def bound_row(values: dict) -> tuple:
    from server.bulk import value_binders

    binders = value_binders(Response.__table__, RESPONSE_COLUMNS)
    return tuple(value if bind is None or value is None else bind(value)
                 for bind, value in zip(binders, as_row(values), strict=True))


def test_rows_bound_beforehand_are_stored_as_rows_bound_by_insert_rows(campaign):
    bound, unbound = response_values(campaign), response_values(campaign, consent_audio=True)
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [bound_row(bound)], bound=True)
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [as_row(unbound)])
    db.session.commit()
    db.session.expunge_all()
    for values in (bound, unbound):
        stored = db.session.get(Response, values["id"])
        assert {column: getattr(stored, column) for column in RESPONSE_COLUMNS} == values
    raw = db.session.connection().exec_driver_sql("SELECT id, collected_at, received_at FROM responses").all()
    assert len({tuple(map(type, row)) for row in raw}) == 1  # same driver types for both rows


def test_driver_values_go_in_and_come_out_unconverted(campaign):
    from server.bulk import loaded_values

    values = response_values(campaign)
    row = bound_row(values)
    insert_rows(Response.__table__, RESPONSE_COLUMNS, [row], bound=True)
    found = rows_with_keys(Response.__table__, "id", ("id", "collected_at"), [row[0], bound_row(
        response_values(campaign))[0]], driver_values=True)
    assert found == [(row[0], found[0][1])]
    assert loaded_values(Response.__table__, "id", [found[0][0], None]) == [values["id"], None]
    assert loaded_values(Response.__table__, "collected_at", [found[0][1]]) == [values["collected_at"]]
