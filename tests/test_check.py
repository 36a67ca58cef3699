"""`spendtrack check` on the real archive's build: each figure against one computed here,
independently, from the core tables; the claims files against out.reproduction; and every
bad input as one line naming what was wrong and what is valid."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import main
from pipeline.config import DATA_RAW_DIR
from pipeline.errors import UsageError
from pipeline.figures.answer import Question, answer, check
from pipeline.figures.output import run_claims

CLAIMS_FILES = (
    DATA_RAW_DIR / "published" / "state_of_the_sector_2017_claims.csv",
    DATA_RAW_DIR / "published" / "secondary_claims.csv",
)
ADULT_LINES = "('drugs', 'alcohol')"


@pytest.fixture(scope="module")
def con(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as connection:
        yield connection


@pytest.fixture
def lake_env(mirror_lake, monkeypatch):
    monkeypatch.setenv("SPENDTRACK_LAKE", str(mirror_lake.lake_dir))
    return mirror_lake


def england_k(con, year: str, categories: str = ADULT_LINES, basis: str = "budget") -> float:
    """England, £ thousand, from the core table: the ENGLAND row, or the authorities' sum."""
    return con.execute(
        "SELECT sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)) "
        "FROM core.england_substance_misuse_spend WHERE basis = ? AND financial_year = ? "
        f"AND measure = 'net_current_expenditure' AND category IN {categories}",
        [basis, year],
    ).fetchone()[0]


def area_k(con, area_code: str, year: str, categories: str = ADULT_LINES) -> float:
    """A stable area's figure: its members' own figures summed, from the core table."""
    return con.execute(
        "SELECT sum(c.value_gbp_thousands) FROM core.la_substance_misuse_spend AS c "
        "JOIN reference.stable_areas AS s USING (ecode) WHERE s.area_code = ? AND c.basis = "
        "'budget' AND c.financial_year = ? AND c.measure = 'net_current_expenditure' "
        f"AND c.category IN {categories}",
        [area_code, year],
    ).fetchone()[0]


def deflator(con, year: str) -> float:
    return con.execute(
        "SELECT deflator_index FROM reference.gdp_deflator WHERE is_default AND financial_year = ?",
        [year],
    ).fetchone()[0]


def test_an_england_level_is_the_core_total(con):
    got = answer(con, Question(category="adults", year="2017-18"))
    assert got.value == pytest.approx(england_k(con, "2017-18") / 1000, abs=1e-9)
    assert got.unit == "£ million, cash" and got.statistic == "level"
    assert "ENGLAND row" in got.definition and "RA_2017-18" in got.definition
    assert con.execute(got.sql).fetchone()[0] == got.value  # the SQL shown is what ran


def test_an_england_change_and_percentage_change(con):
    first, last = england_k(con, "2013-14"), england_k(con, "2017-18")
    change = answer(con, Question(category="adults", from_year="2013-14", to_year="2017-18"))
    pct = answer(
        con,
        Question(category="adults", from_year="2013-14", to_year="2017-18", statistic="pct_change"),
    )
    assert change.statistic == "change"  # the default with --from/--to
    assert change.value == pytest.approx((last - first) / 1000, abs=1e-9)
    assert pct.value == pytest.approx(100 * (last - first) / first, abs=1e-9)


def test_real_terms_in_2024_25_and_in_another_base_year(con):
    cash = {y: england_k(con, y) / 1000 for y in ("2013-14", "2017-18")}
    base = deflator(con, "2024-25")
    real = answer(con, Question(category="adults", year="2013-14", prices="real"))
    assert real.value == pytest.approx(cash["2013-14"] * base / deflator(con, "2013-14"))
    assert real.unit == "£ million, 2024-25 prices"
    in_2013 = answer(
        con,
        Question(
            category="adults",
            from_year="2013-14",
            to_year="2017-18",
            prices="real",
            base_year="2013-14",
        ),
    )
    d13, d17 = deflator(con, "2013-14"), deflator(con, "2017-18")
    assert in_2013.value == pytest.approx(cash["2017-18"] * d13 / d17 - cash["2013-14"])


def test_per_head_for_england_and_for_a_council(con):
    population = con.execute(
        "SELECT population FROM raw.ons__mye4 WHERE ons_code = 'E92000001' AND mid_year = 2019"
    ).fetchone()[0]
    england = answer(con, Question(category="adults", year="2019-20", per_head=True))
    assert england.value == pytest.approx(1000 * england_k(con, "2019-20") / population)
    assert england.unit == "£ per resident, cash"
    leeds_population = con.execute(
        "SELECT population FROM raw.ons__mye4 WHERE ons_code = 'E08000035' AND mid_year = 2019"
    ).fetchone()[0]
    leeds = answer(con, Question(area="leeds", category="adults", year="2019-20", per_head=True))
    assert leeds.area_code == "E08000035"
    assert leeds.value == pytest.approx(
        1000 * area_k(con, "E08000035", "2019-20") / leeds_population
    )


def test_a_reorganised_area_sums_its_councils_either_side_of_the_change(con):
    got = answer(con, Question(area="Northamptonshire", category="adults", from_year="2013-14"))
    members = con.execute(
        "SELECT count(DISTINCT ecode) FROM core.la_substance_misuse_spend JOIN "
        "reference.stable_areas USING (ecode) WHERE area_code = 'E10000021' AND basis = "
        "'budget' AND financial_year = ? AND value_gbp_thousands <> 0",
        [got.to_year],
    ).fetchone()[0]
    assert members == 2  # North and West Northamptonshire
    expected = area_k(con, "E10000021", got.to_year) - area_k(con, "E10000021", "2013-14")
    assert got.value == pytest.approx(expected)
    assert got.unit == "£ thousand, cash"
    assert "North Northamptonshire" in got.definition


def test_a_council_replaced_by_a_reorganisation_is_found_in_its_area(con):
    got = answer(con, Question(area="Poole UA", year="2017-18"))
    assert got.area_code == "SA_DORSET_BCP" and "Poole UA is counted in" in got.definition


def test_the_baseline_moves_past_suspect_figures_unless_a_year_is_asked_for(con):
    flagged = {
        y
        for (y,) in con.execute(
            "SELECT DISTINCT v.financial_year FROM out.suspect_values AS v WHERE v.basis = "
            "'budget' AND v.category IN ('drugs', 'alcohol') AND v.ecode IN (SELECT ecode FROM "
            "reference.stable_areas WHERE area_code = 'E06000003')"
        ).fetchall()
    }
    assert "2013-14" in flagged
    moved = answer(con, Question(area="E06000003", category="adults", statistic="pct_change"))
    years = [
        y
        for (y,) in con.execute(
            "SELECT DISTINCT financial_year FROM core.la_substance_misuse_spend WHERE basis = "
            "'budget' ORDER BY 1"
        ).fetchall()
    ]
    first_sound = next(y for y in years if y not in flagged)
    assert moved.from_year == first_sound != "2013-14"
    assert moved.baseline_moved.startswith("baseline moved from 2013-14")
    first, last = area_k(con, "E06000003", first_sound), area_k(con, "E06000003", moved.to_year)
    assert moved.value == pytest.approx(100 * (last - first) / first)
    asked = answer(con, Question(area="E06000003", category="adults", from_year="2013-14"))
    assert asked.from_year == "2013-14" and not asked.baseline_moved
    assert any("2013-14" in c and "suspect" in c for c in asked.coverage)


def test_coverage_names_the_councils_that_did_not_report(con):
    missing = con.execute(
        "SELECT DISTINCT la_name FROM core.la_substance_misuse_spend WHERE basis = 'budget' "
        "AND financial_year = '2022-23' AND value_gbp_thousands IS NULL AND "
        "measure = 'net_current_expenditure' AND la_class IN (SELECT la_class FROM "
        "reference.authority_classes WHERE has_public_health_duties)"
    ).fetchall()
    got = answer(con, Question(year="2022-23"))
    text = " ".join(got.coverage)
    assert missing and all(name in text for (name,) in missing)
    assert "sum of the authorities" in got.definition


def test_a_published_figure_reproduced_and_one_that_differs_with_the_alternatives(con):
    same = answer(
        con, Question(category="adults", from_year="2013-14", to_year="2017-18", published="-105")
    )
    assert same.status == "reproduced" and same.precision == 1
    other = answer(con, Question(category="drugs", year="2013-14", published="569.1"))
    assert other.status == "differs" and other.precision == pytest.approx(0.1)
    assert other.difference == pytest.approx(england_k(con, "2013-14", "('drugs',)") / 1000 - 569.1)
    labels = {a.label: a for a in other.alternatives}
    assert {"basis outturn", "real terms, 2024-25 prices", "category adults"} <= set(labels)
    outturn = england_k(con, "2013-14", "('drugs',)", basis="outturn") / 1000
    assert labels["basis outturn"].value == pytest.approx(outturn)


def test_the_claims_files_agree_with_out_reproduction_row_for_row(con):
    table = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT claim_id, computed_value, status, difference, reason FROM out.reproduction"
        ).fetchall()
    }
    seen = []
    for path in CLAIMS_FILES:
        for row in run_claims(con, path):
            seen.append(row["claim_id"])
            want = table[row["claim_id"]]
            assert (row["value"], row["status"], row["reason"]) == (want[0], want[1], want[3])
            if want[2] is None:
                assert row["difference"] is None
            else:
                assert row["difference"] == pytest.approx(want[2], abs=1e-12)
    assert sorted(seen) == sorted(table)


def test_the_command_prints_json_and_writes_nothing(lake_env, capsys):
    database = lake_env.database_path
    before = (database.stat().st_mtime_ns, sorted(p.name for p in lake_env.lake_dir.iterdir()))
    code = main(["check", "--category", "young_people", "--year", "2013-14", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"value", "unit", "status", "definition", "sql", "alternatives"} <= set(out)
    after = (database.stat().st_mtime_ns, sorted(p.name for p in lake_env.lake_dir.iterdir()))
    assert before == after


def test_a_claims_file_of_ones_own(lake_env, tmp_path: Path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text(
        "claim_id,area,category,year,from,to,prices,published\n"
        "a,Leeds,adults,2019-20,,,,\n"
        "b,,adults,,2013-14,2017-18,,-105\n",
        encoding="utf-8",
    )
    assert main(["check", "--claims", str(path), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("claim_id,value,unit") and len(lines) == 3
    assert ",reproduced," in lines[2]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--area", "Nowhere"], "no council area matches 'Nowhere'"),
        (["--area", "Yorkshire"], "2 council areas match 'Yorkshire': East Riding"),
        (["--category", "cocaine"], "unknown category 'cocaine': valid are drugs, alcohol"),
        (["--basis", "plan"], "unknown basis 'plan': valid are budget, outturn"),
        (["--year", "17"], "year '17' is not a financial year: write it as 2017-18"),
        (["--basis", "outturn", "--year", "2019-20"], "not held for 2019-20: the years held"),
        (["--year", "2031-32"], "is not held for 2031-32: the years held are 2013-14"),
        (["--statistic", "mean"], "unknown statistic 'mean': valid are level, change"),
        (["--prices", "nominal"], "unknown prices (--prices) 'nominal': valid are cash, real"),
        (["--base-year", "2013-14"], "--base-year is for real terms"),
        (["--year", "2017-18", "--from", "2013-14"], "not both"),
        (["--category", "adult_treatment", "--area", "Leeds"], "England only"),
        (["--published", "lots"], "published figure 'lots' is not a number"),
        (["--claims", "nowhere.csv"], "nowhere.csv: no such claims file"),
    ],
)
def test_bad_input_is_one_line_naming_what_is_valid(lake_env, capsys, args, expected):
    assert main(["check", *args]) == UsageError.exit_code
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err


def test_a_bad_row_in_a_claims_file_names_the_row(lake_env, tmp_path: Path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("claim_id,category,year\nok,adults,2017-18\nx,heroin,2017-18\n", "utf-8")
    assert main(["check", "--claims", str(path)]) == UsageError.exit_code
    err = capsys.readouterr().err
    assert "bad.csv, cell row 3: x: unknown category 'heroin'" in err


def test_no_database_yet(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("SPENDTRACK_LAKE", str(tmp_path / "empty"))
    assert main(["check"]) == 1
    assert "no published database yet; run `spendtrack refresh` first" in capsys.readouterr().err


def test_the_python_function_opens_the_published_database(lake_env):
    got = check(settings=lake_env, category="adults", year="2017-18")
    assert got.value == pytest.approx(answer_value(lake_env))


def answer_value(settings) -> float:
    with duckdb.connect(str(settings.database_path), read_only=True) as connection:
        return england_k(connection, "2017-18") / 1000
