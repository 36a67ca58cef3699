"""GDP deflators: the price series that turn cash into real terms.

Two independent files, each described by a row of `pipeline/layouts/deflator_series.csv`:
HM Treasury's financial-year GDP deflator (the default, as UK public spending analyses use)
and ONS's own quarterly YBGB export, averaged over the four quarters of each financial year.
Either file with a changed header, a gap in its years or a non-numeric index is an error
naming the file and row; the two series are then compared by a blocking check.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from pipeline.config import LAYOUTS_DIR
from pipeline.errors import LayoutError
from pipeline.extract.layouts import read_table
from pipeline.model import BuildContext, CheckResult, TableCheck
from pipeline.sources.fetch import Resolved

FAMILY = "deflators"
PRICE_BASE_YEAR = "2024-25"  # the out tables' real-terms columns are in these prices
AGREEMENT_CSV = LAYOUTS_DIR / "deflator_agreement.csv"
_FY = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4}) Q([1-4])$")
ONS_METADATA = ("Title", "CDID", "Source dataset ID", "PreUnit", "Unit", "Release date")


@dataclass(frozen=True)
class DeflatorSeries:
    """One row of deflator_series.csv: which file holds a series and how to read it."""

    series: str
    source_id: str
    file_format: str  # financial_year_csv | ons_timeseries_quarterly
    year_column: str
    index_column: str
    forecast_column: str
    series_code: str
    published_base: str
    is_default: bool
    description: str


@cache
def deflator_series() -> tuple[DeflatorSeries, ...]:
    rows = read_table("deflator_series.csv")
    out = tuple(
        DeflatorSeries(**{**r, "is_default": r["is_default"].strip().lower() == "true"})
        for r in rows
    )
    defaults = [s.series for s in out if s.is_default]
    if len(defaults) != 1:
        raise LayoutError(
            f"exactly one default series expected, found {defaults}", file="deflator_series.csv"
        )
    return out


def default_series() -> str:
    return next(s.series for s in deflator_series() if s.is_default)


def fy_label(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def _number(text: str, file_name: str, row: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise LayoutError(
            f"{column} {text!r} is not a number (expected a deflator index)",
            file=file_name,
            cell=f"row {row}",
        ) from None
    if not value > 0:
        raise LayoutError(
            f"{column} {text!r} is not a positive index", file=file_name, cell=f"row {row}"
        )
    return value


def _read_rows(path: Path, file_name: str) -> list[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise LayoutError(f"not valid UTF-8 text ({exc.reason})", file=file_name) from exc


def _no_gaps(frame: pd.DataFrame, file_name: str, rows: list[int]) -> None:
    """Consecutive financial years: a missing year is an error naming where it should be."""
    starts = frame["fy_start"].tolist()
    for i in range(1, len(starts)):
        if starts[i] != starts[i - 1] + 1:
            missing = ", ".join(fy_label(y) for y in range(starts[i - 1] + 1, starts[i]))
            raise LayoutError(
                f"financial year(s) {missing} missing between {fy_label(starts[i - 1])} and "
                f"{fy_label(starts[i])} (expected one row per year, in order)",
                file=file_name,
                cell=f"row {rows[i]}",
            )


def financial_year_csv(spec: DeflatorSeries, path: Path, file_name: str) -> pd.DataFrame:
    """A CSV with one row per financial year: year, index and forecast columns by name."""
    rows = _read_rows(path, file_name)
    if not rows:
        raise LayoutError("empty file (expected a header row)", file=file_name)
    header = [h.strip() for h in rows[0]]
    wanted = [spec.year_column, spec.index_column, spec.forecast_column]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise LayoutError(
            f"header has no column {missing} (expected {wanted} as in "
            f"pipeline/layouts/deflator_series.csv); the header is {header}",
            file=file_name,
            cell="row 1",
        )
    at = {c: header.index(c) for c in wanted}
    records, row_numbers = [], []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        year = row[at[spec.year_column]].strip()
        match = _FY.match(year)
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise LayoutError(
                f"{spec.year_column} {year!r} is not a financial year like '2024-25'",
                file=file_name,
                cell=f"row {n}",
            )
        forecast = row[at[spec.forecast_column]].strip().lower()
        if forecast not in ("true", "false"):
            raise LayoutError(
                f"{spec.forecast_column} {forecast!r} is not true or false",
                file=file_name,
                cell=f"row {n}",
            )
        records.append(
            {
                "financial_year": year,
                "fy_start": int(match.group(1)),
                "deflator_index": _number(
                    row[at[spec.index_column]].strip(), file_name, n, spec.index_column
                ),
                "is_forecast": forecast == "true",
            }
        )
        row_numbers.append(n)
    frame = pd.DataFrame(records)
    if frame.empty:
        raise LayoutError("no financial year rows", file=file_name)
    _no_gaps(frame, file_name, row_numbers)
    return frame


def ons_timeseries_quarterly(spec: DeflatorSeries, path: Path, file_name: str) -> pd.DataFrame:
    """An ONS time-series CSV export: metadata rows, then 'YYYY' and 'YYYY Qn' rows.

    A financial year is the mean of Q2-Q4 of its first calendar year and Q1 of the next;
    only years with all four quarters are kept. ONS marks none of its figures as forecasts.
    """
    rows = _read_rows(path, file_name)
    meta = {r[0].strip(): (r[1].strip() if len(r) > 1 else "") for r in rows[:10] if r}
    absent = [k for k in ONS_METADATA if k not in meta]
    if absent:
        raise LayoutError(
            f"ONS metadata rows {absent} not found in the first 10 rows (expected an ONS "
            "time-series CSV export)",
            file=file_name,
        )
    if meta["CDID"] != spec.series_code:
        raise LayoutError(
            f"CDID is {meta['CDID']!r}, expected {spec.series_code!r}", file=file_name, cell="row 2"
        )
    quarters: dict[tuple[int, int], float] = {}
    quarter_rows: dict[tuple[int, int], int] = {}
    for n, row in enumerate(rows, start=1):
        if len(row) < 2 or not _QUARTER.match(row[0].strip()):
            continue
        match = _QUARTER.match(row[0].strip())
        key = (int(match.group(1)), int(match.group(2)))
        quarters[key] = _number(row[1].strip(), file_name, n, row[0].strip())
        quarter_rows[key] = n
    if not quarters:
        raise LayoutError("no quarterly rows ('YYYY Qn') found", file=file_name)
    years = sorted({y for y, _q in quarters})
    records, row_numbers = [], []
    for start in range(years[0], years[-1] + 1):
        needed = [(start, 2), (start, 3), (start, 4), (start + 1, 1)]
        held = [k for k in needed if k in quarters]
        if len(held) < 4:
            if not held or start in (years[0], years[-1]):
                continue  # the ends of the series: a financial year not yet (or no longer) whole
            gaps = ", ".join(f"{y} Q{q}" for y, q in needed if (y, q) not in quarters)
            raise LayoutError(
                f"quarter(s) {gaps} missing: financial year {fy_label(start)} is incomplete",
                file=file_name,
                cell=f"row {quarter_rows[held[0]]}",
            )
        records.append(
            {
                "financial_year": fy_label(start),
                "fy_start": start,
                "deflator_index": sum(quarters[k] for k in needed) / 4,
                "is_forecast": False,
            }
        )
        row_numbers.append(quarter_rows[needed[0]])
    frame = pd.DataFrame(records)
    _no_gaps(frame, file_name, row_numbers)
    return frame


READERS = {
    "financial_year_csv": financial_year_csv,
    "ons_timeseries_quarterly": ons_timeseries_quarterly,
}


def gdp_deflator(ctx: BuildContext) -> pd.DataFrame:
    """reference.gdp_deflator: one row per series and financial year, with the index rebased."""
    frames = []
    for spec in deflator_series():
        resolved: Resolved = ctx.source(spec.source_id)
        reader = READERS.get(spec.file_format)
        if reader is None:
            raise LayoutError(
                f"unknown file_format {spec.file_format!r} for series {spec.series}",
                file="deflator_series.csv",
            )
        frame = reader(spec, resolved.path, resolved.source.file_name)
        base = frame.loc[frame["financial_year"] == PRICE_BASE_YEAR, "deflator_index"]
        if base.empty:
            raise LayoutError(
                f"no row for {PRICE_BASE_YEAR}, the price base of the out tables",
                file=resolved.source.file_name,
            )
        frame["index_2024_25_eq_100"] = 100 * frame["deflator_index"] / float(base.iloc[0])
        frame.insert(0, "series", spec.series)
        frame["published_base"] = spec.published_base
        frame["is_default"] = spec.is_default
        frame["source_id"] = spec.source_id
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def series_agree(ctx: BuildContext) -> list[CheckResult]:
    """Each pair in pipeline/layouts/deflator_agreement.csv agrees, rebased, within its limit."""
    with AGREEMENT_CSV.open(newline="", encoding="utf-8") as fh:
        rules = list(csv.DictReader(fh))
    results = []
    for rule in rules:
        rows = ctx.con.execute(
            """
            WITH s AS (
                SELECT financial_year, deflator_index / max(deflator_index) FILTER
                    (WHERE financial_year = $rebase) OVER () AS idx
                FROM reference.gdp_deflator WHERE series = $series),
            r AS (
                SELECT financial_year, deflator_index / max(deflator_index) FILTER
                    (WHERE financial_year = $rebase) OVER () AS idx
                FROM reference.gdp_deflator WHERE series = $reference)
            SELECT y.financial_year, 100 * (s.idx / r.idx - 1) AS gap_pct
            FROM (SELECT DISTINCT financial_year FROM reference.gdp_deflator
                  WHERE financial_year BETWEEN $from AND $to) y
            LEFT JOIN s USING (financial_year) LEFT JOIN r USING (financial_year)
            ORDER BY y.financial_year
            """,
            {
                "series": rule["series"],
                "reference": rule["reference_series"],
                "rebase": rule["rebase_year"],
                "from": rule["from_year"],
                "to": rule["to_year"],
            },
        ).fetchall()
        limit = float(rule["max_gap_pct"])
        bad = [(y, g) for y, g in rows if g is None or abs(g) > limit]
        worst = max((abs(g) for _y, g in rows if g is not None), default=0.0)
        held = {y for y, _g in rows}
        expected_years = {
            fy_label(y) for y in range(int(rule["from_year"][:4]), int(rule["to_year"][:4]) + 1)
        }
        absent = sorted(expected_years - held)
        results.append(
            CheckResult(
                name=f"{rule['series']}_agrees_with_{rule['reference_series']}",
                passed=not bad and not absent,
                description=(
                    f"rebased to {rule['rebase_year']} = 100, {rule['series']} is within "
                    f"{limit:g}% of {rule['reference_series']} for every year "
                    f"{rule['from_year']} to {rule['to_year']}"
                ),
                observed=(
                    "; ".join(
                        f"{y}: gap {g:+.2f}%" if g is not None else f"{y}: a series has no value"
                        for y, g in bad
                    )
                    + (f"; years missing: {', '.join(absent)}" if absent else "")
                    if bad or absent
                    else f"largest gap {worst:.2f}% over {len(rows)} years"
                ).strip("; "),
            )
        )
    return results


def real_terms_cover(table: str, pairs: tuple[tuple[str, str], ...]) -> TableCheck:
    """A blocking check: every cash figure of `table` has its real-terms twin.

    `pairs` are (cash column, real-terms column). A real-terms value is NULL only where the
    default series holds no deflator for the year, so this lists the spending years it lacks.
    """

    def check(ctx: BuildContext) -> list[CheckResult]:
        missing = " OR ".join(f"({cash} IS NOT NULL AND {real} IS NULL)" for cash, real in pairs)
        years = [
            y
            for (y,) in ctx.con.execute(
                f"SELECT DISTINCT financial_year FROM {table} WHERE {missing} ORDER BY 1"
            ).fetchall()
        ]
        return [
            CheckResult(
                "deflator_for_every_year",
                not years,
                f"every year with a cash figure has a {default_series()} deflator, so its "
                f"real-terms ({PRICE_BASE_YEAR} prices) figure exists",
                observed=(
                    f"no deflator for {', '.join(years)}" if years else "every year has a deflator"
                ),
            )
        ]

    return TableCheck("deflator_for_every_year", check)
