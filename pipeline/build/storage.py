"""The DuckDB file format of the published database, and opening a build in it.

DuckDB 2.0 writes a storage format that no 1.x reader opens (the PyPI `duckdb-cli` 1.5,
the R package, DBeaver's driver). A build is written for DuckDB v1.1.0 instead (storage
version 64, which DuckDB 1.0 and 1.1 share; DuckDB tags such a file 'v1.0.0+'), and every
DuckDB from 1.1.0 on reads it. It is the oldest format that keeps everything the database
holds: table and column comments, the `real_terms` macro with its two parameter lists (an
overload DuckDB 1.0 cannot read back, though 2.0 writes it under 'v1.0.0' all the same),
and the types used (VARCHAR, BIGINT, INTEGER, DOUBLE, DECIMAL, BOOLEAN, TIMESTAMP WITH
TIME ZONE). Typed macro parameters (`CREATE MACRO f(a DOUBLE)`) would need 'v1.4.0':
DuckDB refuses to create one in this format, so a build never silently drops it.

`SPENDTRACK_STORAGE_VERSION` overrides the format (for instance `latest`, for sites whose
readers all run DuckDB 2.0); it is part of the build fingerprint, so changing it rebuilds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

STORAGE_VERSION = "v1.1.0"
READERS = "DuckDB 1.1.0 and later"  # tested: README, "Which DuckDB opens it"
# DuckDB's buffer for the build; beyond it, it writes to disk. Unbounded, loading the 2.3
# million raw cells peaks at about 1.4 GB; at 384 MB the whole refresh stays under 0.9 GB for
# 2 to 3 s more (bench/run.py). SPENDTRACK_DUCKDB_MEMORY overrides it.
BUILD_MEMORY_LIMIT = "384MB"


def storage_version() -> str:
    return os.environ.get("SPENDTRACK_STORAGE_VERSION") or STORAGE_VERSION


# DuckDB's threads for the build. One thread writes the raw cells with a quarter less CPU
# than two (compressing in parallel costs more than it saves on two cores), and leaves the
# second core to Python: reading workbooks, importing and running Great Expectations.
# SPENDTRACK_DUCKDB_THREADS overrides it.
BUILD_THREADS = 1


def connect_build(path: Path):
    """A read-write connection to a build file; a new file is created in the chosen format."""
    import duckdb

    return duckdb.connect(
        str(path),
        config={
            "memory_limit": os.environ.get("SPENDTRACK_DUCKDB_MEMORY", BUILD_MEMORY_LIMIT),
            "threads": int(os.environ.get("SPENDTRACK_DUCKDB_THREADS", BUILD_THREADS)),
            "storage_compatibility_version": storage_version(),
        },
    )


def file_format(path: Path) -> str:
    """The storage format a DuckDB file is written in, as DuckDB tags it ('v1.0.0+', ...)."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() "
            "WHERE database_name = current_database()"
        ).fetchone()[0]


def format_written(work_dir: Path) -> str:
    """The tag DuckDB gives a file written in the chosen format (a probe file in `work_dir`)."""
    probe = work_dir / ".storage-format-probe.duckdb"
    probe.unlink(missing_ok=True)
    try:
        with connect_build(probe):
            pass
        return file_format(probe)
    finally:
        probe.unlink(missing_ok=True)


def copy_for_build(published: Path, target: Path) -> str:
    """Copy the published database to `target` to rebuild part of it; return how.

    A file in another format (written before the format was chosen, or under another
    `SPENDTRACK_STORAGE_VERSION`) is rewritten table by table into the chosen one, so that
    a partial rebuild never publishes a file some readers cannot open.
    """
    import duckdb

    wanted = format_written(target.parent)
    found = file_format(published)
    if found == wanted:
        shutil.copyfile(published, target)
        return "copied"
    with duckdb.connect(config={"storage_compatibility_version": storage_version()}) as con:
        con.execute(f"ATTACH '{published}' AS published (READ_ONLY)")
        con.execute(f"ATTACH '{target}' AS staging (STORAGE_VERSION '{storage_version()}')")
        con.execute("COPY FROM DATABASE published TO staging")
        con.execute("DETACH staging")
    return f"rewritten from storage format {found} to {wanted}"
