"""Every DuckDB client opens the published database: the DuckDB CLI from PyPI (a 1.x build,
a dev dependency) opens it read-only and runs every analyst example, and sees the same
descriptions and macros as the DuckDB 2.0 that wrote it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.build.storage import file_format, format_written

EXAMPLES = sorted((Path(__file__).parents[1] / "sql" / "examples").glob("*.sql"))


def duckdb_cli() -> str:
    beside = Path(sys.executable).parent / "duckdb"
    found = str(beside) if beside.exists() else shutil.which("duckdb")
    if not found:
        pytest.fail("the DuckDB CLI is missing: pip install -e '.[dev]' installs duckdb-cli")
    return found


def cli(database: Path, *args: str) -> list[dict]:
    done = subprocess.run(
        [duckdb_cli(), "-readonly", "-json", str(database), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr or done.stdout
    return json.loads(done.stdout) if done.stdout.strip() else []


def test_the_cli_is_a_1x_client():
    done = subprocess.run([duckdb_cli(), "--version"], capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("v1."), done.stdout


def test_the_format_written_is_the_one_chosen(synthetic, capsys):
    from pipeline.refresh import refresh

    refresh(synthetic, progress=lambda _m: None)
    assert file_format(synthetic.database_path) == format_written(synthetic.lake_dir) == "v1.0.0+"
    [row] = cli(synthetic.database_path, "-c", "SELECT count(*) AS n FROM out.spend_trends")
    assert row["n"] > 0


@pytest.mark.real
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_cli_runs_every_example_read_only(mirror_lake, path):
    rows = cli(mirror_lake.database_path, "-f", str(path))
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        cur = con.execute(path.read_text(encoding="utf-8"))
        columns = [d[0] for d in cur.description]
        expected = cur.fetchall()
    assert rows and len(rows) == len(expected), path.name
    assert list(rows[0]) == columns


@pytest.mark.real
def test_the_cli_sees_every_description_and_macro(mirror_lake):
    catalog = (
        "SELECT (SELECT count(*) FROM duckdb_tables()) AS tables, "
        "(SELECT count(*) FROM duckdb_columns() WHERE coalesce(comment, '') <> '') AS described, "
        "(SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('core', 'out') "
        "AND coalesce(comment, '') = '') AS bare, "
        "(SELECT coalesce(string_agg(DISTINCT function_name, ',' ORDER BY function_name), '') "
        "FROM duckdb_functions() WHERE NOT internal) AS macros"
    )
    [seen] = cli(mirror_lake.database_path, "-c", catalog)
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        cur = con.execute(catalog)
        expected = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    assert seen == expected
    assert seen["bare"] == 0 and seen["described"] > 0


def test_a_macro_keeps_its_defaults_subquery_and_comment(tmp_path):
    """What a deflator macro needs survives the format; a typed parameter is refused, loudly."""
    from pipeline.build.storage import connect_build

    path = tmp_path / "macro.duckdb"
    with connect_build(path) as con:
        con.execute("CREATE SCHEMA reference")
        con.execute(
            "CREATE TABLE reference.deflators AS SELECT * FROM (VALUES ('2013-14', 80.0), "
            "('2023-24', 100.0)) t(financial_year, deflator)"
        )
        con.execute(
            "CREATE MACRO scaled(value, year, base := '2023-24') AS value * "
            "(SELECT deflator FROM reference.deflators d WHERE d.financial_year = base) / "
            "(SELECT deflator FROM reference.deflators d WHERE d.financial_year = year)"
        )
        con.execute("COMMENT ON MACRO scaled IS 'cash to real terms'")
        with pytest.raises(duckdb.BinderException, match="v1.4.0"):
            con.execute("CREATE MACRO typed(a DOUBLE) AS a * 2")
    [row] = cli(
        path,
        "-c",
        "SELECT scaled(8, '2013-14') AS real, scaled(8, '2013-14', base := '2013-14') AS same, "
        "(SELECT comment FROM duckdb_functions() WHERE function_name = 'scaled') AS note",
    )
    assert row == {"real": 10.0, "same": 8.0, "note": "cash to real terms"}


def test_a_published_file_in_another_format_is_rewritten_by_a_partial_build(
    synthetic_env, monkeypatch
):
    """A database published under another format (here DuckDB 2.0's own, which 1.x cannot
    read) is rewritten into the chosen one when a Dagster selection rebuilds part of it."""
    import dagster as dg

    from pipeline.cli import main
    from pipeline.definitions import SpendtrackResource, build_and_publish, sources

    monkeypatch.setenv("SPENDTRACK_STORAGE_VERSION", "latest")
    assert main(["refresh"]) == 0
    db = synthetic_env.database_path
    assert file_format(db) == format_written(synthetic_env.lake_dir) != "v1.0.0+"
    refused = subprocess.run(
        [duckdb_cli(), "-readonly", str(db), "-c", "SELECT 1"], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "version number" in refused.stderr + refused.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("SELECT * FROM raw.mhclg__revenue_cells ORDER BY ALL").fetchall()
    monkeypatch.delenv("SPENDTRACK_STORAGE_VERSION")
    result = dg.materialize(
        [sources, build_and_publish],
        instance=dg.DagsterInstance.ephemeral(),
        resources={"spendtrack": SpendtrackResource()},
        selection=["out/spend_trends"],
    )
    assert result.success
    assert file_format(db) == format_written(synthetic_env.lake_dir) == "v1.0.0+"
    [row] = cli(db, "-c", "SELECT count(*) AS n FROM raw.mhclg__revenue_cells")
    assert row["n"] == len(before)
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute("SELECT * FROM raw.mhclg__revenue_cells ORDER BY ALL").fetchall()
    assert after == before
