"""Read a spreadsheet sheet (or a CSV, or a Stata copy) into a grid of Python values.

python-calamine (Rust) reads .xls, .xlsx and .ods in one fast pass and does not expand XML
entities, which is why it is the reader here; CSV goes through the standard library with
numbers written as text ("1,217") turned into floats. A Stata .dta copy of a sheet is read
with pandas into the same grid: variable names on the first row, labels (the printed column
labels) on the second, values as the copy holds them (text as printed, markers kept).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipeline.errors import LayoutError

Grid = list[list[object]]
CSV_SHEET = ""  # the single "sheet" of a CSV file
_NUMBER_TEXT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def sheet_names(path: Path, kind: str) -> list[str]:
    if kind == "csv":
        return [CSV_SHEET]
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own types for damaged files
        raise LayoutError(f"cannot open workbook ({exc})", file=path.name) from exc


def read_sheets(path: Path, kind: str, sheets: list[str], *, encoding: str = "") -> dict[str, Grid]:
    """Return {sheet name: grid} for the named sheets; a missing sheet is a LayoutError."""
    if kind == "csv":
        return {CSV_SHEET: read_csv_grid(path, encoding or "utf-8")}
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise LayoutError(f"cannot open workbook ({exc})", file=path.name) from exc
    out: dict[str, Grid] = {}
    for name in sheets:
        if name not in wb.sheet_names:
            raise LayoutError(
                f"sheet {name!r} not found; the workbook has {list(wb.sheet_names)}",
                file=path.name,
            )
        try:
            out[name] = wb.get_sheet_by_name(name).to_python()
        except Exception as exc:
            raise LayoutError(f"cannot read sheet ({exc})", file=path.name, sheet=name) from exc
    return out


def read_csv_columns(path: Path, columns: dict[str, str], *, file_name: str):
    """A CSV as a pandas frame of text: the `columns` named in the file, renamed, in order.

    A column missing from the file is a LayoutError naming it and the columns the file has.
    """
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    missing = sorted(set(columns) - set(frame.columns))
    if missing:
        raise LayoutError(
            f"columns {missing} not found; the file has {list(frame.columns)}", file=file_name
        )
    return frame[list(columns)].rename(columns=columns)


def read_csv_grid(path: Path, encoding: str) -> Grid:
    try:
        with path.open(newline="", encoding=encoding) as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise LayoutError(
            f"not valid {encoding} text ({exc.reason} at byte {exc.start})", file=path.name
        ) from exc
    return [[_csv_value(v) for v in row] for row in rows]


def _csv_value(text: str) -> object:
    stripped = text.strip()
    if _NUMBER_TEXT.match(stripped):
        return float(stripped.replace(",", ""))
    return text


def read_dta_grid(path: Path, variables: dict[str, tuple[str, bool]], *, file_name: str) -> Grid:
    """A Stata copy of one sheet as a grid: [variable names], [headers], then one row per record.

    `variables` gives, for the variables whose labels cannot be used (swapped or added by the
    copy), the header to use and whether to keep the variable; every other header is the
    variable's label. A listed variable missing from the file is a LayoutError naming it.
    """
    import pandas as pd
    from pandas.io.stata import StataReader

    try:
        with StataReader(path) as reader:
            labels = reader.variable_labels()
            frame = reader.read(convert_categoricals=False)
    except Exception as exc:  # pandas raises several types for a truncated or damaged file
        raise LayoutError(f"cannot read the Stata file ({exc})", file=file_name) from exc
    missing = [v for v in variables if v not in frame.columns]
    if missing:
        raise LayoutError(
            f"variable(s) {missing} not found (expected by pipeline/layouts/dta_variables.csv); "
            f"the file has {len(frame.columns)} variables starting {list(frame.columns[:8])}",
            file=file_name,
        )
    kept = [v for v in frame.columns if variables.get(v, ("", True))[1]]
    names: list[object] = list(kept)
    headers: list[object] = [variables[v][0] if v in variables else labels.get(v, "") for v in kept]
    grid: Grid = [names, headers]
    columns = [frame[v].tolist() for v in kept]
    for i in range(len(frame)):
        row = []
        for col in columns:
            value = col[i]
            if value is None or (isinstance(value, float) and pd.isna(value)):
                row.append("")
            elif isinstance(value, str):
                row.append(_csv_value(value))
            else:
                row.append(float(value))
        grid.append(row)
    return grid
