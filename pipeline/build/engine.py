"""Build tables into a staging DuckDB file, running each table's blocking checks.

`build_database` is the one loop both runners use (through `pipeline.refresh.execute`): the
CLI's refresh and every Dagster run. A failed check stops the build and nothing is
published. Great Expectations suites run in a process of their own (`pipeline.checks.gx_worker`)
while later tables are built; their results are taken in build order, so the failure
reported is always the first table's, and tables built after it are discarded with the
staging file.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pipeline.build.graph import declared_sources, downstream, materialize_table, topological
from pipeline.checks.keys import checks_for
from pipeline.config import SQL_DIR, Settings
from pipeline.errors import ValidationError, ValidatorProcessError
from pipeline.model import SCHEMAS, BuildContext, CheckResult, TableSpec

DICTIONARY_CSV = SQL_DIR / "dictionary.csv"


def create_schemas(con) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(
        "CREATE TABLE IF NOT EXISTS checks.validation_results (run_id VARCHAR, table_name "
        "VARCHAR, expectation VARCHAR, success BOOLEAN, description VARCHAR, observed_value "
        "VARCHAR, checked_at TIMESTAMP WITH TIME ZONE)"
    )


def record_checks(con, run_id: str, table: str, results: list[CheckResult]) -> None:
    if not results:
        return
    # One statement for all rows: DuckDB's executemany runs (and commits) one per row.
    rows = ", ".join(["(?, ?, ?, ?, ?, ?, now())"] * len(results))
    con.execute(
        f"INSERT INTO checks.validation_results VALUES {rows}",
        [v for r in results for v in (run_id, table, r.name, r.passed, r.description, r.observed)],
    )


def failure_message(spec: TableSpec, failed: list[CheckResult]) -> str:
    return f"{spec.name}: blocking check failed: " + "; ".join(
        f"{r.name} ({r.description}): {r.observed}" for r in failed
    )


class BuiltTable:
    """A table built and described, its checks run or handed to the validation process."""

    def __init__(self, spec: TableSpec, rows: int, started: float) -> None:
        self.spec, self.rows, self.started = spec, rows, started
        self.outcomes: dict[str, list[CheckResult] | object] = {}  # results, or pending ones

    def ready(self) -> bool:
        return all(isinstance(o, list) or o.ready() for o in self.outcomes.values())

    def failed_here(self) -> bool:
        """A check run in this process failed (no need to wait for the others to stop)."""
        return any(
            isinstance(o, list) and not all(r.passed for r in o) for o in self.outcomes.values()
        )

    def collect(self, con, run_id: str) -> dict[str, list[CheckResult]]:
        """Every check's results (waiting for any still on their way), recorded in the database."""
        done = {n: o if isinstance(o, list) else o.result() for n, o in self.outcomes.items()}
        for results in done.values():
            record_checks(con, run_id, self.spec.name, results)
        return done


def start_table(spec: TableSpec, ctx: BuildContext, *, elsewhere: bool) -> BuiltTable:
    """Build `spec`; run its checks here, or hand those that can go to the validation process."""
    started = time.perf_counter()
    create_schemas(ctx.con)
    ctx.building = spec.name
    try:
        rows = materialize_table(spec, ctx)
    finally:
        ctx.building = None
    for name in (spec.name, *spec.parts):
        apply_dictionary(ctx.con, table=name)
    built = BuiltTable(spec, rows, started)
    for check in checks_for(spec):
        if elsewhere and check.submit is not None:
            built.outcomes[check.name] = check.submit(ctx)
        else:
            built.outcomes[check.name] = check.run(ctx)
    return built


def read_dictionary(path: Path = DICTIONARY_CSV) -> list[dict[str, str]]:
    return [dict(row) for row in _parse_dictionary(path.read_bytes())]


@lru_cache(maxsize=4)
def _parse_dictionary(text: bytes) -> tuple[dict[str, str], ...]:
    """The dictionary's rows, parsed once per text (a build reads it once per table)."""
    return tuple(csv.DictReader(io.StringIO(text.decode("utf-8"), newline="")))


def table_description(name: str, path: Path = DICTIONARY_CSV) -> str | None:
    """A table's description in sql/dictionary.csv, if it has one."""
    for row in read_dictionary(path):
        if row["table"] == name and not row["column"]:
            return row["description"]
    return None


def apply_dictionary(con, path: Path = DICTIONARY_CSV, *, table: str | None = None) -> None:
    """COMMENT ON every table and column described in sql/dictionary.csv (or one table's)."""
    rows = [r for r in read_dictionary(path) if table is None or r["table"] == table]
    # One transaction: committing each of several hundred comments on its own costs seconds.
    con.execute("BEGIN TRANSACTION")
    try:
        for row in rows:
            text = row["description"].replace("'", "''")
            if row["column"]:
                con.execute(f"COMMENT ON COLUMN {row['table']}.{row['column']} IS '{text}'")
            else:
                con.execute(f"COMMENT ON TABLE {row['table']} IS '{text}'")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def finalize(con) -> None:
    apply_dictionary(con)
    con.execute("CHECKPOINT")


def verify_sources(ctx: BuildContext, specs: list[TableSpec]) -> None:
    """Fetch and verify every source the tables to be built declare, before building any.

    A missing, truncated, mis-pinned or unreachable file then fails the refresh in a moment,
    naming the file, instead of after every table built before its reader (and their
    checks). What each table reads is still recorded as it reads it (`BuildContext.reads`).
    """
    from pipeline.sources.registry import load_sources

    registry = load_sources(ctx.settings.sources_path)
    wanted = {sid for spec in specs for sid in declared_sources(spec, registry)}
    for src in registry:
        if src.id in wanted:
            ctx.resolve(src)


def build_order(specs: list[TableSpec]) -> list[TableSpec]:
    """Dependencies first, and the tables that do not need the big stored-in-parts table
    (the MHCLG cells, the longest step) before it: they are small and most have GX suites,
    so the validation process has work while the cells are read and written."""
    order = topological(specs)
    late = downstream(specs, {s.name for s in specs if s.parts})
    return [s for s in order if s.name not in late] + [s for s in order if s.name in late]


# Called after each table is built and checked, before a failed check stops the build:
# (table, the build context, rows, {check name: results}). Dagster reports from it.
OnTable = Callable[[TableSpec, BuildContext, int, dict[str, list[CheckResult]]], None]


def build_database(
    path: Path,
    settings: Settings,
    tables: tuple[TableSpec, ...],
    *,
    run_id: str,
    progress: Callable[[str], None] = print,
    only: set[str] | None = None,
    on_table: OnTable | None = None,
) -> BuildContext:
    """Build `tables` into `path`; raise ValidationError on the first failed check.

    With `only`, `path` is a copy of the published database and just those tables are
    rebuilt (and checked); the others stay as they were published.
    """
    from pipeline.build.storage import connect_build
    from pipeline.checks import gx_worker
    from pipeline.checks.expectations import preload, suites_by_table
    from pipeline.checks.suites import data_docs_once

    con = connect_build(path)
    ctx = BuildContext(con=con, settings=settings, progress=progress)
    has_suites = any(
        suites_by_table().get(s.name) for s in tables if only is None or s.name in only
    )
    elsewhere = has_suites and gx_worker.wanted()
    if elsewhere:
        gx_worker.worker()  # starts importing GX now, on the other core
    elif has_suites:
        # GX's import (2-3 s of Python) runs on a thread of its own while DuckDB writes the
        # first big table, which holds Python's lock only at its start: started earlier, it
        # would take turns with reading the workbooks, which need the lock too. A build with
        # no big table imports GX at its first suite.
        ctx.on_big_write = preload
    order = [s for s in build_order(list(tables)) if only is None or s.name in only]
    waiting: list[BuiltTable] = []  # built, in build order, some results still on their way

    def settle(block: bool) -> None:
        """Take in the finished tables' results in build order; stop at the first failure."""
        while waiting and (block or waiting[0].ready()):
            built = waiting.pop(0)
            outcomes = built.collect(con, run_id)
            results = [r for rs in outcomes.values() for r in rs]
            progress(
                f"  {built.spec.name}: {built.rows:,} rows, {len(results)} checks passed "
                f"{sum(r.passed for r in results)} ({time.perf_counter() - built.started:.2f}s)"
            )
            if on_table is not None:
                on_table(built.spec, ctx, built.rows, outcomes)
            failed = [r for r in results if not r.passed]
            if failed:
                raise ValidationError(failure_message(built.spec, failed))

    try:
        with data_docs_once(settings.reports_dir / "validation"):
            try:
                verify_sources(ctx, order)
                for spec in order:
                    waiting.append(start_table(spec, ctx, elsewhere=elsewhere))
                    # A check that failed here stops the build at once, once the tables before it
                    # are settled; otherwise results are taken in as they come (Dagster's
                    # report of each table is made from them, after the build).
                    settle(block=waiting[-1].failed_here())
                settle(block=True)
            except ValidationError:
                if elsewhere:
                    gx_worker.worker().abandon()
                raise
            except ValidatorProcessError:
                raise  # the worker is already stopped: nothing more to take from it
            except BaseException:
                # An earlier table's failed expectation explains more than what followed it.
                if elsewhere:
                    settle(block=True)
                    gx_worker.worker().abandon()
                raise
        finalize(con)
    finally:
        con.close()
    return ctx
