"""Real terms on the real files: expected values are computed here from the deflator files."""

from __future__ import annotations

import csv
import re

import duckdb
import pytest

from tests.conftest import archived

pytestmark = pytest.mark.real
BASE = "2024-25"


def treasury_index() -> dict[str, tuple[float, bool]]:
    path = archived("hmt_gdp_deflators_2026_03")
    with path.open(newline="", encoding="utf-8") as fh:
        return {
            r["fiscal_year"]: (float(r["gdp_deflator"]), r["is_forecast"] == "true")
            for r in csv.DictReader(fh)
        }


def ons_financial_year_means() -> dict[str, float]:
    path = archived("ons_ybgb_2025_06")
    quarters = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            m = re.fullmatch(r"(\d{4}) Q(\d)", row[0]) if row else None
            if m:
                quarters[(int(m[1]), int(m[2]))] = float(row[1])
    out = {}
    for y in range(1955, 2025):
        keys = [(y, 2), (y, 3), (y, 4), (y + 1, 1)]
        if all(k in quarters for k in keys):
            out[f"{y}-{(y + 1) % 100:02d}"] = sum(quarters[k] for k in keys) / 4
    return out


@pytest.fixture(scope="module")
def con(mirror_lake):
    connection = duckdb.connect(str(mirror_lake.database_path), read_only=True)
    yield connection
    connection.close()


def test_reference_table_holds_both_series_as_the_files_say(con):
    hmt, ons = treasury_index(), ons_financial_year_means()
    rows = con.execute(
        "SELECT series, financial_year, deflator_index, is_forecast, index_2024_25_eq_100 "
        "FROM reference.gdp_deflator"
    ).fetchall()
    got = {(s, fy): (i, f, r) for s, fy, i, f, r in rows}
    assert {fy for s, fy in got if s == "hmt_2026_03"} == set(hmt)
    for fy, (index, forecast) in hmt.items():
        i, f, r = got[("hmt_2026_03", fy)]
        assert i == pytest.approx(index) and f is forecast
        assert r == pytest.approx(100 * index / hmt[BASE][0])
    assert {fy for s, fy in got if s == "ons_ybgb_2025_06"} == set(ons)
    for fy, mean in ons.items():
        assert got[("ons_ybgb_2025_06", fy)][0] == pytest.approx(mean)
    assert {fy for fy, (_i, f) in hmt.items() if f} == {
        fy for (s, fy), (_i, f, _r) in got.items() if s == "hmt_2026_03" and f
    }


def test_the_two_series_agree_within_one_percent_and_the_check_says_so(con):
    hmt, ons = treasury_index(), ons_financial_year_means()
    gaps = [
        abs(100 * ((ons[fy] / ons[BASE]) / (hmt[fy][0] / hmt[BASE][0]) - 1))
        for fy in (f"{y}-{(y + 1) % 100:02d}" for y in range(2013, 2025))
    ]
    assert max(gaps) < 1
    passed, observed = con.execute(
        "SELECT success, observed_value FROM checks.validation_results "
        "WHERE table_name = 'reference.gdp_deflator' AND expectation LIKE '%agrees_with%'"
    ).fetchone()
    assert passed and f"largest gap {max(gaps):.2f}%" in observed


def test_real_terms_macro(con):
    hmt, ons = treasury_index(), ons_financial_year_means()
    (value,) = con.execute("SELECT real_terms(100, '2013-14', '2024-25')").fetchone()
    assert value == pytest.approx(100 * hmt[BASE][0] / hmt["2013-14"][0])
    assert round(value, 2) == 136.92
    (other,) = con.execute(
        "SELECT real_terms(100, '2013-14', '2024-25', 'ons_ybgb_2025_06')"
    ).fetchone()
    assert other == pytest.approx(100 * ons[BASE] / ons["2013-14"])
    (rebased,) = con.execute("SELECT real_terms(250, '2024-25', '2016-17')").fetchone()
    assert rebased == pytest.approx(250 * hmt["2016-17"][0] / hmt[BASE][0])
    missing = con.execute(
        "SELECT real_terms(100, '1990-91', '2024-25'), real_terms(100, '2013-14', '2024-25', "
        "'no_such_series')"
    ).fetchone()
    assert missing == (None, None)


def test_spend_trends_real_columns(con):
    hmt = treasury_index()
    rows = con.execute(
        "SELECT financial_year, basis, category, value_gbp_millions, value_real_gbp_millions, "
        "change_since_2013_14_real_gbp_millions, change_since_2013_14_real_pct, "
        "real_peak_year, is_real_peak, price_base, deflator_is_forecast FROM out.spend_trends"
    ).fetchall()
    assert rows
    real = {}
    for fy, basis, cat, cash, value_real, *_ in rows:
        expected = cash * hmt[BASE][0] / hmt[fy][0]
        assert value_real == pytest.approx(expected), (fy, basis, cat)
        real[(basis, cat, fy)] = expected
    for fy, basis, cat, _c, _r, change, pct, peak, is_peak, base, forecast in rows:
        first = real.get((basis, cat, "2013-14"))
        if first is not None:
            assert change == pytest.approx(real[(basis, cat, fy)] - first)
            assert pct == pytest.approx(100 * (real[(basis, cat, fy)] - first) / first)
        series = {y: v for (b, c, y), v in real.items() if (b, c) == (basis, cat)}
        assert peak == max(series, key=series.get) and is_peak == (fy == peak)
        assert base == "2024-25 prices (hmt_2026_03)" and forecast is hmt[fy][1]


def test_council_tables_real_columns(con):
    hmt = treasury_index()
    factor = {fy: hmt[BASE][0] / i for fy, (i, _f) in hmt.items()}
    for table, cash, real in (
        ("out.la_spend_trends", "value_gbp_thousands", "value_real_gbp_thousands"),
        ("out.la_spend_per_head", "spend_per_head_gbp", "spend_per_head_real_gbp"),
    ):
        rows = con.execute(f"SELECT financial_year, {cash}, {real} FROM {table}").fetchall()
        assert rows
        for fy, c, r in rows:
            assert (r is None) == (c is None)
            if c is not None:
                assert r == pytest.approx(c * factor[fy]), (table, fy)
    rows = con.execute(
        "SELECT first_year, latest_year, first_value_gbp_thousands, latest_value_gbp_thousands, "
        "change_real_pct FROM out.la_disinvestment WHERE first_value_gbp_thousands > 0"
    ).fetchall()
    assert rows
    for first, latest, a, b, pct in rows:
        expected = 100 * (b * factor[latest] - a * factor[first]) / (a * factor[first])
        assert pct == pytest.approx(expected)


def test_spend_per_person_in_treatment_real(con):
    hmt = treasury_index()
    rows = con.execute(
        "SELECT financial_year, drug_spend_per_client_gbp, drug_spend_per_client_real_gbp, "
        "alcohol_spend_per_client_gbp, alcohol_spend_per_client_real_gbp "
        "FROM out.spend_per_person_in_treatment"
    ).fetchall()
    assert rows
    for fy, drug, drug_real, alcohol, alcohol_real in rows:
        assert drug_real == pytest.approx(drug * hmt[BASE][0] / hmt[fy][0])
        assert alcohol_real == pytest.approx(alcohol * hmt[BASE][0] / hmt[fy][0])


def england_lines(con, basis: str, lines: tuple[str, ...], year: str) -> float | None:
    """£ million for a sum of lines, read from the core table (not through out.reproduction)."""
    (value, n) = con.execute(
        "SELECT sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)) "
        "/ 1000, count(*) FROM core.england_substance_misuse_spend WHERE basis = ? AND "
        "financial_year = ? AND measure = 'net_current_expenditure' AND canonical_line IN "
        f"({', '.join('?' for _ in lines)})",
        [basis, year, *lines],
    ).fetchone()
    return value if n == len(lines) else None


def secondary_claims() -> list[dict[str, str]]:
    path = archived("published_secondary_claims")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_secondary_claim_has_a_row_with_numbers_in_its_reason(con):
    claims = {c["claim_id"]: c for c in secondary_claims()}
    rows = con.execute(
        "SELECT claim_id, quote, published_value, status, reason, prices, definition "
        "FROM out.reproduction WHERE claim_id IN (SELECT unnest(?))",
        [list(claims)],
    ).fetchall()
    assert {r[0] for r in rows} == set(claims)
    for claim_id, quote, published, status, reason, prices, definition in rows:
        assert quote == claims[claim_id]["quote"]
        assert float(published) == float(claims[claim_id]["figure"])
        assert status in ("reproduced", "differs", "not_reproducible")
        assert definition  # which of our definitions was used is always said
        if claims[claim_id]["prices"] in ("cash", "real"):
            assert prices == claims[claim_id]["prices"], claim_id
        if status != "reproduced":
            assert reason.startswith("ours, ") and "theirs: " in reason, claim_id
            assert re.search(r"-?£?\d[\d,.]*[m%]", reason), claim_id


def test_secondary_claims_are_computed_from_the_database(con):
    hmt = treasury_index()
    treatment = ("drug_treatment", "alcohol_treatment")
    adults_old = ("drug_adults_all", "alcohol_adults_all")
    adults_new = ("drug_treatment", "drug_prevention", "alcohol_treatment", "alcohol_prevention")
    got = dict(con.execute("SELECT claim_id, computed_value FROM out.reproduction").fetchall())

    def num(claim: str) -> float:
        return float(got[claim].replace(",", ""))

    assert num("ukfp2014_drugs_adults_2013_14") == pytest.approx(
        england_lines(con, "budget", ("drug_adults_all",), "2013-14"), abs=0.005
    )
    level_16 = england_lines(con, "budget", treatment, "2016-17")
    level_19 = england_lines(con, "budget", treatment, "2019-20")
    assert num("hocl2021_level_2016_17") == pytest.approx(level_16, abs=0.005)
    real_change = 100 * ((level_19 / hmt["2019-20"][0]) / (level_16 / hmt["2016-17"][0]) - 1)
    assert num("hocl2021_real_change") == pytest.approx(real_change, abs=0.005)
    start = england_lines(con, "budget", adults_old, "2014-15") / hmt["2014-15"][0]
    end = england_lines(con, "budget", adults_new, "2021-22") / hmt["2021-22"][0]
    assert num("nao2023_adult_treatment_real_change") == pytest.approx(
        100 * (end / start - 1), abs=0.005
    )
    # treatment alone is not held for 2014-15: the row says so rather than bending the lines
    (status,) = con.execute(
        "SELECT status FROM out.reproduction WHERE claim_id = 'nao2023_adult_treatment_real_change'"
    ).fetchone()
    assert status == "not_reproducible"
    assert england_lines(con, "budget", treatment, "2014-15") is None
