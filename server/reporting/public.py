"""What the public results page shows: aggregated answers only, and no group smaller than the minimum size.

A count below the minimum size is shown as "fewer than N". Where one answer excludes the others (one
choice, yes/no, smileys, numbers) the hidden counts could be worked out from the rest, so more are hidden
(`server.results.suppression`). Zero is shown: it singles nobody out.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from ..results.charts import count_and_share
from ..results.labels import merged_questions, pick
from ..results.queries import answer_totals, response_totals
from ..results.report import CHARTED_TYPES, Row, split_by_question, value_rows
from ..results.rollup import ANSWERED
from ..results.suppression import hidden_cells

EXCLUSIVE_TYPES = ("single_choice", "yes_no", "smiley", "number")


@dataclass
class PublicQuestion:
    key: str
    text: str
    rows: list[Row] = field(default_factory=list)
    #: ``bars``, or ``words`` for answers given in residents' own words (only their number is told).
    kind: str = "bars"
    note: str = ""


@dataclass
class PublicResults:
    total: int
    too_few: bool
    questions: list[PublicQuestion]
    first_day: date | None
    last_day: date | None


def bucket_values(question: dict, values: dict) -> dict:
    """For a number question with a range, bars over the whole range: the bars do not tell which extreme
    values someone gave."""
    low, high = question.get("min"), question.get("max")
    if question["type"] != "number" or low is None or high is None:
        return values
    return {**{str(n): 0 for n in (low, high)}, **values}


def number_range(key: str) -> tuple[int, int]:
    low, _dash, high = key.partition("-") if not key.startswith("-") else ("-" + key[1:].partition("-")[0],
                                                                             "-", key[1:].partition("-")[2])
    return int(low), int(high or low)


def merge_small_ends(bars: list[tuple[str, str, int]], min_size: int) -> list[tuple[str, str, int]]:
    """Number ranges: ranges at either end with fewer than `min_size` answers are joined to their neighbour
    ("60 or more", "9 or less"), so rare high or low values neither show nor hide a range in the middle."""
    bars = [(number_range(key), count) for key, _label, count in bars]
    while len(bars) > 1 and bars[-1][1] < min_size:
        (low, _high), count = bars[-2]
        bars[-2:] = [((low, None), count + bars[-1][1])]
    while len(bars) > 1 and bars[0][1] < min_size:
        (_low, high), count = bars[1]
        bars[:2] = [((None, high), count + bars[0][1])]
    return [(f"{low}-{high}", range_label(low, high), count) for (low, high), count in bars]


def range_label(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return _("Every number")
    if high is None:
        return _("{number} or more").format(number=low)
    if low is None:
        return _("{number} or less").format(number=high)
    return str(low) if low == high else f"{low}–{high}"


def public_question(question: dict, rows: list[tuple], language: str, fallback: str,
                    min_size: int) -> PublicQuestion | None:
    """One question's public result, or ``None`` when nothing about it can be shown."""
    values = {value: count for value, _group, count in rows if value != ANSWERED}
    answered = sum(count for value, _group, count in rows if value == ANSWERED)
    text = pick(question["text"], language, fallback)
    if question["type"] not in CHARTED_TYPES:
        if answered < min_size:
            return None
        note = ngettext("{count} resident said it in their own words. The team listens to and reads it.",
                        "{count} residents said it in their own words. The team listens to and reads every one.",
                        answered).format(count=answered)
        return PublicQuestion(question["key"], text, kind="words", note=note)
    if answered < min_size:
        return None
    bars = [(key, label, sum(values.get(member, 0) for member in members))
            for key, label, members in value_rows(question, bucket_values(question, values), language, fallback)]
    if question["type"] == "number":
        bars = merge_small_ends(bars, min_size)
    hidden = hidden_cells([count for _key, _label, count in bars], min_size, question["type"] in EXCLUSIVE_TYPES)
    result = PublicQuestion(question["key"], text)
    for (key, label, count), why in zip(bars, hidden, strict=True):
        if why is not None:
            result.rows.append(Row(key, label, {}, 0, None, hidden_text(why, min_size)))
        else:
            result.rows.append(Row(key, label, {None: count}, count, count / answered,
                                   count_and_share(count, count / answered)))
    if question["type"] == "multiple_choice":
        result.note = _("Several answers were possible.")
    return result


def hidden_text(why: str, min_size: int) -> str:
    if why == "small":
        return _("fewer than {min}").format(min=min_size)
    return _("not shown, so that smaller numbers cannot be worked out")


def public_results(campaign, language: str, min_size: int) -> PublicResults:
    """The aggregated results in `language` (falling back to the campaign's main language)."""
    versions = list(campaign.versions)
    fallback = versions[-1].definition.get("default_language", "nl") if versions else "nl"
    days = response_totals(campaign.id, ("day",))
    total = sum(count for _day, count in days)
    if total < min_size:
        return PublicResults(total, True, [], None, None)
    answers = split_by_question(answer_totals(campaign.id), broken_down=False)
    questions = [public_question(q, answers.get(q["key"], []), language, fallback, min_size)
                 for q in merged_questions(versions)]
    return PublicResults(total, False, [q for q in questions if q is not None], days[0][0], days[-1][0])
