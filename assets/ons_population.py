"""ONS mid-year population estimates (MYE4, 2023 boundaries) and the April 2023 LTLA-UTLA lookup."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.errors import LayoutError
from pipeline.extract.workbook import read_csv_columns, read_sheets
from pipeline.sources.fetch import Resolved

MYE4_SHEET = "MYE4"
MID_YEAR = re.compile(r"^Mid-(\d{4})$")
LOOKUP_COLUMNS = {
    "LTLA23CD": "ltla_code",
    "LTLA23NM": "ltla_name",
    "UTLA23CD": "utla_code",
    "UTLA23NM": "utla_name",
}


def mye4(resolved: Resolved) -> pd.DataFrame:
    """raw.ons__mye4: population per area and mid-year, long format."""
    name = resolved.source.file_name
    grid = read_sheets(resolved.path, "xlsx", [MYE4_SHEET])[MYE4_SHEET]
    header_at = next(
        (i for i, row in enumerate(grid[:30]) if row[:3] == ["Code", "Name", "Geography"]), None
    )
    if header_at is None:
        raise LayoutError(
            "header row 'Code, Name, Geography' not found in the first 30 rows",
            file=name,
            sheet=MYE4_SHEET,
        )
    header = grid[header_at]
    years = {
        j: int(m.group(1))
        for j, c in enumerate(header)
        if isinstance(c, str) and (m := MID_YEAR.match(c.strip()))
    }
    if not years:
        raise LayoutError("no 'Mid-YYYY' columns on the header row", file=name, sheet=MYE4_SHEET)
    rows = []
    for i, row in enumerate(grid[header_at + 1 :], start=header_at + 1):
        code = str(row[0]).strip()
        if not code:
            continue
        for j, year in years.items():
            value = row[j] if j < len(row) else ""
            if not isinstance(value, int | float):
                raise LayoutError(
                    f"population {value!r} is not a number",
                    file=name,
                    sheet=MYE4_SHEET,
                    cell=f"row {i + 1}, column {j + 1}",
                )
            rows.append((code, str(row[1]).strip(), str(row[2]).strip(), year, int(value)))
    frame = pd.DataFrame(rows, columns=["ons_code", "name", "geography", "mid_year", "population"])
    frame.insert(0, "source_id", resolved.source.id)
    return frame


def ltla_utla_lookup(resolved: Resolved) -> pd.DataFrame:
    """raw.ons__ltla_utla_lookup_2023: lower to upper tier authorities, April 2023."""
    frame = read_csv_columns(resolved.path, LOOKUP_COLUMNS, file_name=resolved.source.file_name)
    frame.insert(0, "source_id", resolved.source.id)
    return frame
