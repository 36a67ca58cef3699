"""The table graph: each table's builder, dependencies, primary key and blocking checks.

The CLI and the Dagster definitions (`pipeline.definitions`) both walk this one graph through
`pipeline.plan` and `pipeline.build`, so they run the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.config import SQL_DIR, Settings
from pipeline.errors import SourceError
from pipeline.fetch import Resolved, resolve
from pipeline.sources import Source, load_sources

SCHEMAS = ("reference", "raw", "core", "out", "checks")
# A frame this long takes DuckDB seconds to write, without Python's lock: time another thread
# can use (see BuildContext.on_big_write).
BIG_WRITE_ROWS = 100_000


@dataclass
class BuildContext:
    """What a builder may use: the staging database, the settings and verified source files."""

    con: object  # duckdb.DuckDBPyConnection (typed loosely so importing this stays cheap)
    settings: Settings
    progress: Callable[[str], None] = lambda _msg: None
    resolved: dict[str, Resolved] = field(default_factory=dict)
    building: str | None = None  # the table whose builder is running
    reads: dict[str, set[str]] = field(default_factory=dict)  # table -> source ids it read
    # called as DuckDB starts writing a frame of BIG_WRITE_ROWS or more (pipeline.build)
    on_big_write: Callable[[], None] | None = None

    def sources(self, family: str) -> list[Resolved]:
        out = []
        for src in load_sources(self.settings.sources_path):
            if src.family == family:
                out.append(self.resolve(src))
        return out

    def source(self, source_id: str) -> Resolved:
        """One source by id, resolved to verified bytes."""
        for src in load_sources(self.settings.sources_path):
            if src.id == source_id:
                return self.resolve(src)
        raise SourceError(f"source {source_id!r} is not enabled in {self.settings.sources_path}")

    def resolve(self, src: Source) -> Resolved:
        if self.building:  # lineage, so that a changed source rebuilds only what read it
            self.reads.setdefault(self.building, set()).add(src.id)
        if src.id not in self.resolved:
            self.resolved[src.id] = resolve(
                src,
                cache_dir=self.settings.cache_dir,
                mirror_dir=self.settings.mirror_dir,
                allow_download=self.settings.allow_download,
                archive_root=self.settings.archive_root,
            )
            got = self.resolved[src.id]
            where = f" from {got.address}" if got.address else ""
            if got.origin == "download (moved)":
                where += f"; {src.url} is gone: update url in sources.toml"
            self.progress(f"  source {src.id}: {got.origin}{where}")
        return self.resolved[src.id]


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    description: str
    observed: str = ""
    docs: str = ""  # the Great Expectations data docs page of this result, where there is one


@dataclass(frozen=True)
class TableCheck:
    """A named blocking check: a function of the build context returning results."""

    name: str
    run: Callable[[BuildContext], list[CheckResult]]
    description: str = ""
    # Where a check can run elsewhere (a GX suite, in the validation process): hands the
    # check over and returns an object whose .ready() and .result() give its results.
    submit: Callable[[BuildContext], object] | None = None


@dataclass(frozen=True)
class TableSpec:
    """One table of the database: how it is built and what must hold of it."""

    name: str  # "<schema>.<table>"
    description: str
    deps: tuple[str, ...] = ()
    build: Callable[[BuildContext], pd.DataFrame] | None = None
    sql: str | None = None  # a SELECT under sql/, e.g. "out/spend_trends.sql"
    # Writes what `build` returned itself (a view over `parts`, tables it also writes),
    # instead of the one table `build`'s frame would make
    write: Callable[[BuildContext, object], None] | None = None
    parts: tuple[str, ...] = ()
    key_table: str | None = None  # where the primary key is checked, if not the table
    after_sql: str | None = None  # statements under sql/ run once the table exists (macros)
    primary_key: tuple[str, ...] = ()
    checks: tuple[TableCheck, ...] = ()
    # The sources the builder reads, declared so the Dagster graph can draw them: by family
    # ("*" for every source) and by id. A test holds them to what a build actually reads.
    source_families: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]


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
        from pipeline.memory import give_back

        give_back()  # the frame's memory, before the table's checks read it back
    if spec.after_sql:
        con.execute(read_sql(spec.after_sql))
    return con.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0]


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
    """The primary key check, the table's own checks, then its Great Expectations suites."""
    from pipeline.validation import gx_check, suites_by_table

    base = (primary_key_check(spec),) if spec.primary_key else ()
    suites = tuple(gx_check(s) for s in suites_by_table().get(spec.name, ()))
    return base + spec.checks + suites


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
