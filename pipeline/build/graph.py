"""The table graph: build one table into the staging database, and walk the dependencies.

The CLI and the Dagster definitions (`pipeline.definitions`) both walk this one graph through
`pipeline.build.plan` and `pipeline.build.engine`, so they run the same code.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.config import SQL_DIR
from pipeline.memory import give_back
from pipeline.model import BIG_WRITE_ROWS, BuildContext, TableSpec
from pipeline.sources.registry import Source


def write_frame(ctx: BuildContext, name: str, frame) -> None:
    """CREATE OR REPLACE TABLE `name` from a pandas or Arrow frame."""
    if ctx.on_big_write is not None and len(frame) >= BIG_WRITE_ROWS:
        ctx.on_big_write()
    ctx.con.register("_frame", frame)
    try:
        ctx.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
    finally:
        ctx.con.unregister("_frame")


def replace_view(con, name: str, select: str) -> None:
    """CREATE OR REPLACE VIEW, dropping a table of that name first (an older database's)."""
    schema, table = name.split(".", 1)
    is_table = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if is_table:
        con.execute(f"DROP TABLE {name}")
    con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")


def read_sql(relative: str) -> str:
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def materialize_table(spec: TableSpec, ctx: BuildContext) -> int:
    """Build one table into the staging database; return its row count."""
    con = ctx.con
    if spec.sql:
        con.execute(f"CREATE OR REPLACE TABLE {spec.name} AS {read_sql(spec.sql)}")
    else:
        frame = spec.build(ctx)
        if spec.write:
            spec.write(ctx, frame)
        else:
            write_frame(ctx, spec.name, frame)
        del frame
        give_back()  # the frame's memory, before the table's checks read it back
    if spec.after_sql:
        con.execute(read_sql(spec.after_sql))
    return con.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0]


def topological(specs: list[TableSpec]) -> list[TableSpec]:
    by_name = {s.name: s for s in specs}
    done: list[TableSpec] = []
    seen: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in trail:
            raise ValueError(f"dependency cycle: {' -> '.join(trail + (name,))}")
        for dep in by_name[name].deps:
            visit(dep, trail + (name,))
        seen.add(name)
        done.append(by_name[name])

    for s in specs:
        visit(s.name, ())
    return done


def downstream(specs: list[TableSpec], names: set[str]) -> set[str]:
    """`names` and every table that depends on one of them, directly or not."""
    found = set(names)
    changed = True
    while changed:
        changed = False
        for spec in specs:
            if spec.name not in found and found.intersection(spec.deps):
                found.add(spec.name)
                changed = True
    return found


def upstream(specs: list[TableSpec], names: set[str]) -> set[str]:
    """Every table that one of `names` depends on, directly or not (not `names` themselves)."""
    by_name = {s.name: s for s in specs}
    found: set[str] = set()
    todo = [dep for name in names for dep in by_name[name].deps]
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(by_name[name].deps)
    return found


def declared_sources(spec: TableSpec, registry: list[Source]) -> list[str]:
    """The ids of the sources `spec` declares it reads, in registry order."""
    families = set(spec.source_families)
    return [
        s.id for s in registry if "*" in families or s.family in families or s.id in spec.sources
    ]


def sql_path(relative: str) -> Path:
    return SQL_DIR / relative
