"""The prisons side of a real build: out.prison_substance_misuse and
core.secure_settings_in_treatment against the two transcriptions, read here a second way."""

from __future__ import annotations

import csv

import duckdb
import pytest

from pipeline.config import REPO_ROOT
from tests.test_secure_settings import CSV_PATH, PRISONS, independent_changes

pytestmark = pytest.mark.real


def query(settings, sql: str) -> list[dict]:
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def fy(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def secure_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def prison_rows() -> list[dict[str, str]]:
    with (REPO_ROOT / PRISONS.archive_path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_core_holds_every_transcribed_figure(mirror_lake):
    got = {
        (r["financial_year"], r["cohort"], r["is_restated"]): r["value"]
        for r in query(mirror_lake, "SELECT * FROM core.secure_settings_in_treatment")
    }
    want = {
        (r["financial_year"], r["cohort"], r["measure"] == "in_treatment_restated"): int(r["value"])
        for r in secure_rows()
    }
    assert got == want


def test_one_row_a_year_from_2012_13_with_the_series_figures(mirror_lake):
    rows = query(mirror_lake, "SELECT * FROM out.prison_substance_misuse ORDER BY fy_start")
    years = [int(r["financial_year"][:4]) for r in secure_rows() + prison_rows()]
    assert [r["financial_year"] for r in rows] == [fy(y) for y in range(2012, max(years) + 1)]
    # the series: a later report's restatement in place of the first publication
    series: dict[tuple[str, str], tuple[int, bool]] = {}
    for r in secure_rows():
        restated = r["measure"] == "in_treatment_restated"
        key = (r["financial_year"], r["cohort"])
        if restated or key not in series:
            series[key] = (int(r["value"]), restated)
    for row in rows:
        year = row["financial_year"]
        adults = series.get((year, "adults"))
        young = series.get((year, "young_people"))
        assert row["adults_in_treatment"] == (adults[0] if adults else None), year
        assert row["adults_in_treatment_is_restated"] == (adults[1] if adults else None), year
        assert row["young_people_in_treatment"] == (young[0] if young else None), year
        assert (row["adults_in_treatment_missing_reason"] is None) == (adults is not None)
        assert (row["young_people_in_treatment_missing_reason"] is None) == (young is not None)


def test_the_2020_21_restatement_is_used_and_the_first_figure_kept(mirror_lake):
    (row,) = query(
        mirror_lake, "SELECT * FROM out.prison_substance_misuse WHERE financial_year = '2020-21'"
    )
    first = next(
        r
        for r in secure_rows()
        if r["financial_year"] == "2020-21" and r["measure"] == "in_treatment"
    )
    assert row["adults_in_treatment"] == 43_607 and row["adults_in_treatment_is_restated"]
    assert row["adults_in_treatment_first_published"] == int(first["value"]) == 43_255
    assert "2021 to 2022" in row["adults_in_treatment_citation"]


def test_years_not_held_are_null_with_their_reason(mirror_lake):
    rows = {
        r["financial_year"]: r
        for r in query(mirror_lake, "SELECT * FROM out.prison_substance_misuse")
    }
    for year in ("2016-17", "2017-18"):
        assert rows[year]["adults_in_treatment"] is None
        assert "not held" in rows[year]["adults_in_treatment_missing_reason"]
        assert "not interpolated" in rows[year]["adults_in_treatment_missing_reason"]
    for year in ("2012-13", "2013-14", "2014-15"):
        assert rows[year]["adults_in_treatment_missing_reason"] == (
            "before the secure settings series began in 2015-16"
        )


def test_spending_is_what_the_answers_give_and_nothing_else(mirror_lake):
    rows = query(mirror_lake, "SELECT * FROM out.prison_substance_misuse")
    held = {
        # all adult prison healthcare (NHS England's allocation) against substance misuse figures
        (r["financial_year"], r["series"].startswith("NHS England")): r
        for r in prison_rows()
        if int(r["financial_year"][:4]) >= 2012
    }
    for row in rows:
        year = row["financial_year"]
        sm, ph = held.get((year, False)), held.get((year, True))
        assert row["substance_misuse_spend_gbp_millions"] == (
            float(sm["value_gbp_millions"]) if sm else None
        )
        assert row["substance_misuse_spend_status"] == (sm["status"] if sm else None)
        assert row["prison_health_spend_gbp_millions"] == (
            float(ph["value_gbp_millions"]) if ph else None
        )
        assert row["substance_misuse_spend_missing_reason"] == (
            None if sm else "no published series"
        )
    # today the only prison figures from 2012-13 are NHS England's 2016-17 allocation and the
    # 20% of it said to go on substance misuse, which no count of people in treatment meets
    assert {r["financial_year"] for r in rows if r["substance_misuse_spend_gbp_millions"]} == {
        "2016-17"
    }
    assert all(r["spend_per_adult_in_treatment_gbp"] is None for r in rows)
    assert all(r["spend_per_adult_in_treatment_missing_reason"] for r in rows)


def test_the_quoted_change_check_ran_and_passed(mirror_lake):
    (pct, base, current) = independent_changes()[0]
    rows = query(
        mirror_lake,
        "SELECT success, observed_value FROM checks.validation_results "
        "WHERE table_name = 'core.secure_settings_in_treatment' "
        "AND expectation = 'report_changes_agree'",
    )
    assert len(rows) == 1 and rows[0]["success"]
    assert f"held {base:,} -> {current:,}" in rows[0]["observed_value"]
    assert f"published +{pct:g}%" in rows[0]["observed_value"]


def test_the_prison_reproduction_rows_name_the_table(mirror_lake):
    rows = query(
        mirror_lake,
        "SELECT claim_id, from_year, to_year, status, computed_value, reason "
        "FROM out.reproduction WHERE series = 'prisons'",
    )
    assert len(rows) == 2
    spend = {
        r["financial_year"]: r["substance_misuse_spend_gbp_millions"]
        for r in query(mirror_lake, "SELECT * FROM out.prison_substance_misuse")
    }
    for row in rows:
        assert row["status"] == "not_reproducible" and row["computed_value"] == ""
        assert "out.prison_substance_misuse" in row["reason"]
        # and what the reason says of the table is so: neither end year has a figure
        assert spend[row["from_year"]] is None and spend[row["to_year"]] is None
