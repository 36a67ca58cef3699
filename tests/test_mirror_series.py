"""The unbroken England series on the real files: RA 2022-23 from the Stata copy, coverage,
imputation flags and the written answer's outturn. Expected values are read here from the
source files themselves (pandas' Stata reader, the csv module), not from the pipeline."""

from __future__ import annotations

import csv

import duckdb
import pandas as pd
import pytest

from pipeline.config import DATA_RAW_DIR
from tests.conftest import archived

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def con(mirror_lake):
    connection = duckdb.connect(str(mirror_lake.database_path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def dta() -> tuple[pd.DataFrame, dict[str, str]]:
    path = archived("mhclg_ra_2022_23")
    with pd.io.stata.StataReader(path) as reader:
        labels = reader.variable_labels()
        frame = reader.read(convert_categoricals=False)
    return frame, labels


def number(text: str) -> float | None:
    text = str(text).strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None  # a marker ('…', '...') or blank: no figure


def test_ra_2022_23_lines_equal_the_stata_copy(con, dta):
    frame, labels = dta
    by_label = {v.strip(): k for k, v in labels.items()}
    prefix = "Substance misuse - "
    expected_lines = {
        "drug_treatment": "Treatment for drug misuse in adults",
        "alcohol_treatment": "Treatment for alcohol misuse in adults",
        "drug_prevention": "Preventing and reducing harm from drug misuse in adults",
        "alcohol_prevention": "Preventing and reducing harm from alcohol misuse in adults",
    }
    for line, label in expected_lines.items():
        total = sum(v for v in map(number, frame[by_label[prefix + label]]) if v is not None)
        (ours,) = con.execute(
            "SELECT authorities_sum_gbp_thousands FROM core.england_substance_misuse_spend "
            "WHERE financial_year = '2022-23' AND basis = 'budget' AND canonical_line = ? AND "
            "measure = 'net_current_expenditure'",
            [line],
        ).fetchone()
        assert ours == pytest.approx(total), line
    # the young people's label is cut at 80 characters in the copy and still maps
    cut = [k for k, v in labels.items() if v.startswith(prefix + "Specialist drug")]
    assert len(cut) == 1 and len(labels[cut[0]]) == 80
    total = sum(v for v in map(number, frame[cut[0]]) if v is not None)
    (ours, printed) = con.execute(
        "SELECT sum(c.value_gbp_thousands), any_value(r.printed_label) "
        "FROM core.la_substance_misuse_spend c JOIN raw.mhclg__revenue_cells r USING "
        "(source_id, sheet, cell) WHERE c.source_id = 'mhclg_ra_2022_23' "
        "AND c.canonical_line = 'young_people'"
    ).fetchone()
    assert ours == pytest.approx(total) and printed == labels[cut[0]].strip()


def test_ra_2022_23_keeps_markers_and_codes_the_right_way_round(con, dta):
    frame, _labels = dta
    ours = dict(
        con.execute(
            "SELECT DISTINCT ecode, ons_code FROM raw.mhclg__revenue_cells "
            "WHERE source_id = 'mhclg_ra_2022_23'"
        ).fetchall()
    )
    assert ours == dict(zip(frame["ecode"], frame["onscode"], strict=True))
    assert all(code.startswith("E") and len(code) == 5 for code in ours)
    markers = {
        m
        for (m,) in con.execute(
            "SELECT DISTINCT marker FROM raw.mhclg__revenue_cells "
            "WHERE source_id = 'mhclg_ra_2022_23' AND marker <> ''"
        ).fetchall()
    }
    held = {v for col in frame.columns[8:] for v in frame[col] if isinstance(v, str)}
    assert {"…", "..."} <= markers and markers <= held


def test_synthetic_records_are_imputed_and_missing_is_null(con, dta):
    frame, _labels = dta
    synthetic = set(frame.loc[frame["syntheticrecord"] == "S", "ecode"])
    assert len(synthetic) == 8
    flagged = {
        e
        for (e,) in con.execute(
            "SELECT DISTINCT ecode FROM raw.mhclg__revenue_cells "
            "WHERE source_id = 'mhclg_ra_2022_23' AND is_imputed"
        ).fetchall()
    }
    assert flagged == synthetic
    rows = con.execute(
        "SELECT la_name, value_gbp_thousands, is_imputed FROM core.la_substance_misuse_spend "
        "WHERE financial_year = '2022-23' AND basis = 'budget' AND la_class IN ('UA', 'L') "
        "AND is_imputed"
    ).fetchall()
    assert {r[0] for r in rows} == {"Slough UA", "Southwark"}
    assert all(v is None for _n, v, _i in rows)  # no figures: NULL, never 0
    # files that say nothing about imputation give NULL, not false
    (nulls,) = con.execute(
        "SELECT count(*) FILTER (is_imputed IS NOT NULL) FROM core.la_substance_misuse_spend "
        "WHERE source_id = 'mhclg_ra_2019_20'"
    ).fetchone()
    assert nulls == 0


def test_ra_2021_22_imputed_authorities_are_the_ones_the_file_marks(con):
    from python_calamine import CalamineWorkbook

    path = archived("mhclg_ra_2021_22")
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("RA_LA_Data_2021-22")
    rows = grid.to_python()
    header = next(i for i, r in enumerate(rows) if r and r[0] == "E-code")
    marked = {r[0] for r in rows[header + 1 :] if len(r) > 3 and r[3] == "S"}
    assert len(marked) == 6  # "complete returns from 419 of the 425 local authorities"
    flagged = {
        e
        for (e,) in con.execute(
            "SELECT DISTINCT ecode FROM raw.mhclg__revenue_cells "
            "WHERE source_id = 'mhclg_ra_2021_22' AND is_imputed"
        ).fetchall()
    }
    assert flagged == marked


def test_england_budget_series_is_unbroken_with_coverage(con):
    rows = con.execute(
        "SELECT financial_year, value_source, councils_expected, councils_reporting, "
        "councils_not_reporting FROM out.spend_trends WHERE basis = 'budget' "
        "AND category = 'adults' ORDER BY fy_start"
    ).fetchall()
    years = [r[0] for r in rows]
    assert years == [f"{y}-{(y + 1) % 100:02d}" for y in range(2013, 2024)]
    by_year = {r[0]: r for r in rows}
    _y, source, expected, reporting, missing = by_year["2022-23"]
    assert source == "sum_of_authorities" and reporting == expected - 2
    assert missing == "Slough UA; Southwark"
    for _y, _s, expected, reporting, missing in rows:
        assert reporting <= expected and (missing is None) == (reporting == expected)


def test_outturn_series_has_the_written_answer_years(con):
    path = DATA_RAW_DIR / "published" / "parliamentary_answer_2020_la_substance_misuse_outturn.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        answer = list(csv.DictReader(fh))
    adults = {}
    for r in answer:
        if r["canonical_line"] in (
            "drug_treatment",
            "drug_prevention",
            "alcohol_treatment",
            "alcohol_prevention",
        ):
            adults[r["financial_year"]] = adults.get(r["financial_year"], 0) + float(
                r["value_gbp_thousands"]
            )
    rows = con.execute(
        "SELECT financial_year, value_gbp_millions, value_source FROM out.spend_trends "
        "WHERE basis = 'outturn' AND category = 'adults' ORDER BY fy_start"
    ).fetchall()
    assert len(rows) == 7
    for year, value, source in rows:
        if year in adults:
            assert source == "parliamentary_answer"
            assert value == pytest.approx(adults[year] / 1000)
        else:
            assert source == "england_row"
