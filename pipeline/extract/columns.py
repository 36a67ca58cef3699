"""The header of an MHCLG revenue sheet: find it by its anchor, and say what each column is.

The header row is found by its anchor cell (`E-code`); where the service labels, sections,
form line numbers and asset ids sit relative to it comes from the sheet's row in
`pipeline/layouts/mhclg_sheets.csv`. Each column is an identifier (authority code, name,
class), a value column with its printed labels, or a note; a number under no label is a
LayoutError naming the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipeline.errors import LayoutError
from pipeline.extract.layouts import SheetLayout, Vocabulary, label_key, normalise
from pipeline.extract.workbook import Grid

ANCHOR = "e-code"
ANCHOR_SEARCH_ROWS = 40
ECODE = re.compile(r"^E\d{4}$")
ENGLAND_CODES = {"eng"}

TYPE_OF = np.frompyfunc(type, 1, 1)  # a C loop over the cells, far faster than a genexpr


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) to an A1 reference."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def cell_text(value: object) -> str:
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
    label_key: str = ""  # the crosswalk key (a label cut by a copy resolved to its full form)
    name: str = ""  # the column's variable name, where the file has one (a Stata copy)


def find_header_row(grid: Grid, *, file: str, sheet: str) -> int:
    """The first row holding the anchor; a later one heads a second table (RO3 class rows)."""
    for i, row in enumerate(grid[:ANCHOR_SEARCH_ROWS]):
        # `c and`: blank cells are most of a wide sheet's first rows (16,384 columns in RA
        # 2020-21), and normalising each costs half a second over the files
        if any(c and isinstance(c, str) and normalise(c) == ANCHOR for c in row):
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
        value = cell_text(row[j]) if j < len(row) else ""
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
    width = max((j + 1 for j, c in enumerate(header) if cell_text(c)), default=0)
    roles: dict[str, int] = {}
    spacers: list[int] = []
    blank = [not cell_text(header[j]) if j < len(header) else True for j in range(width)]
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
    names = _row(grid, hdr + off.name_row_offset) if off.name_row_offset is not None else []
    columns: list[ValueColumn] = []
    seen_value_column = False
    for j in range(width):
        printed = cell_text(header[j])
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
        line_text = cell_text(lines[j]) if j < len(lines) else ""
        columns.append(
            ValueColumn(
                index=j,
                printed_label=service,
                measure_label=measure_label,
                measure=measure,
                section=sections[j].strip("* ").strip() if sections[j] else "",
                form_line=int(line_text) if line_text.isdigit() else None,
                asset_id=cell_text(assets[j]) if j < len(assets) else "",
                # the label as held, untrimmed: its length tells whether a copy cut it
                label_key=_label_key(
                    header[j] if layout.label_style == "single" else service,
                    layout,
                    file=file,
                    cell=cell_ref(hdr, j),
                ),
                name=cell_text(names[j]) if j < len(names) else "",
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


def _label_key(printed: str, layout: SheetLayout, *, file: str, cell: str) -> str:
    from pipeline.errors import CrosswalkError

    try:
        return label_key(printed, layout.label_limit)
    except CrosswalkError as exc:
        raise CrosswalkError(
            exc.message, file=file, sheet=layout.sheet or None, cell=cell
        ) from None


def imputed_column(
    grid: Grid, hdr: int, roles: dict[str, int], layout: SheetLayout, *, file: str
) -> int | None:
    """The column that marks imputed authorities: by its header label, or "+N" from E-code."""
    spec = layout.imputed_column
    if not spec:
        return None
    if spec.startswith("+"):
        return roles["ecode"] + int(spec[1:])
    for j, value in enumerate(grid[hdr]):
        if isinstance(value, str) and normalise(value) == normalise(spec):
            return j
    raise LayoutError(
        f"column {spec!r} (the imputed-figures flag in pipeline/layouts/mhclg_sheets.csv) "
        "not found on the header row",
        file=file,
        sheet=layout.sheet or None,
        cell=cell_ref(hdr, 0),
    )


def has_number(row: list[object], cols: list[int]) -> bool:
    return any(
        isinstance(row[j], int | float) and not isinstance(row[j], bool)
        for j in cols
        if j < len(row)
    )
