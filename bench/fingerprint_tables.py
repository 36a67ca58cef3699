"""Fingerprint a built database: per table, its row count and hashes of its columns and rows.

    python bench/fingerprint_tables.py [DATABASE] [--parquet DIR]

A tool for comparing two builds (for instance before and after a change meant to alter only
speed), not a test: a recorded output says nothing about whether either build is right.

For every table and view in the database (all schemas, `checks` included) it prints one
line:

    <schema.table>  rows=<n>  columns=<hash of names and types>  rows_hash=<h>  exact=<h>

`exact` is the sha256 of every row's text (DuckDB's cast of the row to VARCHAR) in primary
key order: the key from the table graph (`assets/tables.py`), or every column for a table
without one. `rows_hash` is the same with floating-point columns printed to 12 significant
digits and magnitudes under 1e-9 printed as 0: DuckDB adds doubles in parallel, in no fixed
order, so two builds of the same code and files can differ in a sum's last bit (962.3726434
against 962.3726434000001, or a difference of two equal sums of 0 against 4.5e-13), and
`exact` alone would call that a changed result. `checks.validation_results` drops the
columns that differ on every run (run id, time). A last line hashes the table and column
comments (the data dictionary), and with `--parquet` each exported Parquet file is
fingerprinted the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Columns that differ on every build by design; everything else must be reproducible.
VOLATILE = {"checks.validation_results": ("run_id", "checked_at")}
BATCH = 100_000
# A double as compared: 12 significant digits, and the residue of subtracting equal sums as 0.
ROUNDED = 'printf(\'%.12g\', CASE WHEN abs("{0}") < 1e-9 THEN 0 ELSE "{0}" END)'


def primary_keys() -> dict[str, tuple[str, ...]]:
    from assets.tables import TABLES

    return {spec.name: spec.primary_key for spec in TABLES if spec.primary_key}


def fingerprint(con, relation: str, columns: list[tuple[str, str]], key: tuple[str, ...]) -> str:
    """One line for a relation (a table name or a read_parquet call)."""
    column_hash = hashlib.sha256(
        "\n".join(f"{n} {t}" for n, t in columns).encode("utf-8")
    ).hexdigest()[:16]
    exact = ", ".join(f'"{n}"' for n, _ in columns)
    rounded = ", ".join(
        f'"{n}" := {ROUNDED.format(n)}' if t in ("DOUBLE", "FLOAT") else f'"{n}"'
        for n, t in columns
    )
    order = ", ".join(f'"{k}"' for k in key) if key else exact
    # The row as a struct cast to text: typed, NULL kept apart from '' and 'NULL'.
    cursor = con.execute(
        f"SELECT CAST(struct_pack({rounded}) AS VARCHAR), CAST(struct_pack({exact}) AS VARCHAR) "
        f"FROM {relation} ORDER BY {order} NULLS FIRST"
    )
    digests = hashlib.sha256(), hashlib.sha256()
    rows = 0
    while batch := cursor.fetchmany(BATCH):
        rows += len(batch)
        for texts in batch:
            for digest, text in zip(digests, texts, strict=True):
                digest.update(text.encode("utf-8"))
                digest.update(b"\n")
    rounded_hash, exact_hash = (d.hexdigest()[:16] for d in digests)
    return f"rows={rows}  columns={column_hash}  rows_hash={rounded_hash}  exact={exact_hash}"


def table_lines(con) -> list[str]:
    keys = primary_keys()
    tables = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() UNION ALL "
        "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal "
        "ORDER BY 1"
    ).fetchall()
    lines = []
    for (name,) in tables:
        columns = [
            (n, t)
            for n, t in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE schema_name || '.' || table_name = ? ORDER BY column_index",
                [name],
            ).fetchall()
            if n not in VOLATILE.get(name, ())
        ]
        key = keys.get(name, ())
        lines.append(f"{name}  {fingerprint(con, name, columns, key)}")
    comments = con.execute(
        "SELECT schema_name, table_name, '', comment FROM duckdb_tables() UNION ALL "
        "SELECT schema_name, view_name, '', comment FROM duckdb_views() WHERE NOT internal "
        "UNION ALL SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
        "WHERE NOT internal ORDER BY ALL"
    ).fetchall()
    text = "\n".join("\t".join(str(v) for v in row) for row in comments)
    lines.append(
        f"(comments)  rows={len(comments)}  "
        f"rows_hash={hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"
    )
    return lines


def parquet_lines(con, directory: Path) -> list[str]:
    keys = primary_keys()
    lines = []
    for path in sorted(directory.glob("*.parquet")):
        relation = f"read_parquet('{path}')"
        columns = [
            (n, t) for n, t, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        ]
        key = keys.get(f"out.{path.stem}", ())
        lines.append(f"parquet/{path.name}  {fingerprint(con, relation, columns, key)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "database", nargs="?", default=str(REPO / "data_lake" / "spendtrack.duckdb")
    )
    parser.add_argument("--parquet", help="also fingerprint the Parquet files in this directory")
    args = parser.parse_args()
    import duckdb

    with duckdb.connect(args.database, read_only=True) as con:
        lines = table_lines(con)
        if args.parquet:
            lines += parquet_lines(con, Path(args.parquet))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
