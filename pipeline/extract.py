"""Header-anchored extraction of an MHCLG revenue sheet into long format, every cell kept.

The header row is found by its anchor cell (`E-code`); every other fact (where the service
labels, sections, form line numbers and asset ids sit; which measure the sheet holds) comes
from the sheet's row in `pipeline/layouts/mhclg_sheets.csv`, as offsets from that anchor.
A layout that does not hold (no anchor, an unknown measure, a number without a header,
unexpected text in a numeric cell, a duplicated authority) is a LayoutError naming the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.errors import LayoutError
from pipeline.layouts import SheetLayout, Vocabulary, normalise
from pipeline.workbook import Grid

ANCHOR = "e-code"
ANCHOR_SEARCH_ROWS = 40
ECODE = re.compile(r"^E\d{4}$")
ENGLAND_CODES = {"eng"}

RAW_COLUMNS = [
    "sheet",
    "row_number",
    "column_number",
    "cell",
    "section",
    "printed_label",
    "form_line",
    "asset_id",
    "measure_label",
    "measure",
    "ecode",
    "ons_code",
    "la_name",
    "la_class_printed",
    "row_kind",
    "value",
    "marker",
]


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) to an A1 reference."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class ValueColumn:
    index: int
    printed_label: str
    measure_label: str
    measure: str
    section: str
    form_line: int | None
    asset_id: str


def find_header_row(grid: Grid, *, file: str, sheet: str) -> int:
    """The first row holding the anchor; a later one heads a second table (RO3 class rows)."""
    for i, row in enumerate(grid[:ANCHOR_SEARCH_ROWS]):
        if any(isinstance(c, str) and normalise(c) == ANCHOR for c in row):
            return i
    raise LayoutError(
        f"header anchor 'E-code' not found in the first {ANCHOR_SEARCH_ROWS} rows "
        "(empty sheet or changed layout)",
        file=file,
        sheet=sheet,
    )


def _row(grid: Grid, index: int | None) -> list[object]:
    if index is None or index < 0 or index >= len(grid):
        return []
    return grid[index]


def _filled(row: list[object], width: int, *, reset: list[bool] | None = None) -> list[str]:
    """Forward-fill a label row across the columns it spans (a banner or a service name)."""
    out, current = [], ""
    for j in range(width):
        value = _text(row[j]) if j < len(row) else ""
        if reset is not None and reset[j]:
            current = ""
        if value:
            current = value
        out.append(current)
    return out


def _split_combined(label: str, vocab: Vocabulary) -> tuple[str, str] | None:
    """'<service> - <measure>' -> (service, measure label), matching the longest known measure."""
    norm = normalise(label)
    best = None
    for measure_label in vocab.measures:
        suffix = " - " + measure_label
        if norm.endswith(suffix) and (best is None or len(measure_label) > len(best)):
            best = measure_label
    if best is None:
        return None
    cut = label.rstrip()
    # cut the printed label at the same place the normalised form was cut
    service = " ".join(cut.split())[: len(norm) - len(best) - 3]
    return service, best


def classify_columns(
    grid: Grid, hdr: int, layout: SheetLayout, vocab: Vocabulary, *, file: str
) -> tuple[dict[str, int], list[ValueColumn], list[int]]:
    """Split the header into identity columns, value columns and unlabelled spacer columns."""
    header = grid[hdr]
    width = max((j + 1 for j, c in enumerate(header) if _text(c)), default=0)
    roles: dict[str, int] = {}
    spacers: list[int] = []
    blank = [not _text(header[j]) if j < len(header) else True for j in range(width)]
    off = layout
    labels = (
        _filled(_row(grid, hdr + off.label_row_offset), width, reset=blank)
        if off.label_row_offset is not None and layout.label_style == "spanning"
        else None
    )
    sections = (
        _filled(_row(grid, hdr + off.section_row_offset), width)
        if off.section_row_offset is not None
        else [""] * width
    )
    lines = _row(grid, hdr + off.line_row_offset) if off.line_row_offset is not None else []
    assets = _row(grid, hdr + off.asset_row_offset) if off.asset_row_offset is not None else []
    columns: list[ValueColumn] = []
    seen_value_column = False
    for j in range(width):
        printed = _text(header[j])
        if not printed:
            spacers.append(j)
            continue
        role = vocab.column_roles.get(normalise(printed))
        if role is not None and not seen_value_column:
            if role != "annotation":
                if role in roles:
                    raise LayoutError(
                        f"identity column {printed!r} appears twice",
                        file=file,
                        sheet=layout.sheet,
                        cell=cell_ref(hdr, j),
                    )
                roles[role] = j
            continue
        seen_value_column = True
        if layout.label_style == "single":
            service, measure_label, measure = printed, layout.measure_title, layout.measure
        elif layout.label_style == "spanning":
            service = labels[j] if labels else ""
            measure_label = printed
            measure = vocab.measures.get(normalise(printed), "")
            if not service:
                raise LayoutError(
                    f"no service label above measure column {printed!r} "
                    f"(expected on row {hdr + off.label_row_offset + 1})",
                    file=file,
                    sheet=layout.sheet,
                    cell=cell_ref(hdr, j),
                )
        else:
            split = _split_combined(printed, vocab)
            service, measure_label = split if split else (printed, "")
            measure = vocab.measures.get(measure_label, "")
        if not measure:
            raise LayoutError(
                f"unknown measure in column label {printed!r}; expected one listed in "
                "pipeline/layouts/measures.csv",
                file=file,
                sheet=layout.sheet,
                cell=cell_ref(hdr, j),
            )
        line_text = _text(lines[j]) if j < len(lines) else ""
        columns.append(
            ValueColumn(
                index=j,
                printed_label=service,
                measure_label=measure_label,
                measure=measure,
                section=sections[j].strip("* ").strip() if sections[j] else "",
                form_line=int(line_text) if line_text.isdigit() else None,
                asset_id=_text(assets[j]) if j < len(assets) else "",
            )
        )
    if "ecode" not in roles or "la_name" not in roles:
        raise LayoutError(
            "identity columns 'E-code' and 'Local authority' not both found",
            file=file,
            sheet=layout.sheet,
            cell=cell_ref(hdr, 0),
        )
    if not columns:
        raise LayoutError(
            "no value columns right of the identity columns",
            file=file,
            sheet=layout.sheet,
            cell=cell_ref(hdr, 0),
        )
    return roles, columns, spacers


def _has_number(row: list[object], cols: list[int]) -> bool:
    return any(
        isinstance(row[j], int | float) and not isinstance(row[j], bool)
        for j in cols
        if j < len(row)
    )


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
        code = _text(row[e_col]) if e_col < len(row) else ""
        name = _text(row[n_col]) if n_col < len(row) else ""
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
            elif _has_number(row, value_cols):
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
        elif name and normalise(code) != ANCHOR and _has_number(row, value_cols):
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


def extract_sheet(grid: Grid, layout: SheetLayout, vocab: Vocabulary, *, file: str) -> pd.DataFrame:
    """Every cell of every value column of the authority, ENGLAND and class rows, long format."""
    sheet_label = layout.sheet or None
    hdr = find_header_row(grid, file=file, sheet=sheet_label)
    if layout.measure_title:
        top = " ".join(_text(c) for r in grid[:hdr] for c in r).casefold()
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
    is_number = np.fromiter(
        (isinstance(v, int | float) and not isinstance(v, bool) for v in flat),
        dtype=bool,
        count=flat.size,
    )
    values = np.full(flat.size, np.nan)
    values[is_number] = flat[is_number].astype(float)
    markers = np.full(flat.size, None, dtype=object)
    not_number = ~is_number
    markers[not_number] = [_text(v) for v in flat[not_number]]
    unknown = not_number & ~np.isin(markers, list(vocab.markers))
    if unknown.any():
        k = int(np.argmax(unknown))
        r, c = divmod(k, n_cols)
        raise LayoutError(
            f"text {flat[k]!r} in a numeric column ({columns[c].printed_label!r}); expected a "
            "number or a marker listed in pipeline/layouts/markers.csv",
            file=file,
            sheet=sheet_label,
            cell=cell_ref(rows[r][0], columns[c].index),
        )

    def ident(role: str) -> list[str]:
        j = roles.get(role)
        return [_text(grid[i][j]) if j is not None and j < len(grid[i]) else "" for i, _ in rows]

    row_index = np.repeat([i for i, _ in rows], n_cols)
    col_index = np.tile(value_idx, n_rows)
    frame = pd.DataFrame(
        {
            "sheet": layout.sheet,
            "row_number": row_index + 1,
            "column_number": col_index + 1,
            "section": np.tile([c.section for c in columns], n_rows),
            "printed_label": np.tile([c.printed_label for c in columns], n_rows),
            "form_line": pd.array(np.tile([c.form_line for c in columns], n_rows), dtype="Int64"),
            "asset_id": np.tile([c.asset_id for c in columns], n_rows),
            "measure_label": np.tile([c.measure_label for c in columns], n_rows),
            "measure": np.tile([c.measure for c in columns], n_rows),
            "ecode": np.repeat(ident("ecode"), n_cols),
            "ons_code": np.repeat(ident("ons_code"), n_cols),
            "la_name": np.repeat(ident("la_name"), n_cols),
            "la_class_printed": np.repeat(ident("la_class"), n_cols),
            "row_kind": np.repeat([k for _, k in rows], n_cols),
            "value": values,
            "marker": markers,
        }
    )
    letters = np.tile([cell_ref(0, j)[:-1] for j in value_idx], n_rows)
    frame["cell"] = pd.Series(letters, dtype=object) + frame["row_number"].astype(str)
    return frame[RAW_COLUMNS]
