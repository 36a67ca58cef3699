"""Dagster as its users meet it: any selection materialises, the catalog explains itself, the
source files are in the graph, failures read like the CLI's, the schedule runs the CLI's plan.

Everything runs through Dagster's own Python API (`dg.materialize` with a selection, a job's
`execute_in_process`, a schedule's tick) and the `dagster definitions validate` command.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.tables import TABLES
from pipeline.build import fingerprint
from pipeline.build.engine import read_dictionary
from pipeline.build.graph import declared_sources, downstream
from pipeline.cli import main
from pipeline.config import REPO_ROOT, SOURCES_TOML
from pipeline.definitions import (
    PUBLISHED,
    SpendtrackResource,
    build_and_publish,
    defs,
    sources,
)
from pipeline.sources.registry import load_sources
from tests.conftest import materialized, point_env_at, run_refresh_job, settings_for
from tests.synthetic import VIEWIT_PATH, columns_for, make_mirror, ra_grid, write_registry

RESOURCES = {"spendtrack": SpendtrackResource()}  # directories from the environment


def key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name.split("."))


def materialize(instance: dg.DagsterInstance, selection) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [sources, build_and_publish],
        instance=instance,
        resources=RESOURCES,
        selection=selection,
        raise_on_error=False,
    )


def failure_line(result: dg.ExecuteInProcessResult) -> str:
    [event] = result.get_step_failure_events()
    return event.step_failure_data.user_failure_data.description


def all_rows(database: Path, tables: list[str]) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def cli_error(capsys) -> tuple[int, str]:
    code = main(["refresh", "--force"])
    return code, capsys.readouterr().err.strip().splitlines()[-1]


def test_definitions_load_with_sources_schedule_and_blocking_checks():
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/London"
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    registry = load_sources(SOURCES_TOML, enabled_only=False)
    assert {f"source/{s.id}" for s in registry} <= keys
    assert {s.name.replace(".", "/") for s in TABLES} | {"published/spendtrack_database"} <= keys
    checks = list(graph.asset_check_keys)
    assert len(checks) >= len([s for s in TABLES if s.primary_key])
    assert all(graph.get_check_spec(k).blocking for k in checks)
    # lineage from the gov.uk files to the published trends
    viewit = graph.get(key("raw.ndtms__viewit_adults"))
    assert viewit.parent_keys == {dg.AssetKey(["source", "ohid_ndtms_viewit_adults"])}
    revenue = graph.get(key("raw.mhclg__revenue_cells")).parent_keys
    mhclg = {s.id for s in registry if s.family == "mhclg_revenue" and s.enabled}
    assert {k.path[-1] for k in revenue if k.path[0] == "source"} == mhclg
    enabled = [s for s in registry if s.enabled]
    for spec in TABLES:  # each table's parents: the tables it reads and its source files
        expected = {key(d) for d in spec.deps}
        expected |= {dg.AssetKey(["source", s]) for s in declared_sources(spec, enabled)}
        assert graph.get(key(spec.name)).parent_keys == expected, spec.name
    upstream, todo = set(), [key("out.spend_trends")]
    while todo:
        parents = graph.get(todo.pop()).parent_keys - upstream
        upstream |= parents
        todo += parents
    assert dg.AssetKey(["source", "mhclg_ra_2017_18"]) in upstream  # gov.uk file to the trends


def test_dagster_definitions_validate():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All code locations passed validation" in done.stderr + done.stdout


def test_every_asset_is_described_from_the_data_dictionary():
    described = {r["table"]: r["description"] for r in read_dictionary() if not r["column"]}
    graph = defs.resolve_asset_graph()
    for spec in TABLES:
        node = graph.get(key(spec.name))
        assert node.description == described[spec.name], spec.name
        assert node.metadata["dagster/table_name"] == f"spendtrack.{spec.name}"
    source = graph.get(dg.AssetKey(["source", "mhclg_ra_2014_15"]))
    assert {"publisher", "licence", "address", "edition", "sha256"} <= set(source.metadata)
    assert source.metadata["edition"] == "official"
    assert source.metadata["period"] == "2014-15 budget (RA)"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A generated mirror built and published by the Dagster `refresh` job."""
    root = tmp_path_factory.mktemp("dagster_built")
    make_mirror(root)
    settings = settings_for(root)
    with pytest.MonkeyPatch.context() as mp:
        point_env_at(mp, settings)
        instance = dg.DagsterInstance.ephemeral()
        result = run_refresh_job(instance)
        assert result.success
        yield instance, settings


def test_every_table_asset_carries_the_standard_metadata(built):
    instance, settings = built
    dictionary = {(r["table"], r["column"]): r["description"] for r in read_dictionary()}
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        counts = {
            spec.name: con.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0]
            for spec in TABLES
        }
    for spec in TABLES:
        event = instance.get_latest_materialization_event(key(spec.name))
        metadata = event.asset_materialization.metadata
        assert metadata["dagster/table_name"].value == f"spendtrack.{spec.name}"
        rows = metadata["dagster/row_count"].value
        assert isinstance(rows, int) and rows == counts[spec.name], spec.name
        schema = metadata["dagster/column_schema"].value
        assert schema.columns, spec.name
        for column in schema.columns:
            assert column.type
            if (spec.name, column.name) in dictionary:
                assert column.description == dictionary[(spec.name, column.name)]
            if spec.schema in ("core", "out"):  # every core and out column is described
                assert column.description, f"{spec.name}.{column.name}"
        assert ("preview" in metadata) == (spec.schema == "out"), spec.name
    trends = instance.get_latest_materialization_event(key("out.spend_trends"))
    preview = trends.asset_materialization.metadata["preview"].value
    assert preview.splitlines()[0].startswith("| financial_year | fy_start | basis |")
    published = instance.get_latest_materialization_event(PUBLISHED).asset_materialization
    assert published.metadata["storage format"].value == "v1.1.0 (DuckDB's tag: v1.0.0+)"


def test_one_selected_asset_rebuilds_it_and_what_is_downstream(built):
    instance, settings = built
    others = [
        s.name for s in TABLES if s.name not in downstream(list(TABLES), {"out.spend_trends"})
    ]
    before = all_rows(settings.database_path, others)
    result = materialize(instance, ["out/spend_trends"])
    assert result.success
    rebuilt = materialized(result)
    assert rebuilt == {
        "out/spend_trends",
        "out/spend_per_person_in_treatment",
        "out/reproduction",
        "published/spendtrack_database",
    }
    assert all_rows(settings.database_path, others) == before  # untouched
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        checked = dict(
            con.execute(
                "SELECT table_name, count(*) FROM checks.validation_results WHERE run_id = ? "
                "GROUP BY 1",
                [result.run_id],
            ).fetchall()
        )
        status = con.execute(
            "SELECT status FROM out.reproduction WHERE claim_id = 'sots17_adults_change'"
        ).fetchone()[0]
    assert set(checked) == {
        "out.spend_trends",
        "out.spend_per_person_in_treatment",
        "out.reproduction",
    }
    assert status == "reproduced"
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key.to_user_string() for e in evaluations} == rebuilt - {
        "published/spendtrack_database"
    }
    assert all(e.passed for e in evaluations)
    gx = [e for e in evaluations if e.check_name.startswith("gx_")]
    assert gx
    for evaluation in gx:  # each Great Expectations check links to its own data docs page
        page = evaluation.metadata["data_docs"].value
        assert page.startswith("file://") and "/validations/" in page, page
        assert Path(page.removeprefix("file://")).is_file(), page


def test_checks_alone_run_on_the_published_database(built):
    instance, settings = built
    before = hashlib.sha256(settings.database_path.read_bytes()).hexdigest()
    result = materialize(instance, dg.AssetSelection.checks_for_assets(key("out.spend_trends")))
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} >= {"primary_key"} and all(
        e.passed for e in evaluations
    )
    assert not materialized(result)
    assert hashlib.sha256(settings.database_path.read_bytes()).hexdigest() == before


def test_a_selection_with_nothing_published_fails_in_one_line(synthetic_env):
    result = materialize(dg.DagsterInstance.ephemeral(), ["out/spend_trends"])
    assert not result.success
    line = failure_line(result)
    assert "\n" not in line
    assert line.startswith(f"{synthetic_env.database_path}: rebuilding out.spend_trends")
    assert "(no database is published yet)" in line
    assert "core.england_substance_misuse_spend" in line and "raw.mhclg__revenue_cells" in line
    assert "materialise them first" in line
    assert not synthetic_env.database_path.exists()


def test_a_source_data_version_is_its_pinned_sha256(synthetic_env):
    instance = dg.DagsterInstance.ephemeral()
    source = dg.AssetKey(["source", "ohid_ndtms_viewit_adults"])
    path = synthetic_env.mirror_dir / VIEWIT_PATH

    def observed() -> str:
        result = materialize(instance, [source])
        assert result.success
        [event] = result.get_asset_observation_events()
        return event.asset_observation_data.asset_observation.data_version

    first = observed()
    assert first == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text().replace(",M,Total,150972,150972,", ",M,Total,1,1,", 1))
    assert observed() == first  # the bytes changed, the pin did not: nothing re-pinned yet
    write_registry(synthetic_env.mirror_dir.parent)  # re-pinned
    second = observed()
    assert second != first and second == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failed_blocking_check_reads_like_the_cli(tmp_path, monkeypatch, capsys):
    """A generated mirror whose 2017-18 drug figure is off: reproduction fails, nothing ships."""
    cols = columns_for("2017-18")
    cols[3].england *= 1.5  # drug treatment 50% higher: the -£105m no longer reproduces
    sheets = ra_grid("2017-18", "Net current expenditure", style="2017", columns=cols)
    make_mirror(tmp_path, overrides={"2017-18": {"RA LA Data 2017-18": sheets}})
    settings = settings_for(tmp_path)
    point_env_at(monkeypatch, settings)
    code, cli_line = cli_error(capsys)
    assert code == 5 and cli_line.startswith("spendtrack: error: out.reproduction: blocking")
    result = run_refresh_job(dg.DagsterInstance.ephemeral())
    assert not result.success
    assert failure_line(result) == cli_line.removeprefix("spendtrack: error: ")
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["reproduction"]
    assert failed[0].description == failure_line(result)
    docs = failed[0].metadata["data_docs"].value  # not a GX check: the run's data docs index
    assert docs == (settings.reports_dir / "validation" / "index.html").as_uri()
    assert not materialized(result)  # nothing was published, so nothing is reported built
    assert not settings.database_path.exists()


def test_a_layout_error_reads_like_the_cli(tmp_path, monkeypatch, capsys):
    cols = columns_for("2016-17")
    cols[4].marker_for = {"E0101": "see note"}
    sheets = ra_grid("2016-17", "Net current expenditure", style="2016", columns=cols)
    make_mirror(tmp_path, overrides={"2016-17": {"RA LA Data 2016-17": sheets}})
    settings = settings_for(tmp_path)
    point_env_at(monkeypatch, settings)
    code, cli_line = cli_error(capsys)
    assert code == 4 and "cell I8" in cli_line
    result = run_refresh_job(dg.DagsterInstance.ephemeral())
    assert not result.success
    assert failure_line(result) == cli_line.removeprefix("spendtrack: error: ")
    [event] = result.get_step_failure_events()
    metadata = event.step_failure_data.user_failure_data.metadata
    assert metadata["cell"].value == "I8" and metadata["spendtrack exit code"].value == 4


def repin_viewit(settings) -> None:
    """A republished ViewIt export: one breakdown figure no claim uses, re-pinned."""
    path = settings.mirror_dir / VIEWIT_PATH
    text = path.read_text()
    assert ",M,Total,150972,150972," in text
    path.write_text(text.replace(",M,Total,150972,150972,", ",M,Total,150973,150973,", 1))
    write_registry(settings.mirror_dir.parent)


VIEWIT_READERS = {
    "raw/ndtms__viewit_adults",
    "core/adults_in_treatment",
    "core/adults_in_treatment_source_comparison",
    "out/treatment_trends",
    "out/spend_per_person_in_treatment",
    "out/reproduction",
    "reference/sources",
}


def test_nightly_schedule_runs_the_change_plan(synthetic_env, capsys):
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert main(["refresh"]) == 0
    assert not schedule.evaluate_tick(dg.build_schedule_context()).run_requests  # no-op night
    repin_viewit(synthetic_env)
    [request] = schedule.evaluate_tick(dg.build_schedule_context()).run_requests
    assert request.tags["spendtrack/plan"].startswith(
        "sources ['ohid_ndtms_viewit_adults'] changed: rebuilding 7 of"
    )
    tables = {k.to_user_string() for k in request.asset_selection if k.path[0] != "source"}
    assert tables == VIEWIT_READERS | {"published/spendtrack_database"}
    result = run_refresh_job(
        dg.DagsterInstance.ephemeral(), asset_selection=request.asset_selection, tags=request.tags
    )
    assert result.success
    assert materialized(result) == tables
    observed = [k for k in request.asset_selection if k.path[0] == "source"]
    assert observed and len(result.get_asset_observation_events()) == len(observed)
    skipped = schedule.evaluate_tick(dg.build_schedule_context())
    assert not skipped.run_requests and skipped.skip_message.startswith("nothing to do")


def test_a_selection_that_leaves_a_changed_source_unread_keeps_it_for_later(synthetic_env, capsys):
    assert main(["refresh"]) == 0
    repin_viewit(synthetic_env)
    result = materialize(dg.DagsterInstance.ephemeral(), ["out/la_spend_trends"])
    assert result.success and "out/la_spend_trends" in materialized(result)
    assert not fingerprint.up_to_date(synthetic_env)[0]
    assert main(["refresh"]) == 0
    err = capsys.readouterr().err
    assert "sources ['ohid_ndtms_viewit_adults'] changed: rebuilding 7 of" in err
    with duckdb.connect(str(synthetic_env.database_path), read_only=True) as con:
        men = con.execute(
            "SELECT people FROM raw.ndtms__viewit_adults WHERE financial_year = '2013-14' "
            "AND substance_group = 'total' AND sex = 'm' AND age_band = 'total'"
        ).fetchone()[0]
    assert men == 150_973
    assert main(["refresh"]) == 0
    assert capsys.readouterr().err.startswith("nothing to do")


@pytest.mark.real
def test_job_materialises_every_asset_on_the_mirror(mirror_run):
    """The `refresh` job on the real mirror (run once for the suite, see conftest.mirror_run):
    every table and the published database materialised, every asset check passed."""
    settings, run = mirror_run
    assert run["success"], run["failures"]
    assert run["checks"] and all(passed for _check, passed in run["checks"])
    assert set(run["materialized"]) == {s.name.replace(".", "/") for s in TABLES} | {
        "published/spendtrack_database"
    }
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        status = con.execute(
            "SELECT status FROM out.reproduction WHERE claim_id = 'sots17_adults_change'"
        ).fetchone()[0]
    assert status == "reproduced"


@pytest.mark.real
def test_declared_sources_cover_what_the_build_read(mirror_lake):
    """The Dagster graph draws each table's source files from its declaration; a build's
    record of what each table actually read must not go beyond it."""
    registry = load_sources(mirror_lake.sources_path)
    lineage = fingerprint.read(mirror_lake).lineage
    for spec in TABLES:
        read = set(lineage.get(spec.name, []))
        undeclared = read - set(declared_sources(spec, registry))
        assert not undeclared, (
            f"{spec.name} reads {sorted(undeclared)}: declare them on its TableSpec"
        )
