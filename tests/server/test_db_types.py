"""UTCDateTime stores on SQLite exactly the text SQLAlchemy's own DateTime would, so old and new rows compare."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from server.db_types import UTCDateTime

dialect = sqlite.dialect()
ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
sqlalchemys = DateTime().dialect_impl(dialect).bind_processor(dialect)


@given(moment=st.datetimes(min_value=datetime(1000, 1, 2),
                           max_value=datetime(9998, 12, 30)),
       minutes=st.integers(-23 * 60, 23 * 60))
def test_sqlite_text_is_sqlalchemys(moment, minutes):
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    assert ours(aware) == sqlalchemys(aware.astimezone(UTC).replace(tzinfo=None))


def test_naive_times_and_none():
    assert ours(None) is None
    with pytest.raises(ValueError):
        ours(datetime(2026, 11, 28, 10, 15))
