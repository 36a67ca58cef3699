"""Build every table of the graph into one DuckDB file, running each table's blocking checks.

A failed check raises ValidationError at once: nothing downstream is built and the caller
(`pipeline.refresh`) never publishes the file.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.config import SQL_DIR, Settings
from pipeline.errors import ValidationError
from pipeline.graph import SCHEMAS, BuildContext, CheckResult, TableSpec, checks_for, topological

DICTIONARY_CSV = SQL_DIR / "dictionary.csv"


def run_checks(spec: TableSpec, con) -> list[CheckResult]:
    results: list[CheckResult] = []
    for check in checks_for(spec):
        results.extend(check(con))
    return results


def record_checks(con, run_id: str, table: str, results: list[CheckResult]) -> None:
    con.executemany(
        "INSERT INTO checks.validation_results VALUES (?, ?, ?, ?, ?, ?, now())",
        [(run_id, table, r.name, r.passed, r.description, r.observed) for r in results],
    )


def create_schemas(con) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(
        "CREATE TABLE IF NOT EXISTS checks.validation_results (run_id VARCHAR, table_name "
        "VARCHAR, expectation VARCHAR, success BOOLEAN, description VARCHAR, observed_value "
        "VARCHAR, checked_at TIMESTAMP WITH TIME ZONE)"
    )


def apply_dictionary(con, path: Path = DICTIONARY_CSV) -> None:
    """COMMENT ON every table and column described in sql/dictionary.csv."""
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = row["description"].replace("'", "''")
            if row["column"]:
                con.execute(f"COMMENT ON COLUMN {row['table']}.{row['column']} IS '{text}'")
            else:
                con.execute(f"COMMENT ON TABLE {row['table']} IS '{text}'")


def build_database(
    path: Path,
    settings: Settings,
    tables: tuple[TableSpec, ...],
    *,
    run_id: str,
    progress: Callable[[str], None] = print,
) -> BuildContext:
    """Build all `tables` into `path` (a new file); raise on the first failed blocking check."""
    import duckdb

    con = duckdb.connect(str(path))
    ctx = BuildContext(con=con, settings=settings, progress=progress)
    try:
        create_schemas(con)
        for spec in topological(list(tables)):
            started = time.perf_counter()
            rows = materialize(spec, ctx)
            results = run_checks(spec, con)
            record_checks(con, run_id, spec.name, results)
            failed = [r for r in results if not r.passed]
            progress(
                f"  {spec.name}: {rows:,} rows, {len(results)} checks "
                f"({time.perf_counter() - started:.2f}s)"
            )
            if failed:
                raise ValidationError(
                    f"{spec.name}: blocking check failed: "
                    + "; ".join(f"{r.name} ({r.description}): {r.observed}" for r in failed)
                )
        apply_dictionary(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return ctx


def materialize(spec: TableSpec, ctx: BuildContext) -> int:
    from pipeline.graph import materialize_table

    return materialize_table(spec, ctx)
