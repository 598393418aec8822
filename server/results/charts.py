"""Chart geometry for server-rendered SVG: stacked horizontal bars and responses over time.

The template `results/charts.html` draws what these functions lay out; colours come from the stylesheet
(class ``s0`` ... ``s7`` per series slot), so no style attribute is needed under the strict CSP.
"""

from dataclasses import dataclass, field

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

WIDTH = 720
ROW_HEIGHT = 46
BAR_HEIGHT = 18
VALUE_SPACE = 130


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    slot: int
    title: str


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    kind: str = "label"


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class Drawing:
    """What one `<svg>` holds."""

    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def number(value) -> str:
    return format_decimal(value)


def percent(share: float | None) -> str:
    return "" if share is None else format_percent(share, format="#,##0%")


def count_and_share(count: int, share: float | None) -> str:
    return number(count) if share is None else f"{number(count)} ({percent(share)})"


def segments(counts: dict, series: list) -> list[tuple[int, int, str]]:
    """``(slot, count, series label)`` in series order; one segment in slot 0 without a breakdown."""
    if not series:
        return [(0, counts.get(None, 0), "")]
    return [(s.slot, counts[s.key], s.label) for s in series if counts.get(s.key)]


def bar_drawing(rows: list, series: list, rtl: bool = False) -> Drawing:
    """Horizontal bars, one per row, label above, count and share after the bar."""
    drawing = Drawing(WIDTH, max(1, len(rows)) * ROW_HEIGHT + 4)
    longest = max((row.total for row in rows), default=0) or 1
    scale = (WIDTH - VALUE_SPACE) / longest
    for index, row in enumerate(rows):
        top = index * ROW_HEIGHT
        drawing.texts.append(Text(0, top + 15, row.label))
        x = 0.0
        for slot, count, label in segments(row.counts, series):
            width = count * scale
            title = f"{row.label}: {label + ': ' if label else ''}{number(count)}"
            drawing.rects.append(Rect(round(x, 2), top + 21, round(width, 2), BAR_HEIGHT, slot, title))
            x += width
        shown = row.display or count_and_share(row.total, row.share)
        drawing.texts.append(Text(round(x + 6, 2), top + 35, shown, kind="value"))
    return mirrored(drawing) if rtl else drawing


def mirrored(drawing: Drawing) -> Drawing:
    """The drawing flipped for right-to-left pages (text anchors follow the page's direction by themselves)."""
    width = drawing.width
    return Drawing(width, drawing.height,
                   [Rect(round(width - r.x - r.width, 2), r.y, r.width, r.height, r.slot, r.title)
                    for r in drawing.rects],
                   [Text(round(width - t.x, 2), t.y, t.text, t.anchor, t.kind) for t in drawing.texts],
                   [Line(width - line.x1, line.y1, width - line.x2, line.y2) for line in drawing.lines])


def axis_step(largest: int) -> int:
    """A round step (1, 2, 5, 10, 20, 50 ...) that divides the axis into at most five parts."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale * 5 >= largest:
                return step * scale
        scale *= 10


def time_drawing(buckets: list, series: list, height: int = 240, rtl: bool = False) -> Drawing:
    """Vertical bars per bucket, gridlines at round numbers, and at most eight dates below."""
    drawing = Drawing(WIDTH, height)
    left, right, top, bottom = 56, WIDTH - 8, 10, height - 34
    largest = max((bucket.total for bucket in buckets), default=0) or 1
    step = axis_step(largest)
    parts = -(-largest // step)
    top_value = step * parts
    for index in range(parts + 1):
        y = bottom - (bottom - top) * index / parts
        drawing.lines.append(Line(left, y, right, y))
        drawing.texts.append(Text(left - 6, y + 4, number(step * index), "end", "axis"))
    if not buckets:
        return mirrored(drawing) if rtl else drawing
    slot_width = (right - left) / len(buckets)
    label_every = max(1, -(-len(buckets) // 8))
    for index, bucket in enumerate(buckets):
        x = left + index * slot_width + slot_width * 0.1
        y = bottom
        for slot, count, label in segments(bucket.counts, series):
            h = (bottom - top) * count / top_value
            y -= h
            title = f"{bucket.label}: {label + ': ' if label else ''}{number(count)}"
            drawing.rects.append(Rect(round(x, 2), round(y, 2), round(slot_width * 0.8, 2), round(h, 2), slot, title))
        if index % label_every == 0:
            drawing.texts.append(Text(round(x + slot_width * 0.4, 2), height - 14, bucket.label, "middle", "axis"))
    return mirrored(drawing) if rtl else drawing


def describe_bars(chart) -> str:
    """A one-sentence summary of a bar chart, for the SVG's description."""
    if not chart.rows or not any(row.total for row in chart.rows):
        return _("No answers yet.")
    top = max(chart.rows, key=lambda row: row.total)
    return _("Largest: {label}, {value}.").format(label=top.label, value=count_and_share(top.total, top.share))


def describe_time(chart) -> str:
    """A one-sentence summary of the responses over time."""
    if not chart.buckets:
        return _("No responses yet.")
    busiest = max(chart.buckets, key=lambda bucket: bucket.total)
    return _("From {first} to {last}; most responses in {busiest}: {count}.").format(
        first=chart.buckets[0].label, last=chart.buckets[-1].label, busiest=busiest.label,
        count=number(busiest.total))


def relative_drawing(rows: list[tuple[str, float | None]], rtl: bool = False) -> Drawing:
    """Relative participation per group as bars, with a line at 1 (a fair share); ``None`` draws no bar."""
    drawing = Drawing(WIDTH, max(1, len(rows)) * ROW_HEIGHT + 24)
    largest = max([2.0] + [value for _label, value in rows if value is not None])
    scale = (WIDTH - VALUE_SPACE) / largest
    for index, (label, value) in enumerate(rows):
        top = index * ROW_HEIGHT + 20
        drawing.texts.append(Text(0, top + 15, label))
        if value is None:
            drawing.texts.append(Text(0, top + 35, _("too few to show"), kind="axis"))
            continue
        slot = 0 if value >= 0.8 else 4
        drawing.rects.append(Rect(0, top + 21, round(value * scale, 2), BAR_HEIGHT, slot,
                                  f"{label}: {format_decimal(round(value, 2))}"))
        drawing.texts.append(Text(round(value * scale + 6, 2), top + 35, f"{format_decimal(round(value, 2))}×",
                                  kind="value"))
    drawing.lines.append(Line(scale, 14, scale, drawing.height))
    drawing.texts.append(Text(scale, 11, _("fair share"), "middle", "axis"))
    return mirrored(drawing) if rtl else drawing
