"""The suspect-value rules on tiny made-up series, in an in-memory DuckDB: each threshold just
below, at and just above, the calibration's quantiles against Python's own arithmetic, and the
witness (the other basis) against its tolerance. The SQL is the build's own (sql/out, sql/checks);
only the tables it reads are made up here."""

from __future__ import annotations

import math
import statistics

import duckdb
import pytest

from pipeline.build.graph import read_sql

LINES = {
    "drug_adults_all": "drugs",
    "alcohol_adults_all": "alcohol",
    "young_people": "young_people",
}
# thresholds for the rule tests, as the calibration would give them (same for both bases)
FIXED = {
    ("far_from_own_median", "quantile"): 10.0,
    ("far_from_own_median", "min_difference_quantile"): 100.0,
    ("far_from_own_median", "min_other_years"): 3.0,
    ("swapped_lines", "far_quantile"): 3.0,
    ("swapped_lines", "match_quantile"): 1.5,
    ("repeated_exactly", "quantile"): 4.0,
    ("zero_between_large", "min_neighbour_quantile"): 100.0,
}
RULES = {
    ("far_from_own_median", "quantile"): 0.98,
    ("far_from_own_median", "min_difference_quantile"): 0.1,
    ("far_from_own_median", "min_other_years"): 3.0,
    ("swapped_lines", "far_quantile"): 0.9,
    ("swapped_lines", "match_quantile"): 0.75,
    ("repeated_exactly", "quantile"): 0.9,
    ("zero_between_large", "min_neighbour_quantile"): 0.1,
    ("other_basis_agrees", "quantile"): 1.0,
}


def fy(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def database(figures, rules=RULES, thresholds=FIXED) -> duckdb.DuckDBPyConnection:
    """The tables the suspect SQL reads, from (ecode, basis, fy_start, line, value) rows."""
    con = duckdb.connect()
    for schema in ("reference", "core", "out", "checks"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute(
        "CREATE TABLE reference.authority_classes AS SELECT * FROM (VALUES ('UA', true), "
        "('SD', false)) t(la_class, has_public_health_duties)"
    )
    con.execute(
        "CREATE TABLE reference.suspect_value_rules (rule TEXT, parameter TEXT, value "
        "DOUBLE, why TEXT)"
    )
    for (rule, parameter), value in rules.items():
        con.execute(
            "INSERT INTO reference.suspect_value_rules VALUES (?, ?, ?, 'test')",
            [rule, parameter, value],
        )
    con.execute(
        "CREATE TABLE core.la_substance_misuse_spend (financial_year TEXT, fy_start INT, "
        "basis TEXT, measure TEXT, ecode TEXT, ons_code TEXT, la_name TEXT, la_class TEXT, "
        "category TEXT, canonical_line TEXT, value_gbp_thousands DOUBLE)"
    )
    for ecode, basis, start, line, value in figures:
        con.execute(
            "INSERT INTO core.la_substance_misuse_spend VALUES (?, ?, ?, "
            "'net_current_expenditure', ?, 'ONS' || ?, 'Council ' || ?, 'UA', ?, ?, ?)",
            [fy(start), start, basis, ecode, ecode, ecode, LINES[line], line, value],
        )
    # one line per category here, so a category's figure is its line's
    con.execute(
        "CREATE TABLE out.la_spend_trends AS SELECT financial_year, fy_start, basis, ecode, "
        "ons_code, la_name, la_class, category, value_gbp_thousands "
        "FROM core.la_substance_misuse_spend"
    )
    con.execute(
        "CREATE TABLE reference.stable_areas AS SELECT DISTINCT ecode, 'SA_' || ecode AS "
        "area_code FROM core.la_substance_misuse_spend"
    )
    if thresholds is None:
        con.execute(
            "CREATE TABLE checks.suspect_rule_calibration AS "
            + read_sql("checks/suspect_rule_calibration.sql")
        )
    else:
        con.execute(
            "CREATE TABLE checks.suspect_rule_calibration (rule TEXT, parameter TEXT, "
            "basis TEXT, threshold DOUBLE)"
        )
        for basis in ("budget", "outturn"):
            for (rule, parameter), value in thresholds.items():
                con.execute(
                    "INSERT INTO checks.suspect_rule_calibration VALUES (?, ?, ?, ?)",
                    [rule, parameter, basis, value],
                )
    con.execute("CREATE TABLE out.suspect_values AS " + read_sql("out/suspect_values.sql"))
    return con


def flags(con, rule: str) -> set[tuple[str, str, str]]:
    """(ecode, financial_year, category) the rule flags."""
    return {
        tuple(r)
        for r in con.execute(
            "SELECT ecode, financial_year, category FROM out.suspect_values WHERE rule = ?",
            [rule],
        ).fetchall()
    }


def steady(ecode: str, line: str, value: float, years=range(2013, 2018), basis="budget"):
    return [(ecode, basis, y, line, value) for y in years]


def with_year(ecode, line, level, year_value, year=2015, basis="budget"):
    """A steady series at `level` for five years, with `year_value` in `year`."""
    rows = steady(ecode, line, level, basis=basis)
    return [r if r[2] != year else (ecode, basis, year, line, year_value) for r in rows]


def test_far_from_own_median_at_the_ratio_and_not_below_it():
    figures = (
        with_year("A_at", "drug_adults_all", 1000, 10_000)  # exactly 10 times
        + with_year("A_below", "drug_adults_all", 1000, 9_990)
        + with_year("A_above", "drug_adults_all", 1000, 10_010)
        + with_year("L_at", "drug_adults_all", 1000, 100)  # exactly a tenth
        + with_year("L_above", "drug_adults_all", 1000, 101)
        + with_year("Z", "drug_adults_all", 1000, 0)  # a zero is as far as it gets
    )
    got = {e for e, _y, _c in flags(database(figures), "far_from_own_median")}
    assert got == {"A_at", "A_above", "L_at", "Z"}


def test_far_from_own_median_needs_the_gap_and_the_years():
    figures = (
        with_year("gap_at", "alcohol_adults_all", 50, 500)  # 10 times, £450k gap
        + with_year("gap_below", "alcohol_adults_all", 11, 110)  # 10 times, £99k gap
        + with_year("gap_edge", "alcohol_adults_all", 100 / 9, 1000 / 9)  # £100k gap exactly
        + [
            ("few", "budget", y, "alcohol_adults_all", v)
            for y, v in ((2013, 1000), (2014, 1000), (2015, 20_000))
        ]  # two other years only
    )
    got = {e for e, _y, _c in flags(database(figures), "far_from_own_median")}
    assert got == {"gap_at", "gap_edge"}


def swap_case(ecode: str, young: float, drugs: float):
    """Drugs steady at 3,000 and young people at 500, but `young` and `drugs` in 2015-16."""
    return with_year(ecode, "drug_adults_all", 3000, drugs) + with_year(
        ecode, "young_people", 500, young
    )


def test_swapped_lines_boundaries():
    figures = (
        swap_case("at", young=1500, drugs=1000)  # 3 times and a third; 1500 = 3000 / 2
        + swap_case("far_below", young=1490, drugs=1000)  # young only 2.98 times
        + swap_case("other_below", young=2000, drugs=1010)  # drugs only 2.97 times lower
        + swap_case("match_at", young=4500, drugs=900)  # 1.5 times the drugs median
        + swap_case("match_beyond", young=4510, drugs=900)
    )
    con = database(figures)
    got = flags(con, "swapped_lines")
    assert {e for e, _y, _c in got} == {"match_at"}  # 1500 is not within 1.5 of 3000
    assert got == {("match_at", "2015-16", "young_people"), ("match_at", "2015-16", "drugs")}
    # within the match: young near the drugs median, drugs a third of its own
    figures = swap_case("near", young=2000, drugs=1000) + swap_case("near2", 2010, 1000)
    got = {e for e, _y, _c in flags(database(figures), "swapped_lines")}
    assert got == {"near", "near2"}  # 2000 and 2010 lie within 1.5 of 3000; 4 times 500


def test_repeated_exactly_from_the_run_length():
    def run(ecode, values):
        return [(ecode, "budget", 2013 + i, "young_people", v) for i, v in enumerate(values)]

    figures = (
        run("three", [5, 7, 7, 7, 9, 11])
        + run("four", [5, 7, 7, 7, 7, 9])
        + run("zeros", [0, 0, 0, 0, 0, 0])
    )
    got = flags(database(figures), "repeated_exactly")
    assert got == {("four", fy(y), "young_people") for y in (2014, 2015, 2016, 2017)}


def test_zero_between_large_boundaries():
    def three(ecode, before, after, years=(2013, 2014, 2015)):
        return [
            (ecode, "budget", y, "alcohol_adults_all", v)
            for y, v in zip(years, (before, 0, after), strict=True)
        ]

    figures = (
        three("at", 100, 100)
        + three("below", 99.9, 400)
        + three("after_below", 400, 99.9)
        + three("not_consecutive", 400, 400, years=(2013, 2014, 2016))
    )
    assert {e for e, _y, _c in flags(database(figures), "zero_between_large")} == {"at"}


def own_median_spread(series: dict[int, float]) -> list[float]:
    """How many times each positive figure is from the median of its other years, either
    way, by Python."""
    out = []
    for year, value in series.items():
        others = [v for y, v in series.items() if y != year]
        median = statistics.median(others)
        if value > 0 and median > 0 and len(others) >= 3:
            out.append(max(value / median, median / value))
    return out


def linear_quantile(values: list[float], q: float) -> float:
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (pos - lo) * (xs[hi] - xs[lo])


def test_calibration_derives_each_threshold_from_the_distribution():
    serieses = {
        "C1": [1000, 1100, 900, 1000, 5000],
        "C2": [200, 260, 240, 10, 220],
        "C3": [700, 700, 700, 700, 900],
        "C4": [50, 55, 45, 60, 400],
    }
    figures = [
        (e, "budget", 2013 + i, "drug_adults_all", v)
        for e, values in serieses.items()
        for i, v in enumerate(values)
    ]
    con = database(figures, thresholds=None)
    got = {
        (r, p): t
        for r, p, t in con.execute(
            "SELECT rule, parameter, threshold FROM checks.suspect_rule_calibration "
            "WHERE basis = 'budget'"
        ).fetchall()
    }
    spread = [
        x
        for values in serieses.values()
        for x in own_median_spread({2013 + i: v for i, v in enumerate(values)})
    ]
    positives = [v for values in serieses.values() for v in values if v > 0]
    assert got["far_from_own_median", "quantile"] == pytest.approx(linear_quantile(spread, 0.98))
    assert got["swapped_lines", "far_quantile"] == pytest.approx(linear_quantile(spread, 0.9))
    assert got["swapped_lines", "match_quantile"] == pytest.approx(linear_quantile(spread, 0.75))
    assert got["far_from_own_median", "min_difference_quantile"] == pytest.approx(
        linear_quantile(positives, 0.1)
    )
    assert got["zero_between_large", "min_neighbour_quantile"] == pytest.approx(
        linear_quantile(positives, 0.1)
    )
    assert got["far_from_own_median", "min_other_years"] == 3
    # the one run of equal figures (C3, four years of 700) is the only run: the shortest
    # length that at most 10% of runs reach is 5
    assert got["repeated_exactly", "quantile"] == 5


def test_the_other_basis_witnesses_a_flag_by_the_spread_of_unflagged_pairs():
    # unflagged pairs: budget against outturn in 2013-14, at most twice apart (the tolerance,
    # with quantile 1.0, is the widest unflagged pair: U2's budget of 1000 against 2000)
    figures = []
    for ecode, outturn in (("U1", 1500), ("U2", 2000), ("U3", 900)):
        # no two years equal, so no rule flags these
        figures += [
            (ecode, "budget", y, "drug_adults_all", 1000 + y - 2013) for y in range(2013, 2018)
        ]
        figures += [(ecode, "outturn", 2013, "drug_adults_all", outturn)]
    # flagged budgets in 2013-14 (ten times their own median), each with an outturn beside it
    for ecode, outturn in (("F_at", 5000), ("F_beyond", 4990), ("F_zero", 0)):
        figures += with_year(ecode, "drug_adults_all", 1000, 10_000, year=2013)
        figures += [(ecode, "outturn", 2013, "drug_adults_all", outturn)]
    figures += with_year("F_none", "drug_adults_all", 1000, 10_000, year=2013)  # no outturn
    con = database(figures)
    got = dict(
        con.execute(
            "SELECT ecode, other_basis_agrees FROM out.suspect_values "
            "WHERE rule = 'far_from_own_median'"
        ).fetchall()
    )
    assert got == {"F_at": True, "F_beyond": False, "F_zero": False, "F_none": None}
    (other,) = con.execute(
        "SELECT other_basis_value_gbp_thousands FROM out.suspect_values WHERE ecode = 'F_at'"
    ).fetchone()
    assert other == 5000


def test_the_witness_test_on_made_up_counts():
    """A rule stands where its witnessed flags are confirmed more often than chance would give,
    is withdrawn where they are not, and stands untested where too few are witnessed."""
    from assets.suspect_calibration import upper_tail, verdict

    assert upper_tail(0, 5, 0.1) == pytest.approx(1.0)
    assert upper_tail(5, 5, 0.1) == pytest.approx(1e-5)
    assert upper_tail(1, 2, 0.5) == pytest.approx(0.75)
    # chance 0.1, level 0.05: one witnessed flag cannot pass (0.1 >= 0.05), two can (0.01)
    assert verdict(1, 1, 0.1, 0.05) == "too_few_witnessed"
    assert verdict(2, 2, 0.1, 0.05) == "backed"
    assert verdict(0, 2, 0.1, 0.05) == "withdrawn"
    # 3 of 24 at chance 0.1: as many as chance gives (P = 0.44), so the rule is withdrawn;
    # 6 of 24 is unlikely by chance (P = 0.028), so it stands
    assert verdict(3, 24, 0.1, 0.05) == "withdrawn"
    assert verdict(6, 24, 0.1, 0.05) == "backed"
    assert upper_tail(6, 24, 0.1) == pytest.approx(0.0277, abs=1e-3)
