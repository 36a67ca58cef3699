"""MHCLG revenue spreadsheets (RA budget, RO3 outturn) -> raw.mhclg__revenue_cells.

Reads every enabled `mhclg_revenue` source with the layout rows that describe it, keeps every
cell, and refuses a file whose substance misuse columns the crosswalk does not know.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.errors import CrosswalkError, LayoutError
from pipeline.extract import extract_sheet
from pipeline.fetch import Resolved
from pipeline.layouts import normalise, service_lines, sheet_layouts, vocabulary
from pipeline.workbook import read_sheets

FAMILY = "mhclg_revenue"
# Public health substance misuse columns: printed "Substance misuse - ..." or asset ids phsbs*.
SUBSTANCE_LABEL = re.compile(r"^substance misuse\b")
SUBSTANCE_ASSET = re.compile(r"^(ro3-)?phsbs")
ASSET_STEM = re.compile(r"^(?:ro3-)?([a-z0-9]+)(?:-.*)?$")


def extract_source(resolved: Resolved) -> pd.DataFrame:
    """All cells of one source file, with the source's identity columns in front."""
    src = resolved.source
    layouts = sheet_layouts().get(src.id)
    if not layouts:
        raise LayoutError(
            f"no layout rows for source {src.id!r} in pipeline/layouts/mhclg_sheets.csv",
            file=src.file_name,
        )
    grids = read_sheets(
        resolved.path, src.kind, [lay.sheet for lay in layouts], encoding=layouts[0].encoding
    )
    vocab = vocabulary()
    frames = [extract_sheet(grids[lay.sheet], lay, vocab, file=src.file_name) for lay in layouts]
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "source_id", src.id)
    frame.insert(1, "file_name", src.file_name)
    frame.insert(2, "form", src.form)
    frame.insert(3, "financial_year", src.financial_year)
    frame.insert(4, "fy_start", src.fy_start)
    frame.insert(5, "basis", src.basis)
    return frame


def asset_stem(asset_id: str) -> str:
    match = ASSET_STEM.match(asset_id.casefold()) if asset_id else None
    return match.group(1) if match else ""


def check_crosswalk(frame: pd.DataFrame) -> None:
    """Every public health substance misuse column must map; asset id and label must agree."""
    lines = service_lines()
    by_asset = {line.asset_id: line for line in lines.values() if line.asset_id}
    cols = frame.drop_duplicates(["source_id", "sheet", "column_number"])
    for col in cols.itertuples():
        label = normalise(col.printed_label)
        stem = asset_stem(col.asset_id)
        by_label = lines.get(label)
        is_substance = SUBSTANCE_LABEL.match(label) or SUBSTANCE_ASSET.match(stem)
        if is_substance and (by_label is None or by_label.status != "mapped"):
            raise CrosswalkError(
                f"substance misuse column {col.printed_label!r} (asset id "
                f"{col.asset_id or 'none'}) is not in pipeline/layouts/service_lines.csv",
                file=col.file_name,
                sheet=col.sheet or None,
                cell=f"column {col.column_number}",
            )
        by_stem = by_asset.get(stem) if stem else None
        if by_label and by_stem and by_stem.canonical_line != by_label.canonical_line:
            raise CrosswalkError(
                f"label {col.printed_label!r} maps to {by_label.canonical_line!r} but asset "
                f"id {col.asset_id!r} maps to {by_stem.canonical_line!r}",
                file=col.file_name,
                sheet=col.sheet or None,
                cell=f"column {col.column_number}",
            )


def revenue_cells(resolved: list[Resolved]) -> pd.DataFrame:
    """raw.mhclg__revenue_cells: the long table of every extracted cell of every file."""
    frames = [extract_source(r) for r in resolved]
    frame = pd.concat(frames, ignore_index=True)
    check_crosswalk(frame)
    frame["label_key"] = frame["printed_label"].map(normalise)
    return frame


def service_line_table() -> pd.DataFrame:
    """reference.service_lines: the crosswalk as a table, keyed by normalised label."""
    from pipeline.layouts import read_table

    table = pd.DataFrame(read_table("service_lines.csv"))
    table.insert(0, "label_key", table["printed_label"].map(normalise))
    return table
