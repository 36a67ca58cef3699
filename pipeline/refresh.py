"""fetch -> build -> check -> publish: what `spendtrack refresh` and the nightly job run.

The build goes into a new file under `<lake>/.staging/`; only when every blocking check has
passed is it moved over the published database. On any failure the staging file is deleted
and the published database, Parquet files and reports are left exactly as they were.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.build import build_database
from pipeline.config import Settings
from pipeline.publish import publish_file, refresh_lock


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"


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


def refresh(
    settings: Settings, *, progress: Callable[[str], None] = print, wait_s: float = 0.0
) -> Path:
    """Build, check and publish; return the published database path."""
    from assets.tables import TABLES

    with refresh_lock(settings.lake_dir, wait_s=wait_s):
        run_id = new_run_id()
        staging_dir = settings.staging_dir / run_id
        staging_dir.mkdir(parents=True, exist_ok=True)
        staging_db = staging_dir / "spendtrack.duckdb"
        try:
            progress(f"building {staging_db}")
            build_database(staging_db, settings, TABLES, run_id=run_id, progress=progress)
            parquet = export_parquet(staging_db, staging_dir / "parquet")
            publish_file(staging_db, settings.database_path)
            settings.parquet_dir.mkdir(parents=True, exist_ok=True)
            for path in parquet:
                os.replace(path, settings.parquet_dir / path.name)
            progress(f"published {settings.database_path} ({len(parquet)} Parquet tables)")
        finally:
            shutil.rmtree(staging_dir, ignore_errors=True)
    return settings.database_path
