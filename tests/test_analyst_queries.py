"""The analyst's view of the real mirror: the example queries, the CLI and out.la_disinvestment."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main

pytestmark = pytest.mark.real

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
    # independently, from core and the area map: the steepest fall between the 2013-14 and
    # 2023-24 budgets among areas whose members printed every adult line both years and
    # have no adult figure flagged in either year
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        steepest = con.execute(
            """
            WITH a AS (
                SELECT s.area_code, any_value(s.area_name) AS area_name, c.fy_start,
                    sum(c.value_gbp_thousands) AS v,
                    bool_and(c.value_gbp_thousands IS NOT NULL) AS complete
                FROM core.la_substance_misuse_spend c
                JOIN reference.stable_areas s USING (ecode)
                JOIN reference.authority_classes k ON k.printed_class = c.la_class
                WHERE c.basis = 'budget' AND c.category IN ('drugs', 'alcohol')
                    AND c.measure = 'net_current_expenditure' AND s.area_kind = 'council'
                    AND (k.has_public_health_duties OR c.value_gbp_thousands <> 0)
                    AND c.fy_start IN (2013, 2023)
                GROUP BY ALL
            ),
            flagged AS (
                -- a swap between drugs and alcohol leaves the adult total right
                SELECT DISTINCT area_code FROM out.suspect_values v
                WHERE basis = 'budget' AND category IN ('drugs', 'alcohol')
                    AND fy_start IN (2013, 2023)
                    AND NOT (rule = 'swapped_lines' AND (
                        SELECT count(DISTINCT category) FROM out.suspect_values w
                        WHERE w.ecode = v.ecode AND w.basis = v.basis
                            AND w.fy_start = v.fy_start AND w.rule = 'swapped_lines'
                            AND w.category IN ('drugs', 'alcohol')) = 2)
            )
            SELECT f.area_name, 100 * (l.v - f.v) / f.v AS pct
            FROM a f JOIN a l ON l.area_code = f.area_code AND f.fy_start = 2013
                AND l.fy_start = 2023
            WHERE f.v > 0 AND f.complete AND l.complete
                AND f.area_code NOT IN (SELECT area_code FROM flagged)
            ORDER BY pct LIMIT 1
            """
        ).fetchone()
    assert rows[0][columns.index("area_name")] == steepest[0]
    assert rows[0][columns.index("change_pct")] == pytest.approx(steepest[1], abs=0.05)


def test_reorganised_councils_are_compared_as_their_stable_areas(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        rows = con.execute(
            "SELECT area_code, area_name, first_year, latest_year, fall_rank, is_comparable, "
            "comparability_note, reorganisation FROM out.la_disinvestment "
            "WHERE basis = 'budget' AND category = 'adults' AND is_reorganised"
        ).fetchall()
        unmarked = con.execute(
            "SELECT count(*) FROM out.la_disinvestment "
            "WHERE is_reorganised = (reorganisation IS NULL)"
        ).fetchone()[0]
        councils = con.execute(
            "SELECT count(DISTINCT area_code) FROM reference.stable_areas "
            "WHERE area_kind = 'council'"
        ).fetchone()[0]
        compared = con.execute(
            "SELECT count(*) FROM out.la_disinvestment WHERE basis = 'budget' "
            "AND category = 'adults'"
        ).fetchone()[0]
    by_code = {r[0]: r for r in rows}
    northants = by_code["E10000021"]
    assert northants[1] == "Northamptonshire" and northants[2:4] == ("2013-14", "2023-24")
    assert "North Northamptonshire" in northants[7] and "West Northamptonshire" in northants[7]
    assert northants[5] and northants[4] is not None  # ranked like any other area
    # no council is dropped for a reorganisation: every council area has a row
    assert compared == councils
    assert {"SA_DORSET_BCP", "E10000006", "E06000060", "E06000065", "E06000066"} <= set(by_code)
    for _c, _n, _f, _l, rank, comparable, note, _r in rows:
        assert (rank is not None) == comparable and (note is None) == comparable
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
