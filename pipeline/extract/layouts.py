"""Load the layout and crosswalk tables in `pipeline/layouts/` (per-year facts kept as data)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.config import LAYOUTS_DIR
from pipeline.errors import CrosswalkError

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
_COUNTER = re.compile(r"\)\d+$")  # ODS headers made unique by a trailing counter: "(C1)128"


def normalise(label: object) -> str:
    """Casefolded, single-spaced, plain-dash form of a printed label, for exact matching."""
    text = str(label)
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    text = _DASHES.sub("-", text)
    text = " ".join(text.split()).casefold()
    return _COUNTER.sub(")", text)


def read_table(name: str, directory: Path = LAYOUTS_DIR) -> list[dict[str, str]]:
    with (directory / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


@dataclass(frozen=True)
class SheetLayout:
    """How to read one data sheet of one source file (a row of mhclg_sheets.csv)."""

    source_id: str
    sheet: str
    measure: str
    measure_title: str
    label_style: str  # single | spanning | combined
    label_row_offset: int | None
    section_row_offset: int | None
    line_row_offset: int | None
    asset_row_offset: int | None
    has_england_row: bool
    encoding: str
    name_row_offset: int | None = None  # a row of column (variable) names, for messages
    label_limit: int | None = None  # labels cut at this many characters by a copy
    imputed_column: str = ""  # the column marking imputed authorities: a label, or "+N"
    imputed_marker: str = ""  # what marks one; empty: the column marks none


@cache
def sheet_layouts() -> dict[str, tuple[SheetLayout, ...]]:
    out: dict[str, list[SheetLayout]] = {}
    for row in read_table("mhclg_sheets.csv"):
        layout = SheetLayout(
            source_id=row["source_id"],
            sheet=row["sheet"],
            measure=row["measure"],
            measure_title=row["measure_title"],
            label_style=row["label_style"],
            label_row_offset=_int_or_none(row["label_row_offset"]),
            section_row_offset=_int_or_none(row["section_row_offset"]),
            line_row_offset=_int_or_none(row["line_row_offset"]),
            asset_row_offset=_int_or_none(row["asset_row_offset"]),
            has_england_row=row["has_england_row"] == "true",
            encoding=row["encoding"],
            name_row_offset=_int_or_none(row["name_row_offset"]),
            label_limit=_int_or_none(row["label_limit"]),
            imputed_column=row["imputed_column"],
            imputed_marker=row["imputed_marker"],
        )
        out.setdefault(layout.source_id, []).append(layout)
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class Vocabulary:
    """Printed labels the reader understands: measures, identity columns, markers."""

    measures: dict[str, str]
    column_roles: dict[str, str]
    markers: frozenset[str]
    classes: dict[str, str]


@cache
def vocabulary() -> Vocabulary:
    return Vocabulary(
        measures={normalise(r["printed_label"]): r["measure"] for r in read_table("measures.csv")},
        column_roles={
            normalise(r["printed_label"]): r["role"] for r in read_table("column_roles.csv")
        },
        markers=frozenset(r["marker"] for r in read_table("markers.csv")),
        classes={r["printed_class"]: r["la_class"] for r in read_table("authority_classes.csv")},
    )


@dataclass(frozen=True)
class ServiceLine:
    canonical_line: str
    category: str
    status: str  # mapped | excluded
    asset_id: str
    first_year: str = ""  # the first financial year the line is printed
    last_year: str = ""  # the last, or "" while it still is

    def printed_in(self, financial_year: str) -> bool:
        return self.first_year <= financial_year and (
            not self.last_year or financial_year <= self.last_year
        )


@cache
def service_lines() -> dict[str, ServiceLine]:
    """Normalised printed label -> service line (the crosswalk)."""
    return {
        normalise(r["printed_label"]): ServiceLine(
            canonical_line=r["canonical_line"],
            category=r["category"],
            status=r["status"],
            asset_id=r["asset_id"],
            first_year=r["first_year"],
            last_year=r["last_year"],
        )
        for r in read_table("service_lines.csv")
    }


def lines_printed_in(financial_year: str) -> set[str]:
    """The canonical lines the crosswalk says every file of `financial_year` prints."""
    return {
        line.canonical_line
        for line in service_lines().values()
        if line.status == "mapped" and line.canonical_line and line.printed_in(financial_year)
    }


def label_key(printed: str, limit: int | None = None) -> str:
    """The crosswalk key of a printed label.

    A label held at exactly `limit` characters was cut by the copy that holds it (Stata keeps
    80): it maps to the one crosswalk label it begins, or stays as it is (and a substance
    misuse label that maps nowhere is then an error). Two crosswalk lines it could begin are
    an error: a cut label must still map exactly.
    """
    key = normalise(printed)
    if limit is None or len(printed) < limit or key in service_lines():
        return key
    lines = service_lines()
    starts = sorted({k for k in lines if k.startswith(key)})
    canonical = {lines[k].canonical_line for k in starts}
    if len(canonical) > 1:
        raise CrosswalkError(
            f"label {printed!r}, cut at {limit} characters, could be any of {starts}: "
            "a cut label must map to one line of pipeline/layouts/service_lines.csv"
        )
    return starts[0] if starts else key


@cache
def dta_variables(source_id: str) -> dict[str, tuple[str, bool]]:
    """variable -> (header to use, keep) for a Stata copy (pipeline/layouts/dta_variables.csv)."""
    return {
        r["variable"]: (r["header"], r["keep"] == "true")
        for r in read_table("dta_variables.csv")
        if r["source_id"] == source_id
    }
