"""Row counts: every suite's frame and every table must have the rows its sources give it.

An empty or truncated table fails its suite's row count expectation, or its `non_empty` or
`row_count` check. The bounds are worked out at build time from pipeline/layouts/row_counts.csv.
A suite with no row there, or a row whose count cannot be worked out, stops the build. It is
never taken as a pass.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import assets.drug_deaths
import assets.ndtms
from assets.tables import TABLES
from pipeline.checks import row_counts
from pipeline.checks.expectations import SUITES_DIR, load_suite, suites_by_table
from pipeline.checks.keys import checks_for
from pipeline.checks.suites import gx_check
from pipeline.errors import ValidationError
from pipeline.model import BuildContext, TableSpec
from tests.conftest import published_copy, settings_for
from tests.test_faults import fault_then_check

ROW_COUNT = "expect_table_row_count_to_be_between"
SPECS = {spec.name: spec for spec in TABLES}
SUITES = [s for suites in suites_by_table().values() for s in suites]
TABLE_NAME = re.compile(r"\b((?:raw|core|out|reference|checks)\.\w+)")


def upstream_of(name: str) -> set[str]:
    """The table, its stored parts and every table it is built from (with their parts)."""
    seen, todo = set(), [name]
    while todo:
        spec = SPECS[todo.pop()]
        if spec.name not in seen:
            seen |= {spec.name, *spec.parts}
            todo += list(spec.deps)
    return seen


# --- the rules are data, and every suite and table has one ---------------------------------------


@pytest.mark.parametrize("path", sorted(SUITES_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_suite_bounds_its_rows_with_parameters_from_the_sources(path):
    suite = load_suite(path)
    counts = [e for e in suite.expectations if e["type"] == ROW_COUNT]
    assert len(counts) == 1, f"{path.name}: one row count expectation, not {len(counts)}"
    kwargs = counts[0]["kwargs"]
    assert kwargs == {
        "min_value": {"$PARAMETER": "row_count_min"},
        "max_value": {"$PARAMETER": "row_count_max"},
    }, f"{path.name}: bounds typed in, not computed from the sources: {kwargs}"
    assert counts[0]["meta"]["why"]
    assert suite.name in row_counts.rules(), f"{suite.name} has no row in row_counts.csv"


def test_every_row_counts_from_the_sources_or_the_tables_upstream():
    """A count reads a source file or a table the named one is built from (so it exists when
    the check runs, in a full build or a partial one); it is never a number typed in."""
    suites = {s.name: s for s in SUITES}
    for name, rule in row_counts.rules().items():
        table = suites[name].table if name in suites else name
        assert table in SPECS, f"row_counts.csv: {name!r} names no suite and no table"
        if name not in suites:
            assert not suites_by_table().get(table), f"{name}: bounded by its suite, not here"
        read = set(TABLE_NAME.findall(rule.expected_sql))
        assert read <= upstream_of(table), f"{name}: reads {read - upstream_of(table)}"
        assert read or row_counts.SOURCE.search(rule.expected_sql), f"{name}: reads nothing"
        assert rule.below_pct == rule.above_pct == 0 or len(rule.why) > 40, name


def test_every_table_is_checked_for_rows():
    bounded = row_counts.names()
    for spec in TABLES:
        names = [c.name for c in checks_for(spec)]
        own_row = spec.name in bounded and not suites_by_table().get(spec.name)
        kind = "row_count" if own_row else "non_empty"
        assert names[0] == kind, (spec.name, names)


def test_a_malformed_row_is_named_with_its_line(tmp_path):
    path = tmp_path / "row_counts.csv"
    path.write_text(
        "name,expected_sql,below_pct,above_pct,why\nraw.x,SELECT 1,five,0,because\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError, match=r"row_counts.csv, line 2 \(raw.x\): below_pct"):
        row_counts.rules(path)


# --- the generic check: an empty table fails, one line naming it ---------------------------------


def small_context(tmp_path: Path, rows: int) -> BuildContext:
    con = duckdb.connect(str(tmp_path / "small.duckdb"))
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.t AS SELECT range AS id FROM range(?)", [rows])
    return BuildContext(con=con, settings=settings_for(tmp_path))


@pytest.mark.parametrize("rows", [0, 3])
def test_non_empty_fails_on_an_empty_table(tmp_path, rows):
    spec = TableSpec(name="raw.t", description="a table", primary_key=("id",))
    check = checks_for(spec)[0]
    assert check.name == "non_empty"
    (result,) = check.run(small_context(tmp_path, rows))
    assert result.passed == (rows > 0)
    if not rows:
        assert result.observed == "raw.t has no rows"


@pytest.mark.parametrize(("rows", "passed"), [(0, False), (2, False), (4, True), (5, False)])
def test_a_table_bounded_in_the_csv_is_held_to_its_bounds(tmp_path, monkeypatch, rows, passed):
    path = tmp_path / "row_counts.csv"
    path.write_text(
        "name,expected_sql,below_pct,above_pct,why\n"
        "raw.t,SELECT count(*) + 4 FROM raw.t WHERE false,0,0,four rows\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(row_counts, "ROW_COUNTS", path)
    spec = TableSpec(name="raw.t", description="a table")
    check = checks_for(spec)[0]
    assert check.name == "row_count"
    (result,) = check.run(small_context(tmp_path, rows))
    assert result.passed is passed, result
    assert "4 to 4 rows" in result.description


# --- (a) a suite's frame truncated or emptied fails its row count expectation -------------------


def cut(con, table: str, keep: str) -> None:
    """Keep all, half or none of `table`'s rows (the raw cells: of their values part)."""
    if table == "raw.mhclg__revenue_cells":
        table = "raw.mhclg__revenue_cell_values"
    if keep == "half":
        con.execute(f"DELETE FROM {table} WHERE rowid % 2 = 0")
    elif keep == "none":
        con.execute(f"DELETE FROM {table}")


@pytest.fixture
def synthetic_build(published_template, tmp_path):
    """A copy of the good synthetic build, with its generated sources."""
    return published_copy(published_template, settings_for(tmp_path))


@pytest.mark.parametrize("keep", ["all", "half", "none"])
@pytest.mark.parametrize(
    "suite_name",
    [
        "raw.mhclg__revenue_cells",
        "raw.mhclg__revenue_cells (service lines)",
        "raw.ndtms__viewit_adults",
        "core.la_substance_misuse_spend",
        "core.england_substance_misuse_spend",
        "out.spend_trends",
        "out.la_spend_per_head",
    ],
)
def test_a_truncated_or_empty_frame_fails_its_row_count(synthetic_build, suite_name, keep):
    """The suite run through the project's own validation (in this process), on the synthetic
    build with the table cut down. Only the table is cut: the sources and the tables upstream
    still give the full count."""
    suite = next(s for s in SUITES if s.name == suite_name)
    with duckdb.connect(str(synthetic_build.database_path)) as con:
        cut(con, suite.table, keep)
        frame_rows = con.execute(f"SELECT count(*) FROM ({suite.frame_sql})").fetchone()[0]
        ctx = BuildContext(con=con, settings=synthetic_build)
        results = gx_check(suite).run(ctx)
    (count,) = [r for r in results if r.name.startswith(ROW_COUNT)]
    assert count.observed == str(frame_rows)
    assert count.passed is (keep == "all"), (keep, count)


def test_an_empty_table_fails_even_where_its_count_reads_the_table(synthetic_build):
    """raw.ons__mye4's count takes its years from the table itself: emptied, the count is 0,
    and that is an error naming the table and the CSV, not a pass."""
    suite = next(s for s in SUITES if s.name == "raw.ons__mye4")
    with duckdb.connect(str(synthetic_build.database_path)) as con:
        cut(con, suite.table, "none")
        ctx = BuildContext(con=con, settings=synthetic_build)
        with pytest.raises(ValidationError, match=r"raw.ons__mye4: .*row_counts.csv.* is 0"):
            gx_check(suite).run(ctx)


# --- the fault matrix: a refresh that loses rows exits 5, naming the table ----------------------


def halved(read):
    def reader(resolved):
        frame = read(resolved)
        return frame.iloc[: len(frame) // 2].reset_index(drop=True)

    return reader


def emptied(read):
    def reader(resolved):
        return read(resolved).iloc[0:0]

    return reader


def test_a_reader_that_drops_half_the_rows_fails_the_refresh(published_env, capsys, monkeypatch):
    monkeypatch.setattr(
        assets.ndtms, "published_young_people", halved(assets.ndtms.published_young_people)
    )
    fault_then_check(
        published_env,
        capsys,
        code=5,
        expected=["raw.ndtms__published_young_people: blocking check failed", ROW_COUNT, ": 9"],
    )


def test_an_empty_table_with_a_suite_fails_the_refresh(published_env, capsys, monkeypatch):
    monkeypatch.setattr(assets.ndtms, "viewit_adults", emptied(assets.ndtms.viewit_adults))
    fault_then_check(
        published_env,
        capsys,
        code=5,
        expected=["raw.ndtms__viewit_adults has no rows", ROW_COUNT],
    )


def test_an_empty_table_without_a_suite_fails_the_refresh(published_env, capsys, monkeypatch):
    monkeypatch.setattr(assets.drug_deaths, "drug_deaths", emptied(assets.drug_deaths.drug_deaths))
    fault_then_check(
        published_env,
        capsys,
        code=5,
        expected=["raw.ons__drug_deaths: blocking check failed: non_empty", "has no rows"],
    )


# --- (c) a suite with no row, or a row that cannot be computed, fails closed --------------------


def rewritten(tmp_path: Path, change) -> Path:
    """A copy of row_counts.csv with `change(rows)` applied."""
    with row_counts.ROW_COUNTS.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "row_counts.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=row_counts.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(change(rows))
    return path


def test_a_suite_with_no_row_fails_the_refresh(published_env, capsys, monkeypatch, tmp_path):
    def drop(rows):
        return [r for r in rows if r["name"] != "raw.ndtms__published_young_people"]

    monkeypatch.setattr(row_counts, "ROW_COUNTS", rewritten(tmp_path, drop))
    fault_then_check(
        published_env,
        capsys,
        code=5,
        expected=[
            "raw.ndtms__published_young_people: 'raw.ndtms__published_young_people' has no row",
            "row_counts.csv",
        ],
    )


def test_a_row_whose_sql_fails_fails_the_refresh(published_env, capsys, monkeypatch, tmp_path):
    def break_sql(rows):
        for r in rows:
            if r["name"] == "out.spend_trends":
                r["expected_sql"] = "SELECT count(*) FROM out.no_such_table"
        return rows

    monkeypatch.setattr(row_counts, "ROW_COUNTS", rewritten(tmp_path, break_sql))
    fault_then_check(
        published_env,
        capsys,
        code=5,
        expected=["out.spend_trends: the expected row count", "row_counts.csv", "no_such_table"],
    )


def test_the_bounds_follow_the_sources_not_a_number_typed_in(synthetic_build):
    """The ViewIt export's bound is its data rows: the generated export has 40, the real one
    780; the same row gives each its own."""
    with duckdb.connect(str(synthetic_build.database_path), read_only=True) as con:
        ctx = BuildContext(con=con, settings=synthetic_build)
        got = row_counts.bounds(ctx, "raw.ndtms__viewit_adults", "raw.ndtms__viewit_adults")
    source = next(synthetic_build.mirror_dir.glob("ohid/*.csv"))
    data_rows = len(pd.read_csv(source))
    assert (got.expected, got.min, got.max) == (data_rows, data_rows, data_rows)


# --- (b) the real build: every row count expectation passed, inside its bounds -------------------


@pytest.mark.real
def test_the_real_build_keeps_every_row_count_within_its_bounds(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        recorded = con.execute(
            "SELECT table_name, expectation, success, observed_value FROM checks.validation_results"
        ).fetchall()
        ctx = BuildContext(con=con, settings=mirror_lake)
        for suite in SUITES:
            rows = con.execute(f"SELECT count(*) FROM ({suite.frame_sql})").fetchone()[0]
            got = row_counts.bounds(ctx, suite.name, suite.table)
            assert 1 <= got.min <= rows <= got.max, (suite.name, rows, got)
            assert (suite.table, f"{ROW_COUNT}()", True, str(rows)) in recorded, suite.name
    counts = [r for r in recorded if r[1] == f"{ROW_COUNT}()"]
    assert len(counts) == len(SUITES) and all(r[2] for r in counts)
    checked = {t for t, name, ok, _ in recorded if name in ("non_empty", "row_count") and ok}
    assert checked == set(SPECS)
