"""Header-anchored extraction of an MHCLG revenue sheet into long format, every cell kept.

Given the header and columns (`pipeline.extract.columns`), each row is an authority, the
ENGLAND row or a class subtotal, and every value cell becomes one row of the long table.
A layout that does not hold (unexpected text in a numeric cell, a duplicated authority, a
figure under no label) is a LayoutError naming the cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.errors import LayoutError
from pipeline.extract.columns import (
    ANCHOR,
    ECODE,
    ENGLAND_CODES,
    TYPE_OF,
    ValueColumn,
    cell_ref,
    cell_text,
    classify_columns,
    find_header_row,
    has_number,
    imputed_column,
)
from pipeline.extract.layouts import SheetLayout, Vocabulary, normalise
from pipeline.extract.workbook import Grid


def classify_rows(
    grid: Grid,
    hdr: int,
    roles: dict[str, int],
    value_cols: list[int],
    layout: SheetLayout,
    *,
    file: str,
) -> list[tuple[int, str]]:
    """(row index, row_kind) for authority, england and class_subtotal rows."""
    e_col, n_col = roles["ecode"], roles["la_name"]
    out: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    england_at: int | None = None
    for i in range(hdr + 1, len(grid)):
        row = grid[i]
        code = cell_text(row[e_col]) if e_col < len(row) else ""
        name = cell_text(row[n_col]) if n_col < len(row) else ""
        is_england = normalise(name) == "england" or normalise(code) in ENGLAND_CODES
        if england_at is None:
            if is_england:
                england_at = i
                out.append((i, "england"))
            elif ECODE.match(code):
                if code in seen:
                    raise LayoutError(
                        f"authority {code} ({name}) appears twice, on rows {seen[code] + 1} "
                        f"and {i + 1}; expected one row per authority",
                        file=file,
                        sheet=layout.sheet,
                        cell=cell_ref(i, e_col),
                    )
                seen[code] = i
                out.append((i, "authority"))
            elif has_number(row, value_cols):
                raise LayoutError(
                    f"row {i + 1} holds figures but no E-code (found {code!r}, {name!r})",
                    file=file,
                    sheet=layout.sheet,
                    cell=cell_ref(i, e_col),
                )
        elif is_england:
            raise LayoutError(
                f"a second ENGLAND row on row {i + 1} (first on row {england_at + 1})",
                file=file,
                sheet=layout.sheet,
                cell=cell_ref(i, n_col),
            )
        elif name and normalise(code) != ANCHOR and has_number(row, value_cols):
            out.append((i, "class_subtotal"))
    if not seen:
        raise LayoutError(
            "no authority rows (no E-code like E0101 below the header)",
            file=file,
            sheet=layout.sheet,
            cell=cell_ref(hdr + 1, e_col),
        )
    if layout.has_england_row and england_at is None:
        raise LayoutError(
            "no ENGLAND row; the layout table says this sheet has one",
            file=file,
            sheet=layout.sheet,
        )
    return out


def check_unlabelled(
    grid: Grid,
    rows: list[tuple[int, str]],
    spacers: list[int],
    width: int,
    *,
    file: str,
    sheet: str | None,
) -> None:
    """No figure may sit under no label, between labelled columns or right of the last one.

    Text there is a footnote and is left alone.

    A zero carries no spending and is allowed (RA 2013-14 prints 0 in the ENGLAND row's
    spacer columns); any other figure there would be a column we cannot name.
    """
    for i, _kind in rows:
        row = grid[i]
        tail = row[width:]
        # list.count runs in C: cheap even for RA 2020-21's 16,384-column rows
        suspects = (
            spacers if tail.count("") == len(tail) else spacers + list(range(width, len(row)))
        )
        for j in suspects:
            value = row[j] if j < len(row) else ""
            # text here is a footnote letter ('R', '(d)' in RA 2019-20 to 2021-22)
            if not isinstance(value, int | float) or isinstance(value, bool) or value == 0:
                continue
            raise LayoutError(
                f"{value!r} in a column with no header label; every figure must sit under "
                "a labelled column",
                file=file,
                sheet=sheet,
                cell=cell_ref(i, j),
            )


# The columns of raw.mhclg__revenue_cells, in order; the extractor writes them as three
# tables (a cell's value, a row's authority, a column's label) that a view joins back.
CELL_COLUMNS = (
    "source_id", "file_name", "form", "financial_year", "fy_start", "basis", "sheet",
    "row_number", "column_number", "cell", "section", "printed_label", "label_key",
    "form_line", "asset_id", "measure_label", "measure", "ecode", "ons_code", "la_name",
    "la_class_printed", "row_kind", "imputed_flag", "is_imputed", "value", "marker",
)  # fmt: skip


@dataclass(frozen=True)
class SheetCells:
    """One sheet's cells in three parts, and the value columns they came from.

    `values` has a row per cell (its position, value and marker), `rows` a row per sheet row
    (the authority printed on it), `table_columns` a row per value column (its labels): every
    other attribute of a cell is its row's or its column's, so each is stored once.
    """

    values: pa.Table
    rows: pa.Table
    table_columns: pa.Table
    columns: list[ValueColumn]

    @property
    def cells(self) -> pa.Table:
        """The long table, one row per cell with every attribute (as the view gives it)."""
        return long_cells(self.values, self.rows, self.table_columns)


def long_cells(values: pa.Table, rows: pa.Table, columns: pa.Table) -> pa.Table:
    """A sheet's three parts joined into one row per cell, in CELL_COLUMNS order, as the view
    raw.mhclg__revenue_cells joins them (without the source's own columns)."""
    frame = (
        values.to_pandas()
        .merge(rows.to_pandas(), how="left", on=["sheet", "row_number"])
        .merge(columns.to_pandas(), how="left", on=["sheet", "column_number"])
    )
    frame["cell"] = frame["column_letters"] + frame["row_number"].astype(str)
    return pa.Table.from_pandas(
        frame[[c for c in CELL_COLUMNS if c in frame.columns]], preserve_index=False
    )


def extract_sheet(grid: Grid, layout: SheetLayout, vocab: Vocabulary, *, file: str) -> SheetCells:
    """Every cell of every value column of the authority, ENGLAND and class rows, long format."""
    sheet_label = layout.sheet or None
    hdr = find_header_row(grid, file=file, sheet=sheet_label)
    if layout.measure_title:
        top = " ".join(cell_text(c) for r in grid[:hdr] for c in r).casefold()
        if layout.measure_title.casefold() not in top:
            raise LayoutError(
                f"expected the title rows to mention {layout.measure_title!r}; "
                "the sheet may hold a different measure",
                file=file,
                sheet=sheet_label,
            )
    roles, columns, spacers = classify_columns(grid, hdr, layout, vocab, file=file)
    value_idx = [c.index for c in columns]
    rows = classify_rows(grid, hdr, roles, value_idx, layout, file=file)
    check_unlabelled(grid, rows, spacers, value_idx[-1] + 1, file=file, sheet=sheet_label)

    n_rows, n_cols = len(rows), len(columns)
    block = np.empty((n_rows, n_cols), dtype=object)
    for r, (i, _kind) in enumerate(rows):
        row = grid[i]
        padded = row[: value_idx[-1] + 1] + [""] * max(0, value_idx[-1] + 1 - len(row))
        block[r, :] = [padded[j] for j in value_idx]
    flat = block.ravel()
    kinds = TYPE_OF(flat)
    is_number = np.equal(kinds, float) | np.equal(kinds, int)  # bool is neither: not a figure
    not_number = ~is_number
    values = np.zeros(flat.size)
    values[is_number] = flat[is_number].astype(float)
    marker_text = [cell_text(v) for v in flat[not_number]]
    known = vocab.markers
    for k, text in zip(np.flatnonzero(not_number), marker_text, strict=True):
        if text not in known:
            r, c = divmod(int(k), n_cols)
            raise LayoutError(
                f"text {flat[k]!r} in a numeric column ({columns[c].printed_label!r}); expected "
                "a number or a marker listed in pipeline/layouts/markers.csv",
                file=file,
                sheet=sheet_label,
                cell=cell_ref(rows[r][0], columns[c].index),
            )
    marker_values = sorted(set(marker_text))
    marker_index = np.zeros(flat.size, dtype=np.int32)
    position = {m: n for n, m in enumerate(marker_values)}
    marker_index[not_number] = [position[m] for m in marker_text]

    def ident(role: str) -> list[str]:
        j = roles.get(role)
        return [
            cell_text(grid[i][j]) if j is not None and j < len(grid[i]) else "" for i, _ in rows
        ]

    # Whether the file marks an authority's figures as imputed: NULL where it says nothing.
    flag_col = imputed_column(grid, hdr, roles, layout, file=file)
    if flag_col is not None:
        roles["imputed_flag"] = flag_col
    flags = ident("imputed_flag")
    imputed = pa.array(
        [None if flag_col is None else f == layout.imputed_marker != "" for f in flags],
        type=pa.bool_(),
    )

    row_numbers = np.array([i + 1 for i, _ in rows], dtype=np.int32)
    column_numbers = np.array(value_idx, dtype=np.int32) + 1
    sheet_name = pa.array([layout.sheet], type=pa.string())
    values_table = pa.table(
        {
            "sheet": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(flat.size, dtype=np.int32)), sheet_name
            ),
            "row_number": pa.array(np.repeat(row_numbers, n_cols)),
            "column_number": pa.array(np.tile(column_numbers, n_rows)),
            "value": pa.array(values, mask=not_number),
            "marker": pa.DictionaryArray.from_arrays(
                pa.array(marker_index, mask=is_number), pa.array(marker_values, type=pa.string())
            ),
        }
    )
    rows_table = pa.table(
        {
            "sheet": pa.array([layout.sheet] * n_rows, type=pa.string()),
            "row_number": pa.array(row_numbers),
            "ecode": pa.array(ident("ecode"), type=pa.string()),
            "ons_code": pa.array(ident("ons_code"), type=pa.string()),
            "la_name": pa.array(ident("la_name"), type=pa.string()),
            "la_class_printed": pa.array(ident("la_class"), type=pa.string()),
            "row_kind": pa.array([k for _, k in rows], type=pa.string()),
            "imputed_flag": pa.array(flags, type=pa.string()),
            "is_imputed": imputed,
        }
    )
    columns_table = pa.table(
        {
            "sheet": pa.array([layout.sheet] * n_cols, type=pa.string()),
            "column_number": pa.array(column_numbers),
            "column_letters": pa.array([cell_ref(0, j)[:-1] for j in value_idx], pa.string()),
            "section": pa.array([c.section for c in columns], type=pa.string()),
            "printed_label": pa.array([c.printed_label for c in columns], type=pa.string()),
            "label_key": pa.array([c.label_key for c in columns], type=pa.string()),
            "form_line": pa.array([c.form_line for c in columns], type=pa.int32()),
            "asset_id": pa.array([c.asset_id for c in columns], type=pa.string()),
            "measure_label": pa.array([c.measure_label for c in columns], type=pa.string()),
            "measure": pa.array([c.measure for c in columns], type=pa.string()),
        }
    )
    return SheetCells(values_table, rows_table, columns_table, columns)
