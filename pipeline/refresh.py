"""fetch -> build -> check -> publish: what `spendtrack refresh` and every Dagster run execute.

The build goes into a new directory under `<lake>/.staging/`; only when every blocking check
has passed is the database moved over the published one. On any failure the staging
directory is deleted and the published database, Parquet files and reports stay as they were.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.build import fingerprint, plan
from pipeline.build.engine import OnTable, build_database
from pipeline.build.plan import Plan
from pipeline.build.publish import publish_file, refresh_lock
from pipeline.build.storage import copy_for_build
from pipeline.checks import gx_worker
from pipeline.config import Settings
from pipeline.errors import AfterPublishError, SpendtrackError

STAGING_DB = "spendtrack.duckdb"


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"


def clear_stale_staging(settings: Settings) -> None:
    """Remove builds left by crashed runs; call only while holding the refresh lock."""
    if settings.staging_dir.exists():
        shutil.rmtree(settings.staging_dir, ignore_errors=True)


def export_parquet(database: Path, out_dir: Path) -> list[Path]:
    """Write every out.* table of `database` to `<out_dir>/<table>.parquet`."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'out' ORDER BY 1"
            ).fetchall()
        ]
        for name in names:
            target = out_dir / f"{name}.parquet"
            con.execute(f"COPY out.{name} TO '{target}' (FORMAT parquet)")
            written.append(target)
    return written


def publish_build(
    staging_dir: Path,
    settings: Settings,
    record: fingerprint.BuiltFrom | None,
    lineage: dict[str, list[str]] | None = None,
) -> Path:
    """Export Parquet from a checked build, then move database and Parquet into place.

    `record` (what the build was made from, taken before it read anything) is written after
    the move, the old one removed before it, so an interrupted publish forces a full
    rebuild; without one, nothing is recorded and the next refresh rebuilds everything.
    """
    staging_db = staging_dir / STAGING_DB
    parquet = export_parquet(staging_db, staging_dir / "parquet")
    fingerprint.forget(settings)
    publish_file(staging_db, settings.database_path)
    settings.parquet_dir.mkdir(parents=True, exist_ok=True)
    for path in parquet:
        os.replace(path, settings.parquet_dir / path.name)
    if record is not None:
        fingerprint.record(settings, record, parquet, lineage)
    return settings.database_path


def execute(
    settings: Settings,
    todo: Plan,
    built_from: fingerprint.BuiltFrom,
    *,
    progress: Callable[[str], None] = print,
    on_table: OnTable | None = None,
    run_id: str | None = None,
) -> Path:
    """Build what `todo` says in a new staging file, check it, publish it; return its path.

    The caller holds the refresh lock. A partial plan starts from a copy of the published
    database; on any failure the staging directory is removed and nothing is published. A
    failure after the publish (the data docs) is an AfterPublishError that says so.
    """
    from assets.tables import TABLES

    clear_stale_staging(settings)
    run_id = run_id or new_run_id()
    staging_dir = settings.staging_dir / run_id
    staging_dir.mkdir(parents=True, exist_ok=True)
    staging_db = staging_dir / STAGING_DB
    try:
        if todo.tables is None:
            progress(f"building {staging_db} (full build: {todo.reason})")
        else:
            progress(f"building {staging_db} ({todo.reason})")
            if settings.database_path.exists():
                how = copy_for_build(settings.database_path, staging_db)
                if how != "copied":
                    progress(f"  the published database was {how}")
        ctx = build_database(
            staging_db,
            settings,
            TABLES,
            run_id=run_id,
            progress=progress,
            only=todo.tables,
            on_table=on_table,
        )
        previous = todo.previous.lineage if todo.previous and todo.tables is not None else {}
        lineage = dict(previous)
        lineage.update({table: sorted(ids) for table, ids in ctx.reads.items()})
        record = fingerprint.after_build(built_from, todo.previous, todo.tables, lineage)
        path = publish_build(staging_dir, settings, record, lineage)
    except BaseException:
        shutil.rmtree(staging_dir, ignore_errors=True)
        try:
            gx_worker.wait_docs()  # the failed build's data docs: worth having, not worth a mask
        except SpendtrackError as docs:
            progress(f"  the validation data docs were not rendered: {docs.one_line()}")
        raise
    progress(f"published {path}")
    shutil.rmtree(staging_dir, ignore_errors=True)
    try:
        gx_worker.wait_docs()  # the data docs, rendered while the build was published
    except SpendtrackError as exc:
        raise AfterPublishError(
            f"published {path}, but the validation data docs in "
            f"{settings.reports_dir / 'validation'} were not rendered: {exc.one_line()}"
        ) from exc
    return path


def refresh(
    settings: Settings,
    *,
    progress: Callable[[str], None] = print,
    wait_s: float = 0.0,
    force: bool = False,
) -> Path:
    """Build, check and publish; return the published database path.

    Without `force`, a database already built from the same sources and code is left as it
    is, and when only some sources changed only the tables that read them (and what depends
    on those) are rebuilt, on a copy of the published database, with all their checks.
    """
    from assets.tables import TABLES

    with refresh_lock(settings.lake_dir, wait_s=wait_s):
        built_from = fingerprint.BuiltFrom.now(settings)
        todo = plan.for_changes(settings, list(TABLES), built_from)
        if force:
            todo = Plan(None, "--force")
        if todo.is_noop:
            progress(f"nothing to do: {todo.reason}")
            if todo.previous and todo.previous.fingerprint != built_from.fingerprint:
                # the registry changed outside any source entry: note it, build nothing
                parquet = sorted(settings.parquet_dir.glob("*.parquet"))
                fingerprint.record(settings, built_from, parquet, todo.previous.lineage)
            return settings.database_path
        return execute(settings, todo, built_from, progress=progress)
