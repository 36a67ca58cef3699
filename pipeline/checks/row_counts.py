"""How many rows each table and suite frame should have, worked out from its sources.

`pipeline/layouts/row_counts.csv` has one row per name. The name is either a suite (the
frame the suite validates; a table's own suite has the table's name) or a table with no
suite. Each row gives:
- `expected_sql`, a count the build works out independently of the table: the data rows of
  a transcribed CSV (`{source:ID}` is replaced by the path of that source's verified bytes),
  a sheet's rows times its columns, or the dimensions of the tables upstream.
- `below_pct` and `above_pct`, how far the table may fall below or rise above that count.
  An exact identity has 0 and 0; any other range says why in the `why` column.

A suite's `expect_table_row_count_to_be_between` gets the bounds as the parameters
`row_count_min` and `row_count_max`. The lower bound is always at least 1, so an empty frame
fails. A table with no suite but a row here is held to the same bounds by its `row_count`
check. Every other table has a `non_empty` check. The checks fail closed: if a suite has no
row, or a row's count cannot be worked out, the build stops with a line naming the table and
the CSV. A missing row is never taken as a pass.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import LAYOUTS_DIR, REPO_ROOT
from pipeline.errors import SpendtrackError, ValidationError
from pipeline.model import BuildContext, CheckResult, TableCheck, TableSpec

ROW_COUNTS = LAYOUTS_DIR / "row_counts.csv"
COLUMNS = ("name", "expected_sql", "below_pct", "above_pct", "why")
SOURCE = re.compile(r"\{source:([\w.-]+)\}")


@dataclass(frozen=True)
class RowCount:
    """One row of row_counts.csv."""

    name: str
    expected_sql: str
    below_pct: float
    above_pct: float
    why: str


@dataclass(frozen=True)
class Bounds:
    """The count worked out from the sources, and the range the rows must fall in."""

    expected: int
    min: int
    max: int
    why: str

    def admits(self, rows: int) -> bool:
        return self.min <= rows <= self.max

    def describe(self) -> str:
        return f"{self.min:,} to {self.max:,} rows (expected {self.expected:,}: {self.why})"


def shown(path: Path) -> str:
    """The file as a message names it: relative to the repository where it lies inside."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def rules(path: Path | None = None) -> dict[str, RowCount]:
    """The rows of row_counts.csv by name. A malformed row is an error naming its line."""
    path = path or ROW_COUNTS
    out: dict[str, RowCount] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValidationError(
                f"{shown(path)}: the header is {reader.fieldnames}, expected {list(COLUMNS)}"
            )
        for line, row in enumerate(reader, start=2):
            name, sql, why = ((row[k] or "").strip() for k in ("name", "expected_sql", "why"))
            where = f"{shown(path)}, line {line} ({name or 'no name'})"
            try:
                below, above = float(row["below_pct"]), float(row["above_pct"])
            except (TypeError, ValueError):
                raise ValidationError(f"{where}: below_pct and above_pct must be numbers") from None
            if not (name and sql and why):
                raise ValidationError(f"{where}: name, expected_sql and why are all required")
            if not (0 <= below <= 100 and above >= 0):
                raise ValidationError(f"{where}: below_pct must be 0 to 100, above_pct 0 or more")
            if name in out:
                raise ValidationError(f"{where}: {name} has a row already")
            out[name] = RowCount(name, sql, below, above, why)
    return out


def names(path: Path | None = None) -> set[str]:
    """The names row_counts.csv bounds (no SQL is run)."""
    return set(rules(path))


def with_sources(ctx: BuildContext, sql: str) -> str:
    """`sql` with each {source:ID} replaced by the path of that source's verified bytes, quoted."""

    def path_of(match: re.Match) -> str:
        return "'" + str(ctx.source(match.group(1)).path).replace("'", "''") + "'"

    return SOURCE.sub(path_of, sql)


def bounds(ctx: BuildContext, name: str, table: str) -> Bounds:
    """The bounds that row_counts.csv gives `name` (a suite, or `table` itself), computed now."""
    path = ROW_COUNTS
    rule = rules(path).get(name)
    if rule is None:
        raise ValidationError(
            f"{table}: {name!r} has no row in {shown(path)}, so its row count is unbounded: add "
            "one with a count taken from its sources (an empty or truncated table must fail)"
        )
    try:
        # a cursor of its own: a check may have left a half-read result on the build's connection
        got = ctx.con.cursor().execute(with_sources(ctx, rule.expected_sql)).fetchall()
    except Exception as exc:  # a duckdb.Error, a source not enabled: fail closed, never a pass
        text = exc.one_line() if isinstance(exc, SpendtrackError) else str(exc)
        raise ValidationError(
            f"{table}: the expected row count of {name!r} in {shown(path)} could not be "
            f"computed: {' '.join(text.split())}"
        ) from exc
    value = got[0][0] if len(got) == 1 and len(got[0]) == 1 else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(
            f"{table}: the expected row count of {name!r} in {shown(path)} is not a count "
            f"of rows (the SQL gave {got!r}, expected one whole number)"
        )
    low = math.ceil(value * (1 - rule.below_pct / 100) - 1e-9)
    high = math.floor(value * (1 + rule.above_pct / 100) + 1e-9)
    return Bounds(value, max(low, 0), high, rule.why)


def suite_parameters(ctx: BuildContext, suite_name: str, table: str) -> dict[str, int]:
    """`row_count_min` and `row_count_max` for a suite's row count expectation; never below 1."""
    got = bounds(ctx, suite_name, table)
    if got.expected < 1 or got.max < 1:
        raise ValidationError(
            f"{table}: the expected row count of {suite_name!r} in {shown(ROW_COUNTS)} is "
            f"{got.expected}: its sources define no rows, and a suite's frame must have some"
        )
    return {"row_count_min": max(got.min, 1), "row_count_max": got.max}


def row_count_check(spec: TableSpec, *, bounded: bool) -> TableCheck:
    """`non_empty` for a table that row_counts.csv does not bound, or `row_count` for one that
    it bounds and that has no suite (a suite's frame is bounded by its own expectation)."""
    table = spec.name

    def non_empty(ctx: BuildContext) -> list[CheckResult]:
        has_rows = ctx.con.cursor().execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()
        passed = bool(has_rows[0][0])
        return [
            CheckResult(
                name="non_empty",
                passed=passed,
                description=f"{table} has rows",
                observed="has rows" if passed else f"{table} has no rows",
            )
        ]

    def row_count(ctx: BuildContext) -> list[CheckResult]:
        rows = ctx.con.cursor().execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        got = bounds(ctx, table, table)
        if got.admits(rows):
            observed = f"{rows:,} rows"
        elif rows == 0:
            observed = f"{table} has no rows"
        else:
            observed = f"{table} has {rows:,} rows"
        return [
            CheckResult(
                name="row_count",
                passed=got.admits(rows),
                description=f"{got.describe()} ({shown(ROW_COUNTS)})",
                observed=observed,
            )
        ]

    if bounded:
        return TableCheck(
            "row_count", row_count, f"{table} has as many rows as its sources give it"
        )
    return TableCheck("non_empty", non_empty, f"{table} has rows")
