"""The real mirror's treatment, prison and population tables, checked against the files."""

from __future__ import annotations

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import archived

pytestmark = pytest.mark.real

TREATMENT_CLAIMS = {
    "sots17_treatment_total_2009_10": "differs",
    "sots17_treatment_total_2013_14": "reproduced",
    "sots17_treatment_total_now": "reproduced",
    "sots17_treatment_fall_pct": "reproduced",
    "sots17_alcohol_only_level": "reproduced",
    "sots17_alcohol_only_fall": "reproduced",
    "sots17_non_opiate_and_alcohol": "reproduced",
}


def query(settings, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_every_treatment_claim_has_its_status(mirror_lake):
    rows = query(
        mirror_lake,
        "SELECT claim_id, status, computed_value, reason FROM out.reproduction "
        "WHERE series LIKE '%in_treatment'",
    )
    assert {r[0]: r[1] for r in rows} == TREATMENT_CLAIMS
    differs = next(r for r in rows if r[0] == "sots17_treatment_total_2009_10")
    assert differs[2] == "311,668"
    assert "311,667" in differs[3] and "ViewIt" in differs[3]


def test_viewit_groups_add_up_to_the_total_in_every_year(mirror_lake):
    rows = query(
        mirror_lake,
        """
        SELECT financial_year,
               sum(people) FILTER (substance_group = 'total') AS total,
               sum(people) FILTER (substance_group <> 'total') AS groups
        FROM raw.ndtms__viewit_adults
        WHERE sex = 'total' AND age_band = 'total'
        GROUP BY ALL ORDER BY 1
        """,
    )
    assert [r[0] for r in rows] == [f"{y}-{(y + 1) % 100:02d}" for y in range(2009, 2022)]
    assert all(total == groups for _, total, groups in rows), rows


def test_viewit_keeps_both_label_casings(mirror_lake):
    printed = {
        r[0]
        for r in query(
            mirror_lake, "SELECT DISTINCT drug_group_printed FROM raw.ndtms__viewit_adults"
        )
    }
    assert {"Total", "TOTAL", "opiates", "OPIATES"} <= printed


def test_viewit_and_reports_agree_wherever_they_overlap(mirror_lake):
    rows = query(
        mirror_lake,
        "SELECT count(*), count(*) FILTER (difference_people <> 0) "
        "FROM core.adults_in_treatment_source_comparison",
    )
    assert rows == [(51, 0)]
    sources = dict(
        query(
            mirror_lake,
            "SELECT financial_year, list(DISTINCT source) FROM core.adults_in_treatment "
            "WHERE substance_group = 'total' GROUP BY ALL",
        )
    )
    assert sources["2016-17"] == ["ndtms_viewit"]  # preferred where both exist
    assert sources["2024-25"] == ["ndtms_annual_report"]


def test_young_people_bases_are_never_mixed(mirror_lake):
    rows = query(
        mirror_lake,
        """
        SELECT t.basis, t.people, t.change_since_2013_14_people, base.people AS people_2013_14
        FROM out.treatment_trends t
        LEFT JOIN core.young_people_in_treatment base
          ON base.basis = t.basis AND base.financial_year = '2013-14'
        WHERE t.cohort = 'young_people'
        """,
    )
    assert {r[0] for r in rows} == {"original", "revised"}
    # each basis is measured against its own 2013-14 figure; the revised series has none
    # (it starts again in 2018-19), so its changes stay empty rather than borrow the original's
    for basis, people, change, base in rows:
        assert change == (None if base is None else people - base), basis
    assert {r[0] for r in rows if r[3] is None} == {"revised"}
    # 2018-19 is printed on both bases, and they differ: one line would mix them
    both = dict(
        query(
            mirror_lake,
            "SELECT basis, people FROM core.young_people_in_treatment "
            "WHERE financial_year = '2018-19'",
        )
    )
    assert both == {"original": 14_485, "revised": 14_777}


def test_spend_per_person_uses_the_stated_drug_group_rule(mirror_lake):
    rows = query(
        mirror_lake,
        """
        SELECT s.basis, s.drug_clients, s.drug_spend_gbp_millions, s.drug_spend_per_client_gbp,
               sum(a.people) FILTER (a.substance_group IN
                   ('opiate', 'non_opiate_only', 'non_opiate_and_alcohol')) AS groups
        FROM out.spend_per_person_in_treatment s
        JOIN core.adults_in_treatment a USING (financial_year)
        WHERE s.financial_year = '2013-14'
        GROUP BY ALL
        """,
    )
    assert rows and all(r[1] == r[4] == 210_293 for r in rows)
    for _basis, clients, spend_m, per_client, _ in rows:
        assert per_client == pytest.approx(spend_m * 1e6 / clients, rel=1e-9)


def mye4_population(ons_code: str, mid_year: int) -> float:
    """A second, plain reading of MYE4: find the area's row and the Mid-<year> column."""
    path = archived("ons_mye_2023")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("MYE4").to_python()
    header = next(r for r in rows if "Code" in r)
    row = next(r for r in rows if r and r[0] == ons_code)
    return float(row[header.index(f"Mid-{mid_year}")])


def test_per_head_spend_checked_against_the_ons_file(mirror_lake):
    # Bath & North East Somerset, adults, 2016-17 budget: spend from the RA file via
    # out.la_spend_trends, population read straight from the ONS workbook.
    (value, per_head) = query(
        mirror_lake,
        "SELECT value_gbp_thousands, spend_per_head_gbp FROM out.la_spend_per_head "
        "WHERE area_code = 'E06000022' AND financial_year = '2016-17' AND basis = 'budget' "
        "AND category = 'adults'",
    )[0]
    population = mye4_population("E06000022", 2016)
    assert 150_000 < population < 250_000
    assert per_head == pytest.approx(1000 * value / population, rel=1e-12)


def test_reorganised_councils_are_listed_with_the_area_that_counts_them(mirror_lake):
    unmatched = {
        name: (area, reason)
        for name, area, reason in query(
            mirror_lake, "SELECT la_name, area_code, reason FROM out.la_spend_per_head_unmatched"
        )
    }
    for name, area in (
        ("Northamptonshire", "E10000021"),
        ("Cumbria", "E10000006"),
        ("Dorset", "SA_DORSET_BCP"),
        ("Poole UA", "SA_DORSET_BCP"),
        ("Bournemouth UA", "SA_DORSET_BCP"),
        ("Buckinghamshire", "E06000060"),
        ("Somerset", "E06000066"),
        ("North Yorkshire", "E06000065"),
    ):
        assert unmatched[name][0] == area, name
    assert (
        "split into North Northamptonshire and West Northamptonshire"
        in (unmatched["Northamptonshire"][1])
    )
    assert "double count" in unmatched["Horsham"][1]
    # every area they are counted in has per-head figures (other bodies have no residents)
    areas = [a for a, r in unmatched.values() if "other body" not in r]
    with_per_head = {
        a for (a,) in query(mirror_lake, "SELECT DISTINCT area_code FROM out.la_spend_per_head")
    }
    assert areas and set(areas) <= with_per_head


def test_a_merged_area_per_head_uses_its_councils_population(mirror_lake):
    # Northamptonshire in 2013-14: the county's own spend, over the residents of today's
    # North and West Northamptonshire, each read straight from the ONS workbook.
    (value, per_head, first) = query(
        mirror_lake,
        "SELECT value_gbp_thousands, spend_per_head_gbp, (SELECT min(financial_year) FROM "
        "out.la_spend_per_head WHERE area_code = 'E10000021') FROM out.la_spend_per_head "
        "WHERE area_code = 'E10000021' AND financial_year = '2013-14' AND basis = 'budget' "
        "AND category = 'adults'",
    )[0]
    population = mye4_population("E06000061", 2013) + mye4_population("E06000062", 2013)
    assert first == "2013-14"
    assert per_head == pytest.approx(1000 * value / population, rel=1e-12)


def test_prison_figures_carry_a_status_and_citation(mirror_lake):
    rows = query(
        mirror_lake,
        "SELECT status, count(*), count(citation) FROM core.prison_substance_misuse_spend "
        "GROUP BY ALL ORDER BY 1",
    )
    assert [r[0] for r in rows] == ["derived", "indicative", "published"]
    assert all(n == cited for _, n, cited in rows)
