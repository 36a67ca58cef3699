"""The Dagster definitions load, schedule nightly, and materialise every asset in-process."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.config import SOURCES_TOML
from pipeline.definitions import SpendtrackResource, defs
from tests.conftest import real_mirror


def test_definitions_load_with_schedule_and_blocking_checks():
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/London"
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "raw/mhclg__revenue_cells",
        "out/spend_trends",
        "out/reproduction",
        "published/spendtrack_database",
    } <= keys
    checks = list(graph.asset_check_keys)
    assert checks and all(graph.get_check_spec(k).blocking for k in checks)


def run_job(tmp_path, mirror, sources):
    job = defs.resolve_job_def("refresh")
    resource = SpendtrackResource(
        lake_dir=str(tmp_path / "lake"), mirror_dir=str(mirror), cache_dir=str(tmp_path / "cache")
    )
    import os

    old = os.environ.get("SPENDTRACK_SOURCES")
    os.environ["SPENDTRACK_SOURCES"] = str(sources)
    try:
        return job.execute_in_process(resources={"spendtrack": resource}, raise_on_error=False)
    finally:
        if old is None:
            os.environ.pop("SPENDTRACK_SOURCES")
        else:
            os.environ["SPENDTRACK_SOURCES"] = old


@pytest.mark.mirror
def test_job_materialises_every_asset_on_the_mirror(tmp_path):
    result = run_job(tmp_path, real_mirror(), SOURCES_TOML)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    published = tmp_path / "lake" / "spendtrack.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        status = con.execute(
            "SELECT status FROM out.reproduction WHERE claim_id = 'sots17_adults_change'"
        ).fetchone()[0]
    assert status == "reproduced"


def test_failing_blocking_check_stops_publish(tmp_path):
    """A generated mirror whose 2017-18 drug figure is off: reproduction fails, nothing ships."""
    from tests.synthetic import columns_for, make_mirror, ra_grid

    cols = columns_for("2017-18")
    cols[3].england *= 1.5  # drug treatment 50% higher: the -£105m no longer reproduces
    make_mirror(
        tmp_path,
        overrides={
            "2017-18": {
                "RA LA Data 2017-18": ra_grid(
                    "2017-18", "Net current expenditure", style="2017", columns=cols
                )
            }
        },
    )
    result = run_job(tmp_path, tmp_path / "mirror", tmp_path / "sources.toml")
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["reproduction"]
    assert not (tmp_path / "lake" / "spendtrack.duckdb").exists()
