"""MHCLG revenue spreadsheets (RA budget, RO3 outturn) -> raw.mhclg__revenue_cells.

Reads every enabled `mhclg_revenue` source with the layout rows that describe it, keeps every
cell, and refuses a file whose substance misuse columns the crosswalk does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.build.graph import read_sql, replace_view, write_frame
from pipeline.errors import CrosswalkError, LayoutError
from pipeline.extract.layouts import (
    dta_variables,
    lines_printed_in,
    normalise,
    read_table,
    service_lines,
    sheet_layouts,
    vocabulary,
)
from pipeline.extract.sheet import extract_sheet
from pipeline.extract.workbook import read_dta_grid, read_sheets
from pipeline.model import BuildContext, CheckResult
from pipeline.sources.fetch import Resolved
from pipeline.sources.registry import Source

FAMILY = "mhclg_revenue"
# Public health substance misuse columns: printed "Substance misuse - ..." or asset ids phsbs*.
SERIES_MEASURE = "net_current_expenditure"
TOTAL_LINE = "total_public_health"
SUBSTANCE_LABEL = re.compile(r"^substance misuse\b")
SUBSTANCE_ASSET = re.compile(r"^(ro3-)?phsbs")
ASSET_STEM = re.compile(r"^(?:ro3-)?([a-z0-9]+)(?:-.*)?$")


@dataclass(frozen=True)
class ColumnRef:
    """Where a value column sits, for the crosswalk check and its error message."""

    file_name: str
    sheet: str
    column_number: int
    printed_label: str
    asset_id: str
    label_key: str = ""
    name: str = ""  # the variable name, in a Stata copy

    @property
    def where(self) -> str:
        return f"variable {self.name}" if self.name else f"column {self.column_number}"


@dataclass(frozen=True)
class RevenueCells:
    """raw.mhclg__revenue_cells in its three stored parts (see pipeline.extract.SheetCells)."""

    values: pa.Table
    rows: pa.Table
    columns: pa.Table

    def __len__(self) -> int:  # rows of the view: one per cell
        return self.values.num_rows


def _constant(
    value: object, length: int, type_: pa.DataType | None = None, *, once: bool = False
) -> pa.Array:
    """One value for every row; with `once`, stored once (a dictionary: the cells' part)."""
    type_ = type_ or pa.string()
    if once:
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(length, dtype=np.int32)), pa.array([value], type=type_)
        )
    return pa.array([value] * length, type=type_)


def extract_source(resolved: Resolved) -> RevenueCells:
    """All cells of one source file in their three parts, each with the source id in front;
    the file's own attributes (file, form, year, basis) go with its columns."""
    src = resolved.source
    layouts = sheet_layouts().get(src.id)
    if not layouts:
        raise LayoutError(
            f"no layout rows for source {src.id!r} in pipeline/layouts/mhclg_sheets.csv",
            file=src.file_name,
        )
    if src.kind == "dta":
        grids = {
            layouts[0].sheet: read_dta_grid(
                resolved.path, dta_variables(src.id), file_name=src.file_name
            )
        }
    else:
        grids = read_sheets(
            resolved.path, src.kind, [lay.sheet for lay in layouts], encoding=layouts[0].encoding
        )
    vocab = vocabulary()
    parts: dict[str, list[pa.Table]] = {"values": [], "rows": [], "columns": []}
    refs = []
    held: dict[str, set[str]] = {}  # measure -> the canonical lines its columns hold
    lines = service_lines()
    for lay in layouts:
        sheet = extract_sheet(grids[lay.sheet], lay, vocab, file=src.file_name)
        for c in sheet.columns:
            line = lines.get(c.label_key or normalise(c.printed_label))
            if line is not None and line.status == "mapped":
                held.setdefault(c.measure, set()).add(line.canonical_line)
        parts["values"].append(sheet.values)
        parts["rows"].append(sheet.rows)
        parts["columns"].append(sheet.table_columns)
        refs += [
            ColumnRef(
                src.file_name,
                lay.sheet,
                c.index + 1,
                c.printed_label,
                c.asset_id,
                c.label_key,
                c.name,
            )
            for c in sheet.columns
        ]
    check_crosswalk(refs)  # an unmapped label first: it says why a line would be missing
    check_complete(src, held)
    values, rows, columns = (
        pa.concat_tables(parts[k], promote_options="permissive") for k in parts
    )
    values = values.add_column(0, "source_id", _constant(src.id, values.num_rows, once=True))
    rows = rows.add_column(0, "source_id", _constant(src.id, rows.num_rows))
    front = {
        "source_id": (src.id, pa.string()),
        "file_name": (src.file_name, pa.string()),
        "form": (src.form, pa.string()),
        "financial_year": (src.financial_year, pa.string()),
        "fy_start": (src.fy_start, pa.int32()),
        "basis": (src.basis, pa.string()),
    }
    for position, (name, (value, type_)) in enumerate(front.items()):
        columns = columns.add_column(position, name, _constant(value, columns.num_rows, type_))
    return RevenueCells(values, rows, columns)


def check_complete(src: Source, held: dict[str, set[str]]) -> None:
    """Every line the crosswalk says this year's files print is a column of the file: of its
    net current expenditure (what every series is built on), and of any other measure that
    holds a substance misuse line at all (some measures, such as RO3's agency staff memorandum,
    are printed for the public health total alone). A deleted column would otherwise shrink
    the totals without a word."""
    expected = lines_printed_in(src.financial_year)
    substance = expected - {TOTAL_LINE}
    missing = {
        measure: sorted(expected - lines)
        for measure, lines in held.items()
        if (measure == SERIES_MEASURE or lines & substance) and expected - lines
    }
    if SERIES_MEASURE not in held:
        missing[SERIES_MEASURE] = sorted(expected)
    if missing:
        raise CrosswalkError(
            f"{src.financial_year}: service lines missing, though "
            "pipeline/layouts/service_lines.csv says this year's files print them: "
            + "; ".join(f"{measure}: {', '.join(lines)}" for measure, lines in missing.items()),
            file=src.file_name,
        )


def asset_stem(asset_id: str) -> str:
    match = ASSET_STEM.match(asset_id.casefold()) if asset_id else None
    return match.group(1) if match else ""


def check_crosswalk(columns: Iterable[ColumnRef]) -> None:
    """Every public health substance misuse column must map; asset id and label must agree.

    Every offending column is named in one error (file, sheet and cell of each), so a new
    release's unmapped labels are all seen at once.
    """
    lines = service_lines()
    by_asset = {line.asset_id: line for line in lines.values() if line.asset_id}
    problems: list[tuple[str, ColumnRef]] = []
    for col in columns:
        label = col.label_key or normalise(col.printed_label)
        stem = asset_stem(col.asset_id)
        by_label = lines.get(label)
        is_substance = SUBSTANCE_LABEL.match(label) or SUBSTANCE_ASSET.match(stem)
        if is_substance and (by_label is None or by_label.status != "mapped"):
            problems.append(
                (
                    f"substance misuse column {col.printed_label!r} (asset id "
                    f"{col.asset_id or 'none'}) is not in pipeline/layouts/service_lines.csv",
                    col,
                )
            )
            continue
        by_stem = by_asset.get(stem) if stem else None
        if by_label and by_stem and by_stem.canonical_line != by_label.canonical_line:
            problems.append(
                (
                    f"label {col.printed_label!r} maps to {by_label.canonical_line!r} but asset "
                    f"id {col.asset_id!r} maps to {by_stem.canonical_line!r}",
                    col,
                )
            )
    if not problems:
        return
    message, first = problems[0]
    if len(problems) > 1:
        message = f"{len(problems)} columns do not map: " + "; ".join(
            f"{text} at {where(col)}" for text, col in problems
        )
    raise CrosswalkError(message, file=first.file_name, sheet=first.sheet or None, cell=first.where)


def where(col: ColumnRef) -> str:
    """A column's place for a message: file, sheet and cell."""
    sheet = f" sheet {col.sheet!r}" if col.sheet else ""
    return f"{col.file_name}{sheet} {col.where}"


def revenue_cells(resolved: list[Resolved]) -> RevenueCells:
    """raw.mhclg__revenue_cells: every extracted cell of every file, in its three parts."""
    parts = []
    for r in resolved:
        parts.append(extract_source(r))  # each file's crosswalk checked as it is read
    return RevenueCells(
        *(
            pa.concat_tables([getattr(p, k) for p in parts], promote_options="permissive")
            for k in ("values", "rows", "columns")
        )
    )


# The stored parts of raw.mhclg__revenue_cells (a view that joins them: sql/raw/).
CELL_PARTS = {
    "values": "raw.mhclg__revenue_cell_values",
    "rows": "raw.mhclg__revenue_cell_rows",
    "columns": "raw.mhclg__revenue_cell_columns",
}
CELLS_VIEW = "raw.mhclg__revenue_cells"


def write_revenue_cells(ctx: BuildContext, cells: RevenueCells) -> None:
    """Write the three parts and the view over them.

    Stored as one wide table, DuckDB spent most of a build compressing the same file, year,
    label and authority strings 2.4 million times over; in parts, each is stored once.
    """
    for part, name in CELL_PARTS.items():
        write_frame(ctx, name, getattr(cells, part))
    replace_view(ctx.con, CELLS_VIEW, read_sql("raw/mhclg__revenue_cells.sql"))


def check_cell_parts(ctx: BuildContext) -> list[CheckResult]:
    """The view joins exactly: one row per key in the rows and columns parts, and no cell
    without its row or its column (so the view has one row per cell, all attributes set)."""
    con = ctx.con
    keys = {"rows": "source_id, sheet, row_number", "columns": "source_id, sheet, column_number"}
    out = []
    for part, key in keys.items():
        name = CELL_PARTS[part]
        dupes = con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {name} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        orphans = con.execute(
            f"SELECT count(*) FROM {CELL_PARTS['values']} AS v ANTI JOIN {name} USING ({key})"
        ).fetchone()[0]
        out.append(
            CheckResult(
                name=f"{part}_join",
                passed=dupes == 0 and orphans == 0,
                description=f"{name}: one row per ({key}), one for every cell",
                observed=f"{dupes} repeated keys, {orphans} cells without one",
            )
        )
    return out


def service_line_table() -> pd.DataFrame:
    """reference.service_lines: the crosswalk as a table, keyed by normalised label."""
    table = pd.DataFrame(read_table("service_lines.csv"))
    table.insert(0, "label_key", table["printed_label"].map(normalise))
    return table
