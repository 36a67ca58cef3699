"""The analyst's view of the real mirror: the example queries, the CLI and out.la_disinvestment."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

pytestmark = pytest.mark.mirror

EXAMPLES = sorted((Path(__file__).parents[1] / "sql" / "examples").glob("*.sql"))


def run_example(settings, path: Path) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        cur = con.execute(path.read_text(encoding="utf-8"))
        return [d[0] for d in cur.description], cur.fetchall()


def test_there_are_at_least_five_documented_examples():
    assert len(EXAMPLES) >= 5
    for path in EXAMPLES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("-- ") and len(first) > 30, path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_runs_and_returns_rows(mirror_lake, path):
    columns, rows = run_example(mirror_lake, path)
    assert columns and rows, path.name


def test_largest_falls_are_the_ten_steepest_comparable_councils(mirror_lake):
    columns, rows = run_example(mirror_lake, EXAMPLES[0])
    assert [r[0] for r in rows] == list(range(1, 11))
    pct = [r[columns.index("change_pct")] for r in rows]
    assert pct == sorted(pct) and all(p < -25 for p in pct)
    # independently: the steepest fall among councils in both 2013-14 and 2023-24 budgets
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        steepest = con.execute(
            """
            WITH a AS (
                SELECT ecode, ons_code, la_name, fy_start, value_gbp_thousands AS v
                FROM out.la_spend_trends
                WHERE basis = 'budget' AND category = 'adults' AND value_gbp_thousands IS NOT NULL
            )
            SELECT f.la_name, 100 * (l.v - f.v) / f.v AS pct
            FROM a f JOIN a l ON l.ecode = f.ecode AND f.fy_start = 2013 AND l.fy_start = 2023
            WHERE f.v > 0 AND f.ons_code NOT IN (
                SELECT ons_code FROM reference.reorganisations
                UNION ALL
                SELECT unnest(string_split(successor_ons_codes, ';'))
                FROM reference.reorganisations)
            ORDER BY pct LIMIT 1
            """
        ).fetchone()
    assert rows[0][columns.index("la_name")] == steepest[0]
    assert rows[0][columns.index("change_pct")] == pytest.approx(steepest[1], abs=0.05)


def test_reorganised_councils_are_marked_and_never_ranked(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        rows = con.execute(
            "SELECT la_name, first_year, latest_year, fall_rank, reorganisation "
            "FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults' "
            "AND is_reorganised ORDER BY la_name, first_year"
        ).fetchall()
        unmarked = con.execute(
            "SELECT count(*) FROM out.la_disinvestment "
            "WHERE is_reorganised = (reorganisation IS NULL)"
        ).fetchone()[0]
    by_name = {(r[0], r[1]): r for r in rows}
    old = by_name[("Northamptonshire", "2013-14")]
    assert old[2] == "2020-21" and old[3] is None and "abolished from 2021-22" in old[4]
    new = by_name[("North Northamptonshire", "2021-22")]
    assert new[3] is None and "successor to Northamptonshire County Council" in new[4]
    assert (
        "successor to Bournemouth and Poole"
        in by_name[("Bournemouth, Christchurch & Poole", "2019-20")][4]
    )
    assert all(r[3] is None for r in rows)
    assert unmarked == 0


def test_large_fall_flag_follows_the_stated_threshold(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        wrong = con.execute(
            "SELECT count(*) FROM out.la_disinvestment "
            "WHERE is_large_fall <> coalesce(change_pct <= large_fall_threshold_pct, false)"
        ).fetchone()[0]
        thresholds = con.execute(
            "SELECT DISTINCT large_fall_threshold_pct FROM out.la_disinvestment"
        ).fetchall()
    assert wrong == 0 and thresholds == [(-25.0,)]


def test_query_command_runs_an_example_file_as_json(mirror_lake, monkeypatch, capsys):
    monkeypatch.setenv("SPENDTRACK_LAKE", str(mirror_lake.lake_dir))
    assert main(["query", str(EXAMPLES[3]), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["claim_id"]: r["status"] for r in rows} == {
        "sots17_adults_change": "reproduced",
        "sots17_adults_change_pct": "reproduced",
    }


def test_query_command_names_a_missing_file(mirror_lake, monkeypatch, capsys):
    monkeypatch.setenv("SPENDTRACK_LAKE", str(mirror_lake.lake_dir))
    assert main(["query", "sql/examples/nope.sql"]) != 0
    assert "nope.sql: no such SQL file" in capsys.readouterr().err
