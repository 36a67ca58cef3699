"""Outcomes on the real files: the built tables hold the figures as the workbook and CSV print
them, read here independently (openpyxl, the csv module), for a sample of areas and years."""

from __future__ import annotations

import csv
import re

import duckdb
import openpyxl
import pytest

from tests.conftest import archived

pytestmark = pytest.mark.real

# one of each kind: unitary, metropolitan borough, London borough, county, a union, old
# counties that map by code change, England
SAMPLE = (
    "E06000009",
    "E08000012",
    "E09000001",
    "E10000016",
    "E06000061",
    "E06000062",
    "E10000023",
    "E10000027",
    "E06000058",
    "E06000059",
    "E92000001",
)
AREA = {
    "E06000061": "E10000021",
    "E06000062": "E10000021",
    "E10000023": "E06000065",
    "E10000027": "E06000066",
    "E06000058": "SA_DORSET_BCP",
    "E06000059": "SA_DORSET_BCP",
}


@pytest.fixture(scope="module")
def con(mirror_lake):
    connection = duckdb.connect(str(mirror_lake.database_path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def workbook():
    book = openpyxl.load_workbook(archived("ons_drug_deaths_la_2021"), read_only=True)
    yield book
    book.close()


def _sheet_rows(book, sheet: str) -> list[tuple]:
    return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]


def _yearly(book, sheet: str) -> dict[tuple[str, int], object]:
    rows = _sheet_rows(book, sheet)
    header = next(r for r in rows if r[0] == "Area Codes")
    years = {j: int(v) for j, v in enumerate(header) if isinstance(v, int | float)}
    return {(r[0], y): r[j] for r in rows if r[0] in SAMPLE for j, y in years.items()}


def test_yearly_deaths_are_the_workbooks_for_a_sample_and_unions_add(con, workbook):
    printed = {
        "poisoning": _yearly(workbook, "Table 1"),
        "misuse": _yearly(workbook, "Table 2"),
    }
    got = {
        (a, y): (p, m)
        for a, y, p, m in con.execute(
            "SELECT area_code, year, deaths_drug_poisoning, deaths_drug_misuse "
            "FROM out.area_drug_deaths"
        ).fetchall()
    }
    for year in (1993, 2013, 2021):
        for column, measure in enumerate(("poisoning", "misuse")):
            expected: dict[str, float] = {}
            for code in SAMPLE:
                area = AREA.get(code, code)
                value = printed[measure][(code, year)]
                if not isinstance(value, int | float):
                    expected[area] = None
                elif expected.get(area, 0) is not None:
                    expected[area] = expected.get(area, 0) + value
            for area, value in expected.items():
                assert got[(area, year)][column] == value, (area, year, measure)
    # as printed in the file's notes: Table 2, 2021
    assert got[("E06000009", 2021)][1] == 18 and got[("E92000001", 2021)][1] == 2846
    # City of London's 2021 poisoning cell is blank in the workbook: NULL, never 0
    assert printed["poisoning"][("E09000001", 2021)] in (None, "")
    assert got[("E09000001", 2021)][0] is None


def test_every_council_area_and_year_and_no_district_counted(con):
    areas = {
        a
        for (a,) in con.execute(
            "SELECT DISTINCT area_code FROM reference.stable_areas WHERE area_kind = 'council'"
        ).fetchall()
    }
    rows = con.execute("SELECT area_code, year FROM out.area_drug_deaths").fetchall()
    assert {a for a, _ in rows} == areas | {"E92000001"}
    assert len(rows) == len(areas | {"E92000001"}) * len(range(1993, 2022))
    members = ";".join(
        m
        for (m,) in con.execute("SELECT DISTINCT member_codes FROM out.area_drug_deaths").fetchall()
    )
    assert "E07" not in members and "E11" not in members and "E12" not in members


def test_pooled_rates_are_the_workbooks_and_a_union_has_no_rate(con, workbook):
    rows = _sheet_rows(workbook, "Table 6")  # drug misuse, persons
    at = next(i for i, r in enumerate(rows) if r[0] == "Area Codes")
    period = re.sub(r"\D+", "-", str(rows[at][4]))
    assert period == "2019-21"
    by_code = {r[0]: r for r in rows if r[0] in SAMPLE}
    got = {
        a: rest
        for a, *rest in con.execute(
            "SELECT area_code, deaths, rate_per_100k, ci_lower, ci_upper, rate_note "
            "FROM out.area_drug_death_rates "
            "WHERE period = '2019-21' AND measure = 'misuse' AND sex = 'persons'"
        ).fetchall()
    }
    for code in ("E06000009", "E10000016", "E92000001", "E10000023"):
        deaths, rate, lower, upper = (by_code[code][j] for j in (4, 5, 7, 8))
        area = AREA.get(code, code)
        assert got[area][:4] == [deaths, rate, lower, upper], code
    # the union: deaths add, no rate, and the reason
    union = got["E10000021"]
    assert union[0] == by_code["E06000061"][4] + by_code["E06000062"][4]
    assert union[1:4] == [None, None, None] and "cannot be added" in union[4]
    # a suppressed rate (':') is NULL, never 0
    scilly = con.execute(
        "SELECT rate_per_100k, rate_note FROM out.area_drug_death_rates WHERE "
        "area_code = 'E06000053' AND period = '2019-21' AND measure = 'misuse' AND "
        "sex = 'persons'"
    ).fetchone()
    assert scilly[0] is None and "not calculated" in scilly[1]


def _sdg(series: str) -> dict[tuple[str, str], float]:
    with archived("ons_sdg_3_5_1_2023_04").open(newline="", encoding="utf-8-sig") as fh:
        return {
            (r["GeoCode"] or r["Local Authority"], r["Year"]): float(r["Value"])
            for r in csv.DictReader(fh)
            if r["Series"] == series and not r["Deprivation decile"]
        }


def test_alcohol_treatment_is_the_csvs_for_a_sample_a_county_and_a_union(con):
    people = _sdg("Alcohol - People in treatment")
    drinkers = _sdg("Alcohol - Estimated prevalence")
    met = _sdg("Alcohol - Met need")
    got = {
        (a, y): rest
        for a, y, *rest in con.execute(
            "SELECT area_code, financial_year, people_in_treatment, dependent_drinkers_estimate, "
            "met_need_pct, met_need_is_recomputed FROM out.area_alcohol_treatment"
        ).fetchall()
    }
    # coded councils and a county with no code (Kent, matched by name)
    for key, area in (
        ("E06000009", "E06000009"),
        ("E08000012", "E08000012"),
        ("Kent", "E10000016"),
        ("Northamptonshire", "E10000021"),
        ("North Yorkshire", "E06000065"),
    ):
        for year in ("2013/14", "2016/17"):
            fy = year.replace("/", "-")
            assert got[(area, fy)] == [
                people[(key, year)],
                drinkers[(key, year)],
                pytest.approx(met[(key, year)]),
                False,
            ], (key, year)
    assert got[("E06000009", "2013-14")][0] == 810 and got[("E06000009", "2018-19")][0] == 667
    # Dorset (a county with no code) with Bournemouth and Poole: counts add, met need is
    # recomputed from the sums, never averaged
    members = ("Dorset", "E06000028", "E06000029")
    total_people = sum(people[(m, "2013/14")] for m in members)
    total_drinkers = sum(drinkers[(m, "2013/14")] for m in members)
    union = got[("SA_DORSET_BCP", "2013-14")]
    assert union[:2] == [total_people, total_drinkers] and union[3] is True
    assert union[2] == pytest.approx(100 * total_people / total_drinkers)
    # 2018/19: no estimate of dependent drinkers for any of them: NULL, never 0
    assert got[("SA_DORSET_BCP", "2018-19")][1:3] == [None, None]


def test_cornwall_and_scilly_printed_as_one_are_null_with_the_reason(con):
    rows = con.execute(
        "SELECT area_code, people_in_treatment, note FROM out.area_alcohol_treatment "
        "WHERE area_code IN ('E06000052', 'E06000053') AND financial_year = '2013-14'"
    ).fetchall()
    assert len(rows) == 2
    assert all(p is None and "Cornwall & Isles of Scilly" in n for _a, p, n in rows)


def test_spend_per_adult_in_alcohol_treatment_is_spend_over_people(con):
    row = con.execute(
        "SELECT t.people_in_treatment, t.alcohol_outturn_gbp_thousands, "
        "t.outturn_gbp_per_adult_in_alcohol_treatment, s.value_gbp_thousands "
        "FROM out.area_alcohol_treatment AS t JOIN out.area_spend_trends AS s "
        "ON s.area_code = t.area_code AND s.financial_year = t.financial_year "
        "AND s.basis = 'outturn' AND s.category = 'alcohol' "
        "WHERE t.area_code = 'E08000012' AND t.financial_year = '2013-14'"
    ).fetchone()
    people, spend, per_adult, trend = row
    assert spend == trend and per_adult == pytest.approx(1000 * spend / people)
