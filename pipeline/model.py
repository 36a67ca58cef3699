"""The model: what a table of the database is made of, and what its builder may use.

`TableSpec` (a table: its builder or SELECT, dependencies, key and checks), `TableCheck` and
`CheckResult` (a blocking check and what it found), and `BuildContext` (the staging database,
the settings and the verified source files, resolved through `pipeline.sources`). Every layer
above this one speaks in these types; nothing here builds, checks or publishes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.config import Settings
from pipeline.errors import SourceError
from pipeline.sources.fetch import Resolved, resolve
from pipeline.sources.registry import Source, load_sources

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
