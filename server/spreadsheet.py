"""The one escaping function for every cell of every CSV and XLSX file the server writes.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some read a
leading tab or carriage return the same way), so text that a person typed (an answer, a transcript, a source
name, a buurt, a tag, a comment) could start a formula on the coordinator's computer (OWASP "CSV injection").
Such text gets a leading apostrophe, which spreadsheets show as "this is text". Numbers, dates and ``None`` stay
as they are: a negative number is a number, not a formula.
"""

from collections.abc import Iterable

#: A spreadsheet reads cells that start with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value`, with text that would start a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(cells: Iterable) -> list:
    """`safe_cell` of every cell of a row."""
    return [safe_cell(cell) for cell in cells]
