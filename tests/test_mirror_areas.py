"""Stable areas, money conservation and suspect values on the real files."""

from __future__ import annotations

import csv

import duckdb
import pytest

from pipeline.config import LAYOUTS_DIR

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def con(mirror_lake):
    connection = duckdb.connect(str(mirror_lake.database_path), read_only=True)
    yield connection
    connection.close()


def test_every_code_that_reported_public_health_spend_has_one_area(con):
    reported = {
        e
        for (e,) in con.execute(
            "SELECT DISTINCT r.ecode FROM raw.mhclg__revenue_cells r "
            "JOIN reference.service_lines s ON s.label_key = r.label_key "
            "WHERE s.status = 'mapped' AND r.row_kind = 'authority' AND r.value <> 0"
        ).fetchall()
    }
    mapped = dict(con.execute("SELECT ecode, area_code FROM reference.stable_areas").fetchall())
    assert set(mapped) == reported
    # the reorganised councils land where the issue says they must
    by_ons = dict(con.execute("SELECT ons_code, area_code FROM reference.stable_areas").fetchall())
    for code in ("E10000009", "E06000028", "E06000029", "E06000058", "E06000059"):
        assert by_ons[code] == "SA_DORSET_BCP"
    for code in ("E10000021", "E06000061", "E06000062"):
        assert by_ons[code] == "E10000021"
    for code in ("E10000006", "E06000063", "E06000064"):
        assert by_ons[code] == "E10000006"
    assert by_ons["E10000002"] == by_ons["E06000060"] == "E06000060"  # Buckinghamshire 2020
    assert by_ons["E10000023"] == "E06000065" and by_ons["E10000027"] == "E06000066"


def test_money_is_conserved_every_year_and_line(con):
    """Summed here from core by line, not through the table's own check."""
    rows = con.execute(
        """
        WITH authorities AS (
            SELECT financial_year, basis, canonical_line, sum(value_gbp_thousands) AS v
            FROM core.la_substance_misuse_spend WHERE measure = 'net_current_expenditure'
            GROUP BY ALL),
        areas AS (
            SELECT c.financial_year, c.basis, c.canonical_line, sum(c.value_gbp_thousands) AS v
            FROM core.la_substance_misuse_spend c JOIN reference.stable_areas s USING (ecode)
            WHERE c.measure = 'net_current_expenditure' GROUP BY ALL)
        SELECT a.financial_year, a.basis, a.canonical_line, a.v, b.v
        FROM authorities a LEFT JOIN areas b USING (financial_year, basis, canonical_line)
        """
    ).fetchall()
    assert len(rows) > 60  # every year, basis and line held
    for year, basis, line, total, by_area in rows:
        assert by_area == pytest.approx(total or 0, abs=1e-6), (year, basis, line)
    # and the published areas' table itself: per year, basis and category, its areas add up to
    # the authorities' figures in core
    pairs = con.execute(
        """
        WITH lines AS (
            SELECT financial_year, basis, category, sum(value_gbp_thousands) AS v
            FROM core.la_substance_misuse_spend
            WHERE measure = 'net_current_expenditure' AND category <> 'public_health_total'
            GROUP BY ALL),
        authorities AS (
            SELECT financial_year, basis, category, v FROM lines
            UNION ALL
            SELECT financial_year, basis, 'adults', sum(v) FROM lines
            WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
            UNION ALL
            SELECT financial_year, basis, 'all_substance_misuse', sum(v) FROM lines GROUP BY ALL),
        areas AS (
            SELECT financial_year, basis, category, sum(value_gbp_thousands) AS v,
                count(*) AS n
            FROM out.area_spend_trends GROUP BY ALL)
        SELECT a.financial_year, a.basis, a.category, a.v, b.v, b.n
        FROM authorities a FULL JOIN areas b USING (financial_year, basis, category)
        """
    ).fetchall()
    assert len(pairs) >= 5 * 14  # five categories, every year and basis a file gives
    for year, basis, category, by_authority, by_area, areas in pairs:
        assert areas and areas > 100, (year, basis, category)
        assert by_area == pytest.approx(by_authority, abs=1e-3), (year, basis, category)


def test_every_council_area_has_an_unbroken_series(con):
    years = dict(
        con.execute(
            "SELECT basis, count(DISTINCT financial_year) FROM out.spend_trends "
            "WHERE value_source <> 'parliamentary_answer' GROUP BY 1"
        ).fetchall()
    )
    gaps = con.execute(
        "SELECT area_code, basis, count(*) FILTER (value_gbp_thousands IS NOT NULL), count(*), "
        "count(*) FILTER (value_gbp_thousands IS NULL AND members_reporting > 0) "
        "FROM out.area_spend_trends WHERE area_kind = 'council' AND category = 'adults' "
        "GROUP BY ALL"
    ).fetchall()
    # one series for every area England's April 2023 upper-tier councils (the ONS lookup, a
    # source of its own) fall into, and for no other place
    from assets.outcome_areas import area_of_codes

    utlas = con.execute(
        "SELECT DISTINCT utla_code FROM raw.ons__ltla_utla_lookup_2023 WHERE utla_code LIKE 'E%'"
    ).fetchall()
    of = area_of_codes(con)
    assert {g[0] for g in gaps} == {of[code] for (code,) in utlas}
    for area, basis, _with_value, rows, null_but_reported in gaps:
        assert rows == years[basis], (area, basis)  # a row for every year held
        assert null_but_reported == 0  # NULL only where no member printed a figure
    holes = con.execute(
        "SELECT area_name, financial_year FROM out.area_spend_trends WHERE area_kind = "
        "'council' AND category = 'adults' AND basis = 'budget' AND value_gbp_thousands IS NULL "
        "ORDER BY 1, 2"
    ).fetchall()
    # holes only in years where the England coverage names councils that printed no figure
    # (Slough and Southwark, synthetic records in 2022-23, among them), never more of them
    missing = dict(
        con.execute(
            "SELECT financial_year, councils_expected - councils_reporting FROM out.spend_trends "
            "WHERE basis = 'budget' AND category = 'adults'"
        ).fetchall()
    )
    assert ("Slough", "2022-23") in holes and ("Southwark", "2022-23") in holes
    for year in {y for _n, y in holes}:
        assert 0 < sum(1 for _n, y in holes if y == year) <= missing[year], year


def test_suspect_rules_are_data_and_flagged_values_stay_unaltered(con):
    with (LAYOUTS_DIR / "suspect_value_rules.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["why"].strip()]
    # every row is a flagging rule but the witness's tolerance and its test
    rules = {r["rule"] for r in rows} - {"other_basis_agrees", "witness_test"}
    counts = dict(
        con.execute("SELECT rule, count(*) FROM out.suspect_values GROUP BY 1").fetchall()
    )
    assert set(counts) == rules and all(n > 0 for n in counts.values())
    altered = con.execute(
        """
        SELECT count(*) FROM out.suspect_values s
        WHERE s.value_gbp_thousands <> (
            SELECT sum(c.value_gbp_thousands) FROM core.la_substance_misuse_spend c
            WHERE c.ecode = s.ecode AND c.financial_year = s.financial_year
                AND c.basis = s.basis AND c.measure = 'net_current_expenditure'
                AND list_contains(string_split(s.canonical_line, '+'), c.canonical_line))
        """
    ).fetchone()[0]
    assert altered == 0
    # the London borough whose early adult and young people's figures look swapped
    greenwich = con.execute(
        "SELECT financial_year, category FROM out.suspect_values WHERE la_name = 'Greenwich' "
        "AND rule = 'swapped_lines' AND basis = 'budget' ORDER BY 1, 2"
    ).fetchall()
    assert greenwich == [
        ("2013-14", "drugs"),
        ("2013-14", "young_people"),
        ("2014-15", "drugs"),
        ("2014-15", "young_people"),
    ]


def test_disinvestment_never_starts_from_a_suspect_figure(con):
    rows = con.execute(
        """
        SELECT d.area_name, d.category, d.first_year, d.baseline_moved, d.is_comparable,
            d.comparability_note
        FROM out.la_disinvestment d
        WHERE EXISTS (
            SELECT 1 FROM out.suspect_values s
            WHERE s.area_code = d.area_code AND s.basis = d.basis
                AND s.financial_year = d.first_year AND s.rule <> 'swapped_lines'
                AND (s.rule, s.basis) NOT IN (SELECT (rule, basis)
                    FROM checks.suspect_rule_agreement WHERE verdict = 'withdrawn')
                AND (s.category = d.category
                    OR (d.category = 'adults' AND s.category IN ('drugs', 'alcohol'))
                    OR d.category = 'all_substance_misuse'))
        """
    ).fetchall()
    assert rows == []
    moved = con.execute(
        "SELECT count(*), count(*) FILTER (NOT is_comparable AND comparability_note LIKE "
        "'baseline moved from%') FROM out.la_disinvestment WHERE baseline_moved"
    ).fetchone()
    assert moved[0] > 0 and moved[0] == moved[1]
    (greenwich,) = con.execute(
        "SELECT first_year FROM out.la_disinvestment WHERE area_name = 'Greenwich' "
        "AND basis = 'budget' AND category = 'adults'"
    ).fetchone()
    assert greenwich > "2014-15"  # never the swapped early years
