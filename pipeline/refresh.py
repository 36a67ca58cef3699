"""fetch -> build -> check -> publish: what `spendtrack refresh` and the nightly job run.

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

from pipeline import fingerprint
from pipeline.build import build_database
from pipeline.config import Settings
from pipeline.publish import publish_file, refresh_lock

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
    built_from: fingerprint.BuiltFrom | None = None,
    lineage: dict[str, list[str]] | None = None,
) -> Path:
    """Export Parquet from a checked build, then move database and Parquet into place.

    `built_from` is taken before the build read anything; the record of it is removed before
    the move and written after, so an interrupted publish forces a full rebuild.
    """
    built_from = built_from or fingerprint.BuiltFrom.now(settings)
    staging_db = staging_dir / STAGING_DB
    parquet = export_parquet(staging_db, staging_dir / "parquet")
    fingerprint.forget(settings)
    publish_file(staging_db, settings.database_path)
    settings.parquet_dir.mkdir(parents=True, exist_ok=True)
    for path in parquet:
        os.replace(path, settings.parquet_dir / path.name)
    fingerprint.record(settings, built_from, parquet, lineage)
    return settings.database_path


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
    from pipeline.graph import downstream

    with refresh_lock(settings.lake_dir, wait_s=wait_s):
        built_from = fingerprint.BuiltFrom.now(settings)
        todo = fingerprint.plan(
            settings, built_from, list(TABLES), lambda names: downstream(list(TABLES), names)
        )
        if force:
            todo = fingerprint.Plan(None, "--force")
        if todo.tables is not None and not todo.tables:
            progress(f"nothing to do: {todo.reason}")
            published = fingerprint.read(settings)
            if published and published.fingerprint != built_from.fingerprint:
                # the registry changed outside any source entry: note it, build nothing
                parquet = sorted(settings.parquet_dir.glob("*.parquet"))
                fingerprint.record(settings, built_from, parquet, todo.lineage)
            return settings.database_path
        clear_stale_staging(settings)
        run_id = new_run_id()
        staging_dir = settings.staging_dir / run_id
        staging_dir.mkdir(parents=True, exist_ok=True)
        staging_db = staging_dir / STAGING_DB
        try:
            if todo.tables is None:
                progress(f"building {staging_db} (full build: {todo.reason})")
            else:
                progress(f"building {staging_db} ({todo.reason})")
                shutil.copyfile(settings.database_path, staging_db)
            ctx = build_database(
                staging_db, settings, TABLES, run_id=run_id, progress=progress, only=todo.tables
            )
            lineage = dict(todo.lineage) if todo.tables is not None else {}
            lineage.update({table: sorted(ids) for table, ids in ctx.reads.items()})
            path = publish_build(staging_dir, settings, built_from, lineage)
            progress(f"published {path}")
        finally:
            shutil.rmtree(staging_dir, ignore_errors=True)
    return path
