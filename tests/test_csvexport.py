"""CSV cells that a spreadsheet shows as text and never runs as a formula."""

from __future__ import annotations

import pytest

from bot import csvexport


@pytest.mark.parametrize(("value", "cell"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("+46 70", "'+46 70"), ("-1", "'-1"), ("@kommunen", "'@kommunen"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Annas Blommor", "Annas Blommor"), ("", ""), (None, ""), (7, "7"),
    (-3, "'-3"), ("a=b", "a=b"),
])
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(value: object, cell: str):
    assert csvexport.safe_cell(value) == cell


def test_a_table_is_semicolon_separated_with_a_bom_for_excel_in_sweden():
    data = csvexport.table(["namn", "värde"], [["Åsa", "=1+1"], ["Bo", None]])

    assert data.decode("utf-8") == "\ufeffnamn;värde\r\nÅsa;'=1+1\r\nBo;\r\n"
