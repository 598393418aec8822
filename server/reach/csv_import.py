"""Reading the make-up from a CSV file (as exported from a spreadsheet or from CBS figures).

Columns ``dimension, group, share`` (Dutch ``dimensie, groep, aandeel`` also work; further columns are
ignored); commas, semicolons or tabs; UTF-8 (with or without BOM) or Windows-1252. Groups may be given by
key or by name: ``27-40``, ``tr`` or ``Turks``, a buurt, a choice of the campaign.
"""

import csv
import io
import unicodedata

from babel import Locale, UnknownLocaleError
from flask_babel import gettext as _
from flask_babel import ngettext

from ..i18n import LANGUAGES
from ..spreadsheet import safe_row
from .dimensions import QUESTION_PREFIX, Dimension
from .schemas import parse_amount

MAX_BYTES = 64 * 1024
MAX_ROWS = 500
MAX_ERRORS = 10
HEADERS = {"dimension": "dimension", "dimensie": "dimension", "group": "group", "groep": "group",
           "share": "share", "aandeel": "share", "value": "share", "waarde": "share", "percentage": "share",
           "amount": "share", "aantal": "share"}
DIMENSION_ALIASES = {"age": "age_bracket", "age_bracket": "age_bracket", "leeftijd": "age_bracket",
                     "language": "language", "taal": "language", "buurt": "buurt", "neighbourhood": "buurt",
                     "wijk": "buurt"}


class CsvInvalid(Exception):
    """The file cannot be used; `messages` say why, line by line."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def simple(text: str) -> str:
    """Lower case, no accents, no spaces or dashes of any kind: for matching names people type."""
    text = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in text if ch.isalnum() or ch == "+")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_rows(data: bytes) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise CsvInvalid([_("The file is larger than {size} KB.").format(size=MAX_BYTES // 1024)])
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    if len(rows) > MAX_ROWS + 1:
        raise CsvInvalid([ngettext("The file has more than {count} line.", "The file has more than {count} lines.",
                                   MAX_ROWS).format(count=MAX_ROWS)])
    return rows


def header_positions(header: list[str]) -> dict[str, int]:
    positions = {}
    for index, name in enumerate(header):
        column = HEADERS.get(simple(name))
        if column and column not in positions:
            positions[column] = index
    if len(positions) < 3:
        raise CsvInvalid([_("The first line must name the columns: dimension, group, share.")])
    return positions


def group_names(dimension: Dimension) -> dict[str, str]:
    """Every name a group can be given in the file, simplified, to its key."""
    names = {}
    for key, label in dimension.groups:
        names[simple(key)] = key
        names[simple(label)] = key
    if dimension.key == "language":
        for code, language in LANGUAGES.items():
            names[simple(language.native_name)] = code
            for locale in ("nl", "en"):
                try:
                    names[simple(Locale.parse(code).get_display_name(locale) or code)] = code
                except (UnknownLocaleError, ValueError):
                    continue
    if dimension.key.startswith(QUESTION_PREFIX):
        names.update({"ja": "yes", "nee": "no"} if dict(dimension.groups).keys() == {"yes", "no"} else {})
    return names


def dimension_names(dimensions: list[Dimension]) -> dict[str, Dimension]:
    by_key = {d.key: d for d in dimensions}
    names = {simple(alias): by_key[key] for alias, key in DIMENSION_ALIASES.items() if key in by_key}
    for dimension in dimensions:
        if dimension.question_key:
            names[simple(dimension.key)] = names[simple(dimension.question_key)] = dimension
            names[simple(dimension.title)] = dimension
    return names


def clean_cell(cell: str) -> str:
    """A cell without the quote spreadsheets put before text that looks like a formula."""
    return cell.strip().removeprefix("'")


def parse_make_up_csv(data: bytes, dimensions: list[Dimension], unit: str) -> dict:
    """``{dimension: (unit, {group: amount})}`` for the dimensions in the file.

    :raise CsvInvalid: with a message per wrong line (at most ten), nothing partly read.
    """
    rows = read_rows(data)
    if not rows:
        raise CsvInvalid([_("The file is empty.")])
    positions = header_positions(rows[0])
    by_name, names = dimension_names(dimensions), {d.key: group_names(d) for d in dimensions}
    make_up: dict[str, tuple[str, dict]] = {}
    errors = []
    for line, row in enumerate(rows[1:], start=2):
        cells = {column: clean_cell(row[index]) if index < len(row) else "" for column, index in positions.items()}
        if not cells["share"]:
            continue  # a group left empty: its size is not known
        try:
            dimension, group, amount = read_line(cells, by_name, names)
        except ValueError as err:
            errors.append(_("Line {line}: {problem}").format(line=line, problem=err.args[0]))
            continue
        groups = make_up.setdefault(dimension.key, (unit, {}))[1]
        if group in groups:
            errors.append(_("Line {line}: {group} is given twice.").format(line=line, group=dimension.name_of(group)))
        groups[group] = amount
    if errors:
        raise CsvInvalid(errors[:MAX_ERRORS])
    if not make_up:
        raise CsvInvalid([_("The file has no figures below its first line.")])
    return make_up


def read_line(cells: dict, by_name: dict, names: dict) -> tuple[Dimension, str, float]:
    """One line's dimension, group and amount. :raise ValueError: with a message for the coordinator."""
    dimension = by_name.get(simple(cells["dimension"]))
    if dimension is None:
        raise ValueError(_("“{dimension}” is not a dimension of this campaign.").format(
            dimension=cells["dimension"][:80]))
    group = names[dimension.key].get(simple(cells["group"]))
    if group is None:
        raise ValueError(_("“{group}” is not a group of {dimension} in this campaign.").format(
            group=cells["group"][:80], dimension=dimension.title))
    try:
        amount = parse_amount(cells["share"])
    except ValueError:
        raise ValueError(_("“{value}” is not a number.").format(value=cells["share"][:40]))
    return dimension, group, amount


def template_csv(dimensions: list[Dimension], stored: dict) -> str:
    """A file to fill in: every group of every dimension, with what is stored so far."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["dimension", "group", "share", "name"])
    for dimension in dimensions:
        amounts = stored.get(dimension.key, ("percent", {}))[1]
        for key, name in dimension.groups:
            amount = amounts.get(key)
            writer.writerow(safe_row([dimension.key, key, "" if amount is None else f"{amount:g}", name]))
    return buffer.getvalue()
