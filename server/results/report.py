"""A campaign's results as charts: what each question was answered, who answered, and when.

Counts come from `server.results.queries` (SQL over the running totals); this module only names, orders
and groups those few hundred aggregated rows.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from ..campaigns.models import Source
from ..errors import N_
from ..extensions import db
from ..responses.models import AGE_BRACKETS, CHANNELS
from .labels import group_name, merged_questions, pick, smiley_label
from .queries import answer_totals, response_totals
from .rollup import ANSWERED

#: Breakdowns offered, in the order of the menu.
BREAKDOWNS = {"language": N_("Language"), "source": N_("Flyer or team"), "channel": N_("Channel"),
              "buurt": N_("Buurt"), "age_bracket": N_("Age")}
#: Distinct colours a chart uses; further groups are shown together as "other groups".
MAX_SERIES = 8
OTHER = "__other__"
CHARTED_TYPES = ("single_choice", "multiple_choice", "smiley", "yes_no", "number")


@dataclass
class Series:
    """One group of residents in a stacked chart, with its colour slot."""

    key: object
    label: str
    slot: int


@dataclass
class Row:
    """One bar: a choice (or value, or group) and its counts per series (key ``None`` without a breakdown)."""

    key: str
    label: str
    counts: dict
    total: int
    share: float | None = None
    #: Shown instead of the count and share (e.g. "fewer than 10").
    display: str | None = None


@dataclass
class Chart:
    """A bar chart and the table that says the same."""

    id: str
    title: str
    rows: list[Row]
    series: list[Series] = field(default_factory=list)
    #: What percentages are of (residents who answered), overall and per series.
    base: int = 0
    series_bases: dict = field(default_factory=dict)
    note: str = ""
    kind: str = "bars"


@dataclass
class TimeChart:
    """Responses per day, week or month, stacked by the breakdown."""

    id: str
    unit: str
    buckets: list[Row]
    series: list[Series]


@dataclass
class Results:
    total: int
    breakdown: str | None
    series: list[Series]
    questions: list[Chart]
    groups: list[Chart]
    over_time: TimeChart
    first_day: date | None = None
    last_day: date | None = None


# --- groups of residents -----------------------------------------------------------------------------

def group_order(dimension: str, definition: dict, sources: dict) -> list:
    """The natural order of a dimension's groups; groups not listed follow, "not given" last."""
    if dimension == "language":
        return list(definition.get("languages", []))
    if dimension == "source":
        return list(sources)
    if dimension == "channel":
        return list(CHANNELS)
    if dimension == "buurt":
        return list(definition.get("buurten", []))
    return list(AGE_BRACKETS)


def ordered_groups(dimension: str, counts: dict, definition: dict, sources: dict) -> list:
    natural = group_order(dimension, definition, sources)
    rank = {key: index for index, key in enumerate(natural)}
    return sorted(counts, key=lambda key: (key in ("", 0), rank.get(key, len(rank)), str(key)))


def series_for(dimension: str, counts: dict, definition: dict, sources: dict, language: str) -> list[Series]:
    """The breakdown's groups as series; past `MAX_SERIES`, the smallest are put together as other groups."""
    keys = ordered_groups(dimension, counts, definition, sources)
    if len(keys) > MAX_SERIES:
        largest = set(sorted(keys, key=lambda key: -counts[key])[:MAX_SERIES - 1])
        keys = [key for key in keys if key in largest] + [OTHER]
    return [Series(key, _("Other groups") if key == OTHER else group_name(dimension, key, language, sources),
                   slot) for slot, key in enumerate(keys)]


def series_key(series: list[Series], value):
    """The series a group's count belongs to (`OTHER` for groups put together)."""
    keys = {s.key for s in series}
    return value if value in keys else OTHER


def group_chart(dimension: str, counts: dict, definition: dict, sources: dict, language: str) -> Chart:
    total = sum(counts.values())
    rows = [Row(str(key), group_name(dimension, key, language, sources), {None: counts[key]}, counts[key],
                counts[key] / total if total else None)
            for key in ordered_groups(dimension, counts, definition, sources)]
    return Chart(f"by-{dimension}", _(BREAKDOWNS[dimension]), rows, base=total)


# --- questions -----------------------------------------------------------------------------------------

def value_rows(question: dict, values: dict, language: str, fallback: str) -> list[tuple[str, str, list]]:
    """``(key, label, [values counted in the row])`` for each bar of a question."""
    kind = question["type"]
    if kind in ("single_choice", "multiple_choice"):
        known = [(c["key"], pick(c["label"], language, fallback), [c["key"]]) for c in question["choices"]]
        listed = {c["key"] for c in question["choices"]}
        return known + [(value, value, [value]) for value in sorted(values) if value not in listed]
    if kind == "yes_no":
        return [("yes", _("Yes"), ["yes"]), ("no", _("No"), ["no"])]
    if kind == "smiley":
        return [(str(n), smiley_label(n), [str(n)]) for n in range(1, 6)]
    return number_buckets(sorted(int(value) for value in values))


def number_buckets(numbers: list[int], most: int = 10) -> list[tuple[str, str, list]]:
    """Bars for a number question: each value when there are few, else ranges of a round width."""
    if not numbers:
        return []
    low, high = numbers[0], numbers[-1]
    if high - low < 12:
        return [(str(n), str(n), [str(n)]) for n in range(low, high + 1)]
    width = next(step for step in round_steps() if (high - low + 1) / step <= most)
    start = low // width * width
    buckets = []
    while start <= high:
        members = [str(n) for n in numbers if start <= n < start + width]
        buckets.append((f"{start}-{start + width - 1}", f"{start}–{start + width - 1}", members))
        start += width
    return buckets


def round_steps():
    scale = 1
    while True:
        for step in (1, 2, 5):
            yield step * scale
        scale *= 10


def question_chart(question: dict, rows: list[tuple], series: list[Series], language: str,
                   fallback: str) -> Chart:
    """The chart of one question from its ``(value, group, count)`` rows (group ``None`` without breakdown)."""
    values: dict[str, dict] = {}
    bases: dict = {}
    for value, group, count in rows:
        key = series_key(series, group) if series else None
        target = bases if value == ANSWERED else values.setdefault(value, {})
        target[key] = target.get(key, 0) + count
    base = sum(bases.values())
    chart = Chart(f"question-{question['key']}", pick(question["text"], language, fallback), [], series, base,
                  bases)
    if question["type"] not in CHARTED_TYPES:
        chart.kind = "count"
        chart.note = (ngettext("Answered in their own words by {count} resident: read it in the review inbox.",
                               "Answered in their own words by {count} residents: read them in the review inbox.",
                               base).format(count=base) if question["type"] == "short_text" else
                      _("Answered by voice: listen to the voice notes in the review inbox."))
        return chart
    for key, label, members in value_rows(question, values, language, fallback):
        counts: dict = {}
        for member in members:
            for group, count in values.get(member, {}).items():
                counts[group] = counts.get(group, 0) + count
        total = sum(counts.values())
        chart.rows.append(Row(key, label, counts, total, total / base if base else None))
    if question["type"] == "multiple_choice":
        chart.note = ngettext("Several answers were possible; percentages are of the {count} resident who answered.",
                              "Several answers were possible; percentages are of the {count} residents who answered.",
                              base).format(count=base)
    return chart


def split_by_question(rows: list[tuple], broken_down: bool) -> dict[str, list[tuple]]:
    """``answer_totals`` rows per question as ``(value, group, count)``."""
    by_question: dict[str, list[tuple]] = {}
    for row in rows:
        question, value, *rest = row
        group, count = (rest[0], rest[1]) if broken_down else (None, rest[0])
        by_question.setdefault(question, []).append((value, group, count))
    return by_question


# --- over time ---------------------------------------------------------------------------------------

def time_unit(first: date, last: date) -> str:
    span = (last - first).days
    return "day" if span <= 92 else "week" if span <= 2 * 365 else "month"


def bucket_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, unit: str) -> date:
    if unit == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=7 if unit == "week" else 1)


def bucket_label(start: date, unit: str) -> str:
    if unit == "week":
        return _("week of {date}").format(date=format_date(start, "d MMM"))
    if unit == "month":
        return format_date(start, "MMM yyyy")
    return format_date(start, "d MMM")


def time_chart(rows: list[tuple], series: list[Series]) -> TimeChart:
    """Buckets from ``(day, group, count)`` rows (group ``None`` without breakdown), gaps filled with zeros."""
    if not rows:
        return TimeChart("over-time", "day", [], series)
    days = [row[0] for row in rows]
    unit = time_unit(min(days), max(days))
    counts: dict[date, dict] = {}
    for day, group, count in rows:
        bucket = counts.setdefault(bucket_start(day, unit), {})
        key = series_key(series, group) if series else None
        bucket[key] = bucket.get(key, 0) + count
    buckets, start = [], bucket_start(min(days), unit)
    while start <= max(days):
        found = counts.get(start, {})
        buckets.append(Row(start.isoformat(), bucket_label(start, unit), found, sum(found.values())))
        start = next_bucket(start, unit)
    return TimeChart("over-time", unit, buckets, series)


# --- the whole page ----------------------------------------------------------------------------------

def source_names(campaign_id) -> dict:
    rows = db.session.execute(select(Source.id, Source.name).where(Source.campaign_id == campaign_id)
                              .order_by(Source.id))
    return dict(rows.all())


def campaign_results(campaign, breakdown: str | None, language: str) -> Results:
    """Everything the results page shows, with labels in `language` where the campaign has it."""
    versions = list(campaign.versions)
    definition = versions[-1].definition if versions else campaign.definition
    fallback = definition.get("default_language", "nl")
    sources = source_names(campaign.id)
    per_group = {dimension: dict(response_totals(campaign.id, (dimension,))) for dimension in BREAKDOWNS}
    total = sum(per_group["channel"].values())
    series = (series_for(breakdown, per_group[breakdown], definition, sources, language) if breakdown else [])
    answers = split_by_question(answer_totals(campaign.id, breakdown), breakdown is not None)
    questions = [question_chart(q, answers.get(q["key"], []), series, language, fallback)
                 for q in merged_questions(versions)]
    days = response_totals(campaign.id, ("day", breakdown) if breakdown else ("day",))
    over_time = time_chart([row if breakdown else (row[0], None, row[1]) for row in days], series)
    groups = [group_chart(d, per_group[d], definition, sources, language) for d in BREAKDOWNS]
    return Results(total, breakdown, series, questions, groups, over_time,
                   days[0][0] if days else None, days[-1][0] if days else None)


def question_breakdown(campaign, question_key: str, breakdown: str | None, language: str) -> Chart:
    """One question's chart, stacked by `breakdown`: what the results page draws for it."""
    versions = list(campaign.versions)
    definition = versions[-1].definition
    question = next(q for q in merged_questions(versions) if q["key"] == question_key)
    series = []
    if breakdown:
        sources = source_names(campaign.id) if breakdown == "source" else {}
        series = series_for(breakdown, dict(response_totals(campaign.id, (breakdown,))), definition, sources,
                            language)
    rows = split_by_question(answer_totals(campaign.id, breakdown, question_key), breakdown is not None)
    return question_chart(question, rows.get(question_key, []), series, language,
                          definition.get("default_language", "nl"))
