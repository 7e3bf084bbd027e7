"""CSV files that Excel in Sweden opens as they are, and that cannot smuggle a formula into a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# A cell starting with one of these is run as a formula by Excel and its kin (CSV injection); such a cell is
# written with a leading apostrophe, which the spreadsheet shows as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return a value as a cell that a spreadsheet shows as text, never runs."""
    # Called for every cell of a report (a month of a federation: hundreds of thousands): the first character
    # looked up among single characters is three times faster than str.startswith with a tuple.
    cell = value if isinstance(value, str) else "" if value is None else str(value)
    return "'" + cell if cell[:1] in FORMULA_START else cell


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Write a header and rows as CSV bytes: `;` between cells and a BOM, as Excel in Sweden expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
