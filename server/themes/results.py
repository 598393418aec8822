"""Themes counted like closed questions: how many residents raised each (a theme on the whole response or on a
fragment of it), over time and per group, with the public page's small-group suppression: a count below the
minimum group size is never shown, and where a theme's groups add up to its shown total, enough further cells
are hidden that a small one cannot be worked out (`server.results.suppression`).

Hidden responses are left out, as the running totals leave them out.
"""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..responses.models import Response
from ..results.charts import count_and_share
from ..results.labels import group_name
from ..results.queries import DIMENSIONS
from ..results.report import Row, Series, bucket_label, bucket_start, ordered_groups, source_names, time_unit
from ..results.sql import local_date
from ..results.suppression import hidden_cells, small
from .models import Theme, ThemeLink
from .operations import campaign_themes


@dataclass
class ThemeChart:
    """One row per theme (total, and per group of the breakdown), and the same over time."""

    rows: list[Row]
    series: list[Series] = field(default_factory=list)
    #: Per theme id: ``{group key: display}`` for the breakdown, and ``{bucket start: display}`` over time.
    cells: dict = field(default_factory=dict)
    buckets: list[tuple[str, str]] = field(default_factory=list)
    over_time: dict = field(default_factory=dict)
    min_size: int = 10


def min_group_size() -> int:
    return int(current_app.config.get("RESULTS_MIN_GROUP_SIZE", 10))


def counted(campaign_id, *columns) -> list[tuple]:
    """``(theme id, *columns, residents)``: distinct responses per theme (and group), hidden ones left out."""
    query = (select(ThemeLink.theme_id, *columns, func.count(ThemeLink.response_id.distinct()))
             .join(Response, Response.id == ThemeLink.response_id)
             .where(Response.campaign_id == campaign_id, Response.review_state != "hidden")
             .group_by(ThemeLink.theme_id, *columns))
    return [tuple(row) for row in db.session.execute(query).all()]


def shown(count: int, why: str | None, min_size: int, base: int | None = None) -> str:
    if why == "small":
        return _("fewer than {min}").format(min=min_size)
    if why:
        return _("not shown, so that smaller numbers cannot be worked out")
    return count_and_share(count, count / base if base else None)


def group_column(dimension: str):
    column = getattr(Response, DIMENSIONS[dimension])
    return func.coalesce(column, 0 if dimension == "source" else "")


def theme_chart(campaign, breakdown: str | None, language: str, total: int, min_size: int | None = None) -> ThemeChart:
    """The themes' counts as the results page shows them (`total`: all residents, what shares are of)."""
    min_size = min_group_size() if min_size is None else min_size
    themes = campaign_themes(campaign.id)
    fallback = campaign.definition.get("default_language", "nl")
    totals = {theme_id: count for theme_id, count in counted(campaign.id)}
    chart = ThemeChart([], min_size=min_size)
    for theme in themes:
        count = totals.get(theme.id, 0)
        hidden = small(count, min_size)
        chart.rows.append(Row(str(theme.id), theme.label(language, fallback), {} if hidden else {None: count},
                              0 if hidden else count, None if hidden else (count / total if total else None),
                              shown(count, "small" if hidden else None, min_size, total)))
    if breakdown:
        add_breakdown(chart, campaign, themes, breakdown, language, totals)
    add_over_time(chart, campaign, themes, totals)
    return chart


def add_breakdown(chart: ThemeChart, campaign, themes: list[Theme], dimension: str, language: str,
                  totals: dict) -> None:
    rows = counted(campaign.id, group_column(dimension))
    sources = source_names(campaign.id) if dimension == "source" else {}
    groups: dict = {}
    for _theme, group, count in rows:
        groups[group] = groups.get(group, 0) + count
    keys = ordered_groups(dimension, groups, campaign.definition, sources)
    chart.series = [Series(key, group_name(dimension, key, language, sources), slot)
                    for slot, key in enumerate(keys)]
    per_theme: dict = {}
    for theme_id, group, count in rows:
        per_theme.setdefault(theme_id, {})[group] = count
    for theme in themes:
        chart.cells[theme.id] = suppressed(per_theme.get(theme.id, {}), keys, totals.get(theme.id, 0),
                                           chart.min_size)


def suppressed(counts: dict, keys: list, total: int, min_size: int) -> dict:
    """Display per key; the groups add up to the theme's total, so a small one is also hidden when only the
    total would give it away (and everything is hidden when the total itself is small)."""
    values = [counts.get(key, 0) for key in keys]
    if small(total, min_size):
        return {key: shown(0, "small", min_size) if value else "0" for key, value in zip(keys, values, strict=True)}
    hidden = hidden_cells(values, min_size, adds_up=True)
    return {key: shown(value, why, min_size) for key, value, why in zip(keys, values, hidden, strict=True)}


def add_over_time(chart: ThemeChart, campaign, themes: list[Theme], totals: dict) -> None:
    day = local_date(Response.collected_at, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    rows = counted(campaign.id, day)
    if not rows:
        return
    days = [row[1] for row in rows]
    unit = time_unit(min(days), max(days))
    per_theme: dict = {}
    for theme_id, when, count in rows:
        bucket = bucket_start(when, unit).isoformat()
        per_theme.setdefault(theme_id, {})[bucket] = per_theme.get(theme_id, {}).get(bucket, 0) + count
    starts = sorted({bucket_start(when, unit) for when in days})
    chart.buckets = [(start.isoformat(), bucket_label(start, unit)) for start in starts]
    keys = [key for key, _label in chart.buckets]
    for theme in themes:
        chart.over_time[theme.id] = suppressed(per_theme.get(theme.id, {}), keys, totals.get(theme.id, 0),
                                               chart.min_size)


def public_theme_rows(campaign, language: str, min_size: int) -> list[Row]:
    """The themes with the number of residents who raised each ("fewer than N" below the minimum)."""
    fallback = campaign.definition.get("default_language", "nl")
    totals = dict(counted(campaign.id))
    rows = []
    for theme in campaign_themes(campaign.id):
        count = totals.get(theme.id, 0)
        if not count:
            continue
        hidden = small(count, min_size)
        rows.append(Row(str(theme.id), theme.label(language, fallback), {} if hidden else {None: count},
                        0 if hidden else count, None, shown(count, "small" if hidden else None, min_size)))
    return rows
