"""Dagster definitions: the source files, every table, the published database, their blocking
checks, the nightly schedule and the new-releases sensor.

- Each file in `data_raw/sources.toml` is an observable external asset (`source/<id>`) whose
  data version is its pinned sha256; the raw tables depend on the files they read, so a
  re-pinned file marks what is downstream of it stale.
- Every table, and the published database, is one asset of a single subsettable asset
  (`build_and_publish`): whatever is selected, the run asks `pipeline.build.plan` for the selected
  tables and everything downstream of them and builds that with `pipeline.refresh.execute`,
  the code `spendtrack refresh` runs: on a copy of the published database, every check
  blocking, published atomically. Tables rebuilt because they are downstream of the
  selection are reported as materialisations too.
- Materialisations are reported only after the publish, since a table exists for its readers
  only then; a failure carries the CLI's one-line message.
"""

# No `from __future__ import annotations`: Dagster reads the context type hints at runtime.

import inspect
import warnings
from collections.abc import Iterator

import dagster as dg

from assets.tables import TABLES
from pipeline import asset_metadata
from pipeline.build import fingerprint, plan
from pipeline.build.engine import failure_message, table_description
from pipeline.build.graph import declared_sources as declared
from pipeline.build.publish import refresh_lock
from pipeline.build.storage import READERS, file_format, storage_version
from pipeline.checks.keys import checks_for
from pipeline.config import Settings
from pipeline.errors import SpendtrackError
from pipeline.model import BuildContext, CheckResult, TableCheck, TableSpec
from pipeline.refresh import execute
from pipeline.sources.registry import load_sources

PUBLISHED = dg.AssetKey(["published", "spendtrack_database"])
PLAN_TAG = "spendtrack/plan"


class SpendtrackResource(dg.ConfigurableResource):
    """Directories for a run (defaults: the environment, as for the CLI)."""

    lake_dir: str = ""
    mirror_dir: str = ""
    cache_dir: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(
            mirror=self.mirror_dir or None, lake=self.lake_dir or None, cache=self.cache_dir or None
        )


def asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(name.split("."))


def source_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(["source", source_id])


# ---- the source files --------------------------------------------------------------------

REGISTRY = load_sources(Settings.from_env().sources_path, enabled_only=False)


def source_spec(src) -> dg.AssetSpec:
    pinned = "" if src.enabled else " Known but not pinned yet: nothing reads it."
    return dg.AssetSpec(
        source_key(src.id),
        description=f"{src.title}. {src.publisher}; {src.licence}.{pinned}",
        group_name="sources",
        metadata=asset_metadata.source_metadata(src),
        kinds={src.kind},
    )


def observe_sources(context: dg.AssetExecutionContext) -> Iterator[dg.ObserveResult]:
    """Each selected source's data version: its sha256 as pinned in the registry."""
    settings = context.resources.spendtrack.settings()
    registry = {s.id: s for s in load_sources(settings.sources_path, enabled_only=False)}
    for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
        src = registry.get(key.path[-1])
        if src is None:
            yield dg.ObserveResult(
                asset_key=key, metadata={"status": f"not in {settings.sources_path}"}
            )
        elif not src.enabled or not src.sha256:
            yield dg.ObserveResult(asset_key=key, metadata={"status": "not pinned"})
        else:
            yield dg.ObserveResult(
                asset_key=key,
                data_version=dg.DataVersion(src.sha256),
                metadata={"sha256": src.sha256, "bytes": dg.MetadataValue.int(src.bytes)},
            )


with warnings.catch_warnings():  # the decorator is marked beta; it is what this needs
    warnings.simplefilter("ignore", dg.BetaWarning)
    sources = dg.multi_observable_source_asset(
        name="observe_sources",
        specs=[source_spec(s) for s in REGISTRY],
        can_subset=True,
        required_resource_keys={"spendtrack"},
        description="Reads data_raw/sources.toml: each file's data version is its sha256.",
    )(observe_sources)


# ---- the tables and the published database -----------------------------------------------

ENABLED = [s for s in REGISTRY if s.enabled]
CHECKS: dict[str, tuple[TableCheck, ...]] = {spec.name: checks_for(spec) for spec in TABLES}


def table_spec(spec: TableSpec) -> dg.AssetSpec:
    return dg.AssetSpec(
        asset_key(spec.name),
        deps=[asset_key(d) for d in spec.deps] + [source_key(s) for s in declared(spec, ENABLED)],
        description=table_description(spec.name) or spec.description,
        group_name=spec.schema,
        metadata={"dagster/table_name": asset_metadata.table_name(spec)},
        kinds={"duckdb"},
    )


def check_description(check: TableCheck) -> str:
    return check.description or (inspect.getdoc(check.run) or check.name).splitlines()[0]


LEAVES = [s.name for s in TABLES if not any(s.name in o.deps for o in TABLES)]
PUBLISHED_SPEC = dg.AssetSpec(
    PUBLISHED,
    deps=[asset_key(name) for name in LEAVES],
    description="The checked build moved atomically over data_lake/spendtrack.duckdb (in a "
    f"storage format {READERS} read), with every out table written to "
    "data_lake/parquet/. Materialised alone, it runs `spendtrack refresh`'s change plan.",
    group_name="published",
    kinds={"duckdb", "parquet"},
    skippable=True,  # alone, with nothing changed, there is nothing to publish
)


def check_result(
    spec: TableSpec, check: TableCheck, results: list[CheckResult], settings: Settings
) -> dg.AssetCheckResult:
    failed = [r for r in results if not r.passed]
    return dg.AssetCheckResult(
        asset_key=asset_key(spec.name),
        check_name=check.name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=failure_message(spec, failed) if failed else check_description(check),
        metadata=asset_metadata.check_metadata(
            results, settings.reports_dir / "validation" / "index.html"
        ),
    )


def failure(exc: SpendtrackError) -> dg.Failure:
    """The CLI's one-line message as the step's failure, with where it points."""
    where = {"file": exc.file, "sheet": exc.sheet, "cell": exc.cell}
    metadata = {k: v for k, v in where.items() if v}
    metadata["spendtrack exit code"] = exc.exit_code
    return dg.Failure(description=exc.one_line(), metadata=metadata, allow_retries=False)


def checks_only(context: dg.AssetExecutionContext, settings: Settings):
    """Run the selected checks on the published database as it is (no build)."""
    if not settings.database_path.exists():
        raise failure(
            SpendtrackError(
                "no published database to check; materialise it first",
                file=str(settings.database_path),
            )
        )
    import duckdb

    by_name = {spec.name: spec for spec in TABLES}
    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        for key in context.selected_asset_check_keys:
            spec = by_name[".".join(key.asset_key.path)]
            check = next(c for c in CHECKS[spec.name] if c.name == key.name)
            # A cursor per check: a check that stops fetching early (fetchone) leaves its
            # result open, and DuckDB refuses the next query on that same connection.
            with con.cursor() as cursor:
                ctx = BuildContext(con=cursor, settings=settings, progress=context.log.info)
                yield check_result(spec, check, check.run(ctx), settings)


@dg.multi_asset(
    name="build_and_publish",
    specs=[*(table_spec(spec) for spec in TABLES), PUBLISHED_SPEC],
    check_specs=[
        dg.AssetCheckSpec(
            check.name,
            asset=asset_key(spec.name),
            blocking=True,
            description=check_description(check),
        )
        for spec in TABLES
        for check in CHECKS[spec.name]
    ],
    can_subset=True,
    description="Builds the selected tables and everything downstream of them (on a copy of "
    "the published database), runs every blocking check, then publishes.",
)
def build_and_publish(context: dg.AssetExecutionContext, spendtrack: SpendtrackResource):
    settings = spendtrack.settings()
    selected = context.selected_asset_keys
    if not selected:
        yield from checks_only(context, settings)
        return
    asked = {spec.name for spec in TABLES if asset_key(spec.name) in selected}
    built: list[tuple[TableSpec, dict[str, list[CheckResult]], dict[str, object]]] = []

    def on_table(spec: TableSpec, ctx: BuildContext, rows: int, outcomes: dict) -> None:
        built.append((spec, outcomes, asset_metadata.table_metadata(ctx.con, spec, rows)))

    try:
        with refresh_lock(settings.lake_dir):
            built_from = fingerprint.BuiltFrom.now(settings)
            if asked:
                reason = context.run.tags.get(PLAN_TAG) or f"{len(asked)} tables selected"
                previous = fingerprint.published_record(settings)
                todo = plan.for_tables(settings, list(TABLES), asked, reason, previous=previous)
            else:
                todo = plan.for_changes(settings, list(TABLES), built_from)
            if todo.is_noop:
                context.log.info(f"nothing to do: {todo.reason}")
                return
            path = execute(
                settings,
                todo,
                built_from,
                progress=context.log.info,
                on_table=on_table,
                run_id=context.run.run_id,
            )
    except SpendtrackError as exc:
        if built:  # the table whose check failed: its results, nothing materialised
            spec, outcomes, _ = built[-1]
            for check in CHECKS[spec.name]:
                if not all(r.passed for r in outcomes[check.name]):
                    yield check_result(spec, check, outcomes[check.name], settings)
        raise failure(exc) from None

    for spec, outcomes, metadata in built:
        key = asset_key(spec.name)
        if key in selected:
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        else:
            yield dg.AssetMaterialization(
                asset_key=key,
                metadata=metadata,
                description="rebuilt because it is downstream of the selection",
            )
        for check in CHECKS[spec.name]:
            yield check_result(spec, check, outcomes[check.name], settings)
    published = {
        "path": dg.MetadataValue.path(str(path)),
        "plan": todo.reason,
        "tables rebuilt": dg.MetadataValue.int(len(built)),
        "storage format": f"{storage_version()} (DuckDB's tag: {file_format(path)})",
        "parquet": dg.MetadataValue.path(str(settings.parquet_dir)),
    }
    if PUBLISHED in selected:
        yield dg.MaterializeResult(asset_key=PUBLISHED, metadata=published)
    else:
        yield dg.AssetMaterialization(asset_key=PUBLISHED, metadata=published)


# ---- jobs, schedule, sensor ---------------------------------------------------------------

refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.assets(sources, build_and_publish),
    description="Observe the sources, then build, check and publish every table. The nightly "
    "schedule runs it on just the tables its change plan names.",
)


@dg.schedule(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext):
    """At 02:00 London time, `spendtrack refresh`'s change plan: no run when nothing changed,
    otherwise a run of the tables that read a changed source and what depends on them."""
    settings = Settings.from_env()
    current, why = fingerprint.up_to_date(settings)  # cheap: no database opened
    if current:
        return dg.SkipReason(f"nothing to do: {why}")
    todo = plan.for_changes(settings, list(TABLES), fingerprint.BuiltFrom.now(settings))
    if todo.is_noop:
        return dg.SkipReason(f"nothing to do: {todo.reason}")
    tables = [s.name for s in TABLES if todo.tables is None or s.name in todo.tables]
    return dg.RunRequest(
        asset_selection=[
            *(source_key(s.id) for s in REGISTRY),
            *(asset_key(name) for name in tables),
            PUBLISHED,
        ],
        tags={PLAN_TAG: todo.reason},
    )


@dg.sensor(
    name="new_releases",
    job=refresh_job,
    minimum_interval_seconds=24 * 3600,
    default_status=dg.DefaultSensorStatus.STOPPED,  # needs the internet; turn on where it has it
    description="Asks the GOV.UK Content API for spreadsheets on the known landing pages that "
    "sources.toml does not list (as `spendtrack sources discover`), and compares every archived "
    "source with its official address (as `spendtrack sources check-upstream`: unchanged, "
    "changed, moved, gone, unreachable). It never starts a run and never edits sources.toml: a "
    "new file is adopted with `spendtrack sources add`.",
)
def new_releases(context: dg.SensorEvaluationContext):
    import os

    from pipeline.sources.discover import DEFAULT_API, discover
    from pipeline.sources.upstream import check_upstream

    settings = Settings.from_env()
    api = os.environ.get("SPENDTRACK_GOVUK_API") or DEFAULT_API
    found, problems = discover(load_sources(settings.sources_path, enabled_only=False), api=api)
    new = [a for a in found if a.status == "new"]
    for item in new:
        context.log.warning(f"new release: {item.file_name} on {item.page.path} ({item.url})")
    upstream = check_upstream(load_sources(settings.sources_path))
    for status in upstream:
        log = context.log.warning if status.needs_attention else context.log.info
        log(f"upstream {status.source.id}: {status.status} {status.detail}".rstrip())
    attention = [f"{s.source.id} {s.status}" for s in upstream if s.needs_attention]
    return dg.SkipReason(
        f"{len(new)} new spreadsheets ({', '.join(a.file_name for a in new) or 'none'}); "
        f"{len(problems)} pages not read; upstream: {', '.join(attention) or 'all unchanged'}; "
        "sources.toml unchanged"
    )


defs = dg.Definitions(
    assets=[sources, build_and_publish],
    jobs=[refresh_job],
    schedules=[nightly_refresh],
    sensors=[new_releases],
    resources={"spendtrack": SpendtrackResource()},
    # One build writes one staging file, which takes one writer: steps run in one process.
    executor=dg.in_process_executor,
)
