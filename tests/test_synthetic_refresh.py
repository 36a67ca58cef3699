"""A whole refresh on five generated RA workbooks: build, traps, reproduction, publish."""

from __future__ import annotations

import duckdb

from pipeline.refresh import refresh
from tests.synthetic import TRAP_VALUE


def test_refresh_publishes_checked_database(synthetic):
    path = refresh(synthetic, progress=lambda _m: None)
    assert path == synthetic.database_path and path.exists()
    assert not any(synthetic.staging_dir.iterdir())  # the build's staging files are gone
    assert {p.name for p in synthetic.parquet_dir.iterdir()} >= {
        "spend_trends.parquet",
        "la_spend_trends.parquet",
        "reproduction.parquet",
    }
    with duckdb.connect(str(path), read_only=True) as con:
        failed = con.execute(
            "SELECT count(*) FROM checks.validation_results WHERE NOT success"
        ).fetchone()[0]
        assert failed == 0
        statuses = dict(
            con.execute(
                "SELECT claim_id, status FROM out.reproduction WHERE basis = 'budget'"
            ).fetchall()
        )
    assert statuses["sots17_adults_change"] == "reproduced"
    assert statuses["sots17_alcohol_peak"] == "reproduced"
    assert statuses["sots17_wider_sector_2017_18"] == "not_reproducible"


def test_traps_never_enter_the_series(synthetic_published):
    synthetic = synthetic_published
    with duckdb.connect(str(synthetic.database_path), read_only=True) as con:
        biggest = con.execute(
            "SELECT max(value_gbp_thousands) FROM core.la_substance_misuse_spend"
        ).fetchone()[0]
        lines = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT canonical_line FROM core.la_substance_misuse_spend"
            ).fetchall()
        }
        kept = con.execute(
            "SELECT count(*) FROM raw.mhclg__revenue_cells WHERE value = ?", [TRAP_VALUE]
        ).fetchone()[0]
    assert biggest < TRAP_VALUE
    assert lines == {
        "drug_adults_all",
        "alcohol_adults_all",
        "young_people",
        "drug_treatment",
        "drug_prevention",
        "alcohol_treatment",
        "alcohol_prevention",
    }
    assert kept > 0  # raw keeps every cell, traps included


def test_ons_codes_filled_from_later_files(synthetic_published):
    synthetic = synthetic_published
    with duckdb.connect(str(synthetic.database_path), read_only=True) as con:
        missing = con.execute(
            "SELECT count(*) FROM core.la_substance_misuse_spend WHERE ons_code IS NULL"
        ).fetchone()[0]
        bristol = con.execute(
            "SELECT DISTINCT ons_code FROM core.la_substance_misuse_spend WHERE ecode = 'E0102'"
        ).fetchall()
    assert missing == 0
    assert bristol == [("E06000023",)]


def test_england_row_and_sum_of_authorities_kept_side_by_side(synthetic_published):
    synthetic = synthetic_published
    with duckdb.connect(str(synthetic.database_path), read_only=True) as con:
        row = con.execute(
            "SELECT published_total_gbp_thousands, authorities_sum_gbp_thousands, "
            "difference_gbp_thousands FROM core.england_substance_misuse_spend WHERE "
            "financial_year = '2013-14' AND canonical_line = 'drug_adults_all' "
            "AND measure = 'net_current_expenditure'"
        ).fetchone()
    assert row[0] == 568767
    assert abs(row[1] - 568767) < 1e-6 and abs(row[2]) < 1e-6


def test_every_core_and_out_table_and_column_is_described(synthetic_published):
    synthetic = synthetic_published
    with duckdb.connect(str(synthetic.database_path), read_only=True) as con:
        bare_columns = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name IN "
            "('core', 'out') AND (comment IS NULL OR comment = '')"
        ).fetchall()
        bare_tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name IN "
            "('core', 'out', 'raw', 'reference') AND (comment IS NULL OR comment = '')"
        ).fetchall()
    assert bare_columns == [] and bare_tables == []


def test_validation_in_the_build_process_gives_the_same_checks(
    synthetic, published_template, monkeypatch
):
    """`SPENDTRACK_GX_PROCESS=0` validates on the build's own connection, with no worker, and
    records exactly the checks the worker process records for the same files."""
    from pipeline.checks import gx_worker

    def no_worker():
        raise AssertionError("a validation worker was asked for with SPENDTRACK_GX_PROCESS=0")

    monkeypatch.setenv(gx_worker.ENV_SWITCH, "0")
    monkeypatch.setattr(gx_worker, "worker", no_worker)
    refresh(synthetic, progress=lambda _m: None)
    query = (
        "SELECT table_name, expectation, success, observed_value "
        "FROM checks.validation_results ORDER BY ALL"
    )
    with duckdb.connect(str(synthetic.database_path), read_only=True) as con:
        in_process = con.execute(query).fetchall()
    worker_db = published_template / "lake" / synthetic.database_path.name
    with duckdb.connect(str(worker_db), read_only=True) as con:
        in_worker = con.execute(query).fetchall()
    assert sum(name.startswith("expect_") for _t, name, _s, _o in in_process) > 50
    assert in_process == in_worker


def test_a_marker_on_the_england_row_is_no_published_total(tmp_path):
    """An ENGLAND cell printed '[x]' is not a figure: that line uses the sum of authorities,
    and value_source says so for the line's category and for the sums of categories (before,
    a cell counted as a published total and value_source said 'england_row')."""
    from tests.conftest import settings_for
    from tests.synthetic import SHEETS, make_mirror, ra_grid

    name, title, style = SHEETS["2016-17"][0]
    grid = ra_grid("2016-17", title, style=style)
    header = next(i for i, row in enumerate(grid) if "E-code" in row)
    drug = next(j for j, v in enumerate(grid[header]) if "drug" in str(v).lower())
    england = next(i for i, row in enumerate(grid) if "ENGLAND" in row)
    authorities = [
        float(row[drug]) for row in grid[header + 1 : england] if str(row[0]).startswith("E")
    ]
    grid[england][drug] = "[x]"
    make_mirror(tmp_path, overrides={"2016-17": {name: grid}})
    settings = settings_for(tmp_path)
    refresh(settings, progress=lambda _m: None)
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        line = con.execute(
            "SELECT has_england_row, published_total_gbp_thousands, "
            "authorities_sum_gbp_thousands, category FROM core.england_substance_misuse_spend "
            "WHERE financial_year = '2016-17' AND measure = 'net_current_expenditure' "
            "AND published_total_gbp_thousands IS NULL"
        ).fetchall()
        sources = dict(
            con.execute(
                "SELECT category, value_source FROM out.spend_trends "
                "WHERE financial_year = '2016-17' AND basis = 'budget'"
            ).fetchall()
        )
    assert len(line) == 1, line
    has_row, published, summed, category = line[0]
    assert has_row is False and published is None
    assert abs(summed - sum(authorities)) < 1e-6
    # the category's other line (prevention) still has its ENGLAND figure
    assert sources[category] == "england_row + sum_of_authorities"
    assert sources["adults"] == "england_row + sum_of_authorities"
    assert sources["young_people"] == "england_row"
