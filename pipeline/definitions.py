"""Dagster definitions: one asset per table, blocking asset checks, the nightly job and schedule.

The assets walk the same table graph as `spendtrack refresh` and call the same `build_table`
and `publish_build`, so the UI, the schedule and the CLI run one code path. The job uses the
in-process executor: every step writes to one staging DuckDB file, which takes one writer.
"""

# No `from __future__ import annotations`: Dagster reads the context type hints at runtime.

import shutil
from pathlib import Path

import dagster as dg

from assets.tables import TABLES
from pipeline import fingerprint
from pipeline.build import build_table, failure_message, finalize
from pipeline.config import Settings
from pipeline.graph import BuildContext, TableSpec, checks_for
from pipeline.publish import refresh_lock
from pipeline.refresh import STAGING_DB, clear_stale_staging, publish_build


class SpendtrackResource(dg.ConfigurableResource):
    """Directories for a run, and the refresh lock held for the whole run."""

    lake_dir: str = ""
    mirror_dir: str = ""
    cache_dir: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(
            mirror=self.mirror_dir or None, lake=self.lake_dir or None, cache=self.cache_dir or None
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._lock = refresh_lock(self.settings().lake_dir)
        self._lock.__enter__()
        clear_stale_staging(self.settings())

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._lock.__exit__(None, None, None)

    def staging_dir(self, run_id: str) -> Path:
        path = self.settings().staging_dir / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def connect(self, run_id: str):
        import duckdb

        return duckdb.connect(str(self.staging_dir(run_id) / STAGING_DB))


def asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name.split("."))


def table_asset(spec: TableSpec) -> dg.AssetsDefinition:
    check_names = [c.name for c in checks_for(spec)]

    @dg.asset(
        key=asset_key(spec.name),
        group_name=spec.schema,
        description=spec.description,
        deps=[asset_key(d) for d in spec.deps],
        check_specs=[
            dg.AssetCheckSpec(name, asset=asset_key(spec.name), blocking=True)
            for name in check_names
        ],
        kinds={"duckdb"},
    )
    def _asset(context: dg.AssetExecutionContext, spendtrack: SpendtrackResource):
        con = spendtrack.connect(context.run.run_id)
        try:
            ctx = BuildContext(con=con, settings=spendtrack.settings(), progress=context.log.info)
            rows, outcomes = build_table(spec, ctx, context.run.run_id)
        finally:
            con.close()
        yield dg.MaterializeResult(metadata={"rows": rows})
        for name in check_names:
            results = outcomes[name]
            failed = [r for r in results if not r.passed]
            yield dg.AssetCheckResult(
                check_name=name,
                passed=not failed,
                severity=dg.AssetCheckSeverity.ERROR,
                description=failure_message(spec, failed) if failed else results[0].description,
                metadata={
                    r.name: f"{'passed' if r.passed else 'FAILED'}: {r.observed}" for r in results
                },
            )

    return _asset


TABLE_ASSETS = [table_asset(spec) for spec in TABLES]
LEAVES = [s.name for s in TABLES if not any(s.name in o.deps for o in TABLES)]


@dg.asset(
    key=dg.AssetKey(["published", "spendtrack_database"]),
    group_name="published",
    description="The checked build moved atomically over data_lake/spendtrack.duckdb, with "
    "out.* tables written to data_lake/parquet/. Runs only when every blocking check passed.",
    deps=[asset_key(name) for name in LEAVES],
    kinds={"duckdb", "parquet"},
)
def spendtrack_database(context: dg.AssetExecutionContext, spendtrack: SpendtrackResource):
    con = spendtrack.connect(context.run.run_id)
    try:
        finalize(con)
    finally:
        con.close()
    staging = spendtrack.staging_dir(context.run.run_id)
    try:
        path = publish_build(staging, spendtrack.settings())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dg.MaterializeResult(metadata={"path": str(path)})


refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Fetch, build, check and publish the database (what `spendtrack refresh` runs).",
)


@dg.schedule(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext):
    """Run the refresh job at 02:00 London time, unless nothing changed since the last publish."""
    current, why = fingerprint.up_to_date(Settings.from_env())
    if current:
        return dg.SkipReason(f"nothing to do: {why}")
    return dg.RunRequest(run_key=None, tags={"reason": why})


@dg.sensor(
    name="new_releases",
    job=refresh_job,
    minimum_interval_seconds=24 * 3600,
    default_status=dg.DefaultSensorStatus.STOPPED,  # needs the internet; turn on where it has it
    description="Asks the GOV.UK Content API for spreadsheets on the known landing pages that "
    "sources.toml does not list (as `spendtrack sources discover`). It never starts a run and "
    "never edits sources.toml: a new file needs its checksum pinned and its layout mapped.",
)
def new_releases(context: dg.SensorEvaluationContext):
    import os

    from pipeline.discover import DEFAULT_API, discover
    from pipeline.sources import load_sources

    settings = Settings.from_env()
    api = os.environ.get("SPENDTRACK_GOVUK_API") or DEFAULT_API
    found, problems = discover(load_sources(settings.sources_path, enabled_only=False), api=api)
    new = [a for a in found if a.status == "new"]
    for item in new:
        context.log.warning(f"new release: {item.file_name} on {item.page.path} ({item.url})")
    return dg.SkipReason(
        f"{len(new)} new spreadsheets ({', '.join(a.file_name for a in new) or 'none'}); "
        f"{len(problems)} pages not read; sources.toml unchanged"
    )


defs = dg.Definitions(
    assets=[*TABLE_ASSETS, spendtrack_database],
    jobs=[refresh_job],
    schedules=[nightly_refresh],
    sensors=[new_releases],
    resources={"spendtrack": SpendtrackResource()},
)
