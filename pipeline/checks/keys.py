"""The checks every table gets: its rows, its primary key, its own checks, then its suites.

`checks_for` is the one place a table's blocking checks are listed, for the build and for
Dagster's asset checks alike. Every table is checked for rows (`pipeline.checks.row_counts`):
an empty table fails unless pipeline/layouts/row_counts.csv bounds it and its sources give
it none.
"""

from __future__ import annotations

from pipeline.checks.expectations import suites_by_table
from pipeline.checks.row_counts import names, row_count_check
from pipeline.checks.suites import gx_check
from pipeline.model import BuildContext, CheckResult, TableCheck, TableSpec


def primary_key_check(spec: TableSpec) -> TableCheck:
    """Key columns not null and unique together."""

    def check(ctx: BuildContext) -> list[CheckResult]:
        con = ctx.con
        table = spec.key_table or spec.name
        cols = ", ".join(spec.primary_key)
        nulls = " OR ".join(f"{c} IS NULL" for c in spec.primary_key)
        # Equal keys have equal hashes, so no repeated hash means no repeated key; grouping
        # 64-bit hashes costs half what grouping the key columns does (2.4 million raw cells).
        # Only a repeated hash (a duplicate, or a collision) needs the exact count.
        dupes = con.execute(
            f"SELECT count(*) FROM (SELECT hash({cols}) FROM {table} GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
        if dupes:
            dupes = con.execute(
                f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL "
                "HAVING count(*) > 1)"
            ).fetchone()[0]
        null_rows = con.execute(f"SELECT count(*) FROM {table} WHERE {nulls}").fetchone()[0]
        return [
            CheckResult(
                name="primary_key",
                passed=dupes == 0 and null_rows == 0,
                description=f"({cols}) is not null and unique",
                observed=f"{dupes} duplicated keys, {null_rows} rows with a null key",
            )
        ]

    return TableCheck(
        "primary_key", check, f"({', '.join(spec.primary_key)}) is not null and unique"
    )


def checks_for(spec: TableSpec) -> tuple[TableCheck, ...]:
    """The row count check, the primary key check, the table's own checks, then its Great
    Expectations suites (each of which bounds its own frame's rows)."""
    suites = tuple(gx_check(s) for s in suites_by_table().get(spec.name, ()))
    rows = row_count_check(spec, bounded=not suites and spec.name in names())
    base = (rows,) + ((primary_key_check(spec),) if spec.primary_key else ())
    return base + spec.checks + suites
