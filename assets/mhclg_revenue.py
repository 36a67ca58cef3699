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

from pipeline.errors import CrosswalkError, LayoutError
from pipeline.extract import extract_sheet
from pipeline.fetch import Resolved
from pipeline.layouts import (
    dta_variables,
    normalise,
    read_table,
    service_lines,
    sheet_layouts,
    vocabulary,
)
from pipeline.workbook import read_dta_grid, read_sheets

FAMILY = "mhclg_revenue"
# Public health substance misuse columns: printed "Substance misuse - ..." or asset ids phsbs*.
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


def _constant(value: str, length: int) -> pa.DictionaryArray:
    """One value for every row, stored once."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(length, dtype=np.int32)), pa.array([value], type=pa.string())
    )


def extract_source(resolved: Resolved) -> tuple[pa.Table, list[ColumnRef]]:
    """All cells of one source file, with the source's identity columns in front."""
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
    tables, refs = [], []
    for lay in layouts:
        sheet = extract_sheet(grids[lay.sheet], lay, vocab, file=src.file_name)
        tables.append(sheet.cells)
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
    cells = pa.concat_tables(tables)
    n = cells.num_rows
    front = {
        "source_id": src.id,
        "file_name": src.file_name,
        "form": src.form,
        "financial_year": src.financial_year,
        "basis": src.basis,
    }
    for position, (name, value) in enumerate(front.items()):
        cells = cells.add_column(position, name, _constant(value, n))
    cells = cells.add_column(4, "fy_start", pa.array(np.full(n, src.fy_start, dtype=np.int32)))
    return cells, refs


def asset_stem(asset_id: str) -> str:
    match = ASSET_STEM.match(asset_id.casefold()) if asset_id else None
    return match.group(1) if match else ""


def check_crosswalk(columns: Iterable[ColumnRef]) -> None:
    """Every public health substance misuse column must map; asset id and label must agree."""
    lines = service_lines()
    by_asset = {line.asset_id: line for line in lines.values() if line.asset_id}
    for col in columns:
        label = col.label_key or normalise(col.printed_label)
        stem = asset_stem(col.asset_id)
        by_label = lines.get(label)
        is_substance = SUBSTANCE_LABEL.match(label) or SUBSTANCE_ASSET.match(stem)
        where = {
            "file": col.file_name,
            "sheet": col.sheet or None,
            "cell": col.where,
        }
        if is_substance and (by_label is None or by_label.status != "mapped"):
            raise CrosswalkError(
                f"substance misuse column {col.printed_label!r} (asset id "
                f"{col.asset_id or 'none'}) is not in pipeline/layouts/service_lines.csv",
                **where,
            )
        by_stem = by_asset.get(stem) if stem else None
        if by_label and by_stem and by_stem.canonical_line != by_label.canonical_line:
            raise CrosswalkError(
                f"label {col.printed_label!r} maps to {by_label.canonical_line!r} but asset "
                f"id {col.asset_id!r} maps to {by_stem.canonical_line!r}",
                **where,
            )


def revenue_cells(resolved: list[Resolved]) -> pa.Table:
    """raw.mhclg__revenue_cells: the long table of every extracted cell of every file."""
    tables, refs = [], []
    for r in resolved:
        cells, columns = extract_source(r)
        tables.append(cells)
        refs += columns
    check_crosswalk(refs)
    return pa.concat_tables(tables)


def service_line_table() -> pd.DataFrame:
    """reference.service_lines: the crosswalk as a table, keyed by normalised label."""
    table = pd.DataFrame(read_table("service_lines.csv"))
    table.insert(0, "label_key", table["printed_label"].map(normalise))
    return table
