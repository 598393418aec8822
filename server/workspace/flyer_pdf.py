"""Flyers as print-ready PDF files, made on the server with fpdf2: for a print shop or a copier.

The same parts as the flyer page (`templates/workspace/flyer.html`): each language's title and invitation, the
QR code, the address and code, each language's small print, the team. The QR code is drawn as vector
rectangles from the code's own module matrix; the Noto fonts (Latin, Cyrillic, Arabic, Ge'ez: `server/fonts/`,
OFL) are embedded as subsets, and Arabic is shaped and set right to left by HarfBuzz (uharfbuzz). The texts
shrink together (never the QR code) until the flyer fits its paper, as `static/workspace/flyer.js` does on screen.
"""

import re
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from ..paths import PACKAGE_DIR
from ..qr import make_qr

FONTS_DIR = PACKAGE_DIR / "fonts"
#: Font families by script; each is the others' fallback for a word in another script (an address in Arabic).
FAMILIES = {"latin": "NotoSans", "arabic": "NotoSansArabic", "ethiopic": "NotoSansEthiopic"}
SCRIPTS = {"arabic": re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]"),
           "ethiopic": re.compile(r"[\u1200-\u139F\u2D80-\u2DDF\uAB00-\uAB2F]")}
PT = 25.4 / 72  # millimetres a point
LINE = 1.45  # line height over font size (Arabic and Ge'ez need more than Latin)
#: The texts' smallest share of their normal size: the page warns below 0.55 (`flyer.js`); a PDF goes on
#: shrinking rather than letting a word run off the paper.
SMALLEST = 0.25
STEP = 0.03


@dataclass(frozen=True)
class Paper:
    """A flyer size: its paper (mm), margin, QR code width, type sizes (pt) and how many languages fit."""

    width: float
    height: float
    margin: float
    qr_mm: float
    text: float
    title: float
    small: float
    gap: float
    columns: int
    languages: int
    hole: float = 0  #: a door-hanger's hole (diameter, mm)


PAPERS = {
    "a4": Paper(210, 297, 14, 90, 11, 26, 9, 8, 2, 4),
    "a5": Paper(148, 210, 9, 62, 9, 19, 7.5, 5, 1, 3),
    "a6": Paper(105, 148, 5, 42, 7, 13, 6, 2.5, 1, 2, hole=30),
}
#: Sheets of several flyers on one A4 (door-hangers or cards to cut): (page width, height, columns, rows).
SHEETS = {"a5": (297, 210, 2, 1), "a6": (210, 297, 2, 2)}


@dataclass(frozen=True)
class Flyer:
    """What a flyer says: `texts` as `flyer_texts.flyer_texts` makes them, one per language."""

    size: str
    texts: list
    url: str
    short_url: str
    code: str
    team: str
    title: str


def flyer_pdf(flyer: Flyer) -> bytes:
    """One flyer on its own paper."""
    paper = PAPERS[flyer.size]
    pdf = new_pdf(flyer, paper.width, paper.height)
    pdf.add_page()
    draw_flyer(pdf, flyer, 0, 0)
    return bytes(pdf.output())


def sheet_pdf(flyer: Flyer) -> bytes:
    """As many flyers as fit on an A4 sheet (four A6 door-hangers, two A5 cards), with dashed lines to cut."""
    paper = PAPERS[flyer.size]
    width, height, columns, rows = SHEETS[flyer.size]
    pdf = new_pdf(flyer, width, height)
    pdf.add_page()
    scale = fitting_scale(pdf, flyer)
    for row in range(rows):
        for column in range(columns):
            draw_flyer(pdf, flyer, column * paper.width, row * paper.height, scale)
    pdf.set_draw_color(150)
    pdf.set_line_width(0.2)
    pdf.set_dash_pattern(dash=2, gap=2)
    for column in range(1, columns):
        pdf.line(column * paper.width, 0, column * paper.width, height)
    for row in range(1, rows):
        pdf.line(0, row * paper.height, width, row * paper.height)
    return bytes(pdf.output())


def new_pdf(flyer: Flyer, width: float, height: float) -> FPDF:
    pdf = FPDF(unit="mm", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    for family in FAMILIES.values():
        pdf.add_font(family, "", FONTS_DIR / f"{family}-Regular.ttf")
        pdf.add_font(family, "B", FONTS_DIR / f"{family}-Bold.ttf")
    pdf.set_fallback_fonts(list(FAMILIES.values()))
    pdf.set_text_shaping(True)
    pdf.set_title(flyer.title)
    pdf.set_lang(flyer.texts[0]["code"] if flyer.texts else "nl")
    pdf.set_creator("Wijkstem")
    return pdf


def family_of(text: str) -> str:
    for script, pattern in SCRIPTS.items():
        if pattern.search(text):
            return FAMILIES[script]
    return FAMILIES["latin"]


class Layout:
    """Lays out one flyer at a scale of its type sizes; with `draw=False` it only measures."""

    def __init__(self, pdf: FPDF, flyer: Flyer, scale: float, draw: bool):
        self.pdf, self.flyer, self.scale, self.draw = pdf, flyer, scale, draw
        self.paper = PAPERS[flyer.size]

    def text(self, x: float, y: float, width: float, text: str | None, size: float, bold=False,
             draw: bool | None = None) -> float:
        """Write `text` centred in `width` from `y` (measure only, unless drawing); the height it takes."""
        if not text:
            return 0
        points = size * self.scale
        self.pdf.set_font(family_of(text), "B" if bold else "", points)
        self.pdf.set_xy(x, y)
        dry_run = not (self.draw if draw is None else draw)
        return self.pdf.multi_cell(width, points * PT * LINE, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT,
                                   dry_run=dry_run, output=MethodReturnValue.HEIGHT)

    def languages(self, x: float, y: float, width: float, parts) -> float:
        """The languages in rows of `columns`; each language's parts as ``(key, size factor, bold)``."""
        paper, columns = self.paper, min(self.paper.columns, max(1, len(self.flyer.texts)))
        gutter = 5 if columns > 1 else 0
        cell = (width - gutter * (columns - 1)) / columns
        top = y
        for start in range(0, len(self.flyer.texts), columns):
            heights = []
            for index, texts in enumerate(self.flyer.texts[start:start + columns]):
                at, left = y, x + index * (cell + gutter)
                for key, factor, bold in parts:
                    at += self.text(left, at, cell, texts.get(key), paper.text * factor, bold)
                heights.append(at - y)
            y += max(heights) + 2 * self.scale
        return y - top

    def flyer_height(self, x: float, y: float) -> float:
        """Draw (or measure) the whole flyer from its top-left corner; the height its parts take."""
        paper, width = self.paper, self.paper.width - 2 * self.paper.margin
        left, top = x + paper.margin, y + paper.margin
        at = top
        if paper.hole:
            if self.draw:
                self.pdf.set_draw_color(90)
                self.pdf.set_line_width(0.3)
                with self.pdf.local_context():
                    self.pdf.set_dash_pattern(dash=1.5, gap=1.5)
                    self.pdf.ellipse(x + (paper.width - paper.hole) / 2, at, paper.hole, paper.hole)
            at += paper.hole + 3
        at += self.languages(left, at, width, [("title", paper.title / paper.text, True), ("invite", 1.05, False)])
        at += paper.gap * self.scale
        if self.draw:
            draw_qr(self.pdf, self.flyer.url, x + (paper.width - paper.qr_mm) / 2, at, paper.qr_mm)
        at += paper.qr_mm + paper.gap * self.scale / 2
        at += self.text(left, at, width, self.flyer.short_url, paper.text * 1.3, bold=True)
        at += self.text(left, at, width, self.flyer.code, paper.text * 1.7, bold=True)
        at += paper.gap * self.scale
        at += self.languages(left, at, width, [("scan", 1, False), ("type", 1, False), ("anonymous", 1, False),
                                               ("erase", 0.85, False)])
        footer = self.text(left, 0, width, self.flyer.team, paper.small, draw=False)
        if self.draw:  # at the bottom of the flyer, below the rest
            self.text(left, y + paper.height - paper.margin - footer, width, self.flyer.team, paper.small)
        return at - top + footer + 2 * self.scale


def fitting_scale(pdf: FPDF, flyer: Flyer) -> float:
    """The largest scale of the type sizes (in steps of `STEP`, at least `SMALLEST`) at which the flyer fits
    inside its margins. Text takes about the square of the scale (smaller type, fewer lines), which gives a first
    guess; each try lays the flyer out once."""
    paper = PAPERS[flyer.size]
    room = paper.height - 2 * paper.margin

    def fits(scale: float) -> bool:
        return Layout(pdf, flyer, scale, draw=False).flyer_height(0, 0) <= room

    full = Layout(pdf, flyer, 1.0, draw=False).flyer_height(0, 0)
    if full <= room:
        return 1.0
    fixed = paper.qr_mm + (paper.hole + 3 if paper.hole else 0)
    scale = max(SMALLEST, min(1 - STEP, round(((room - fixed) / (full - fixed)) ** 0.5, 2)))
    if fits(scale):
        while scale + STEP < 1 and fits(round(scale + STEP, 2)):
            scale = round(scale + STEP, 2)
        return scale
    while round(scale - STEP, 2) >= SMALLEST and not fits(round(scale - STEP, 2)):
        scale = round(scale - STEP, 2)
    return max(SMALLEST, round(scale - STEP, 2))


def draw_flyer(pdf: FPDF, flyer: Flyer, x: float, y: float, scale: float | None = None) -> None:
    Layout(pdf, flyer, scale or fitting_scale(pdf, flyer), draw=True).flyer_height(x, y)


def draw_qr(pdf: FPDF, data: str, x: float, y: float, width: float) -> None:
    """The QR code as black rectangles on white (one per run of dark modules in a row), quiet zone included."""
    matrix = make_qr(data).get_matrix()
    module = width / len(matrix)
    pdf.set_fill_color(255)
    pdf.rect(x, y, width, width, style="F")
    pdf.set_fill_color(0)
    for row, modules in enumerate(matrix):
        column = 0
        while column < len(modules):
            if not modules[column]:
                column += 1
                continue
            start = column
            while column < len(modules) and modules[column]:
                column += 1
            pdf.rect(x + start * module, y + row * module, (column - start) * module, module, style="F")
