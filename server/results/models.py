"""Running totals of what a campaign received, so results never scan every response.

They count the responses that are not hidden. ``responses.counted_hidden`` records how each response is
counted; `server.results.rollup` brings the totals up to date with new, hidden and unhidden responses.
Empty groups are stored as ``""`` (and a missing source as ``0``) because key columns cannot hold NULL.
"""

from sqlalchemy import literal_column, or_

from ..extensions import db
from ..responses.models import Response


class ResponseRollup(db.Model):
    """How many responses a campaign got on one day from one group of residents."""

    __tablename__ = "response_rollups"

    #: The campaign answered.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    #: The local day the response was collected (the deployment's time zone).
    day = db.Column(db.Date, primary_key=True)
    #: Language, channel, source (``0``: none), buurt and age bracket (``""``: not given) of the responses.
    language = db.Column(db.String(16), primary_key=True)
    channel = db.Column(db.String(16), primary_key=True)
    source_id = db.Column(db.Integer, primary_key=True)
    buurt = db.Column(db.String(100), primary_key=True)
    age_bracket = db.Column(db.String(8), primary_key=True)
    #: Number of responses.
    responses = db.Column(db.Integer, nullable=False)


class AnswerRollup(db.Model):
    """How often one value was given to one question by one group of residents."""

    __tablename__ = "answer_rollups"

    #: The campaign answered.
    campaign_id = db.Column(db.Uuid, db.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    #: The question, and the value: a choice key, a number as text, or ``*`` for "answered at all".
    question_key = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.String(64), primary_key=True)
    #: The group of residents, as in `ResponseRollup`.
    language = db.Column(db.String(16), primary_key=True)
    channel = db.Column(db.String(16), primary_key=True)
    source_id = db.Column(db.Integer, primary_key=True)
    buurt = db.Column(db.String(100), primary_key=True)
    age_bracket = db.Column(db.String(8), primary_key=True)
    #: Number of answers with this value (for ``*``: responses that answered the question).
    answers = db.Column(db.Integer, nullable=False)


def is_hidden():
    """The response is hidden now (the literal keeps the SQL identical to the partial index's)."""
    return Response.review_state == literal_column("'hidden'")


def out_of_step():
    """The totals do not count the response as it is now: it is new, newly hidden or unhidden."""
    return or_(Response.counted_hidden.is_(None), Response.counted_hidden != is_hidden())


#: Responses the totals must catch up with, found in key order without scanning the others.
db.Index("ix_responses_rollup_pending", Response.campaign_id, Response.id,
         postgresql_where=out_of_step(), sqlite_where=out_of_step())
