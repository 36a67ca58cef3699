"""What the Dagster catalog shows for each asset, under Dagster's own metadata keys.

Tables: `dagster/row_count`, `dagster/column_schema` (DuckDB's columns with their `COMMENT ON`
descriptions and the primary key), `dagster/table_name`, and for `out` tables a Markdown
preview of the first rows. Sources: publisher, licence, address, edition and the pinned
checksum from `data_raw/sources.toml`. Checks: the results and their data docs.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipeline.config import DATABASE_NAME
from pipeline.model import CheckResult, TableSpec
from pipeline.sources.registry import Source

CATALOG = Path(DATABASE_NAME).stem  # DuckDB names a database after its file
PREVIEW_ROWS = 10


def table_name(spec: TableSpec) -> str:
    return f"{CATALOG}.{spec.name}"


def column_schema(con, spec: TableSpec) -> dg.TableSchema:
    rows = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [spec.schema, spec.table],
    ).fetchall()
    key = set(spec.primary_key)
    columns = [
        dg.TableColumn(
            name=name,
            type=data_type,
            description=comment or None,
            constraints=dg.TableColumnConstraints(nullable=False) if name in key else None,
        )
        for name, data_type, comment in rows
    ]
    constraints = None
    if spec.primary_key:
        constraints = dg.TableConstraints(
            other=[f"primary key ({', '.join(spec.primary_key)}): not null and unique"]
        )
    return dg.TableSchema(columns=columns, constraints=constraints)


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value).replace("|", "\\|").replace("\n", " ")


def preview(con, spec: TableSpec, limit: int = PREVIEW_ROWS) -> str:
    """The first rows (in primary key order) as a Markdown table."""
    order = f" ORDER BY {', '.join(spec.primary_key)}" if spec.primary_key else ""
    cur = con.execute(f"SELECT * FROM {spec.name}{order} LIMIT {limit}")
    names = [d[0] for d in cur.description]
    lines = [
        "| " + " | ".join(names) + " |",
        "| " + " | ".join("---" for _ in names) + " |",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in cur.fetchall()]
    return "\n".join(lines)


def table_metadata(con, spec: TableSpec, rows: int) -> dict[str, object]:
    """Runtime metadata of a table just built, read from the build's own connection."""
    metadata: dict[str, object] = {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": column_schema(con, spec),
        "dagster/table_name": table_name(spec),
    }
    if spec.schema == "out":
        metadata["preview"] = dg.MetadataValue.md(preview(con, spec))
    return metadata


def period(src: Source) -> str:
    parts = [src.financial_year, src.basis, f"({src.form})" if src.form else ""]
    return " ".join(p for p in parts if p)


def source_metadata(src: Source) -> dict[str, object]:
    """Definition metadata of a source file, as its registry entry gives it."""
    address = src.url or src.official_url or src.landing_page
    metadata: dict[str, object] = {
        "publisher": src.publisher,
        "licence": src.licence,
        "address": dg.MetadataValue.url(address) if address else "not recorded",
        "edition": src.edition,  # official, copy or transcription
        "period": period(src),
        "title": src.title,
        "upstream": src.upstream,
        "file": src.file_name,
        "sha256": src.sha256 or "not pinned",
        "bytes": dg.MetadataValue.int(src.bytes),
        "enabled": src.enabled,
    }
    if src.official_url and src.official_url != address:
        metadata["official edition"] = dg.MetadataValue.url(src.official_url)
    if src.archive_path:
        metadata["archived at"] = dg.MetadataValue.path(src.archive_path)
    if src.obtained_from:
        metadata["copy obtained from"] = src.obtained_from
    if src.note:
        metadata["note"] = src.note
    return metadata


def check_metadata(results: list[CheckResult], docs_index: Path) -> dict[str, object]:
    """Each result of a check, and the Great Expectations data docs of the run."""
    metadata: dict[str, object] = {
        r.name: f"{'passed' if r.passed else 'FAILED'}: {r.observed}" for r in results
    }
    page = next((r.docs for r in results if r.docs), "")
    if page:
        metadata["data_docs"] = dg.MetadataValue.url(page)
    elif docs_index.exists():
        metadata["data_docs"] = dg.MetadataValue.url(docs_index.as_uri())
    return metadata
