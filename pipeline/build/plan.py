"""What a run rebuilds: the one plan behind `spendtrack refresh`, the nightly schedule and any
selection materialised in Dagster.

A run is asked for some tables: the readers of the sources that changed (the CLI and the
schedule) or the tables a Dagster user selected. It rebuilds them and everything downstream of
them, with all their checks, on a copy of the published database, so the tables it leaves
alone stay exactly as published. When that reaches every table it builds from an empty file.
The tables the rebuilt ones read but do not rebuild must already be in the published
database; a selection that needs missing ones fails with one line naming them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.build import fingerprint
from pipeline.build.graph import downstream, topological, upstream
from pipeline.config import Settings
from pipeline.errors import SpendtrackError
from pipeline.model import TableSpec


class PlanError(SpendtrackError):
    """A selection cannot be rebuilt on its own: tables it needs are not built."""

    exit_code = 7


@dataclass(frozen=True)
class Plan:
    """The tables a run rebuilds (None: every table, from an empty file) and why."""

    tables: frozenset[str] | None
    reason: str
    previous: fingerprint.Published | None = None  # the record of the build it starts from

    @property
    def is_noop(self) -> bool:
        return self.tables is not None and not self.tables


def published_tables(settings: Settings) -> set[str]:
    """`schema.table` of every table and view in the published database (none if none)."""
    if not settings.database_path.exists():
        return set()
    import duckdb

    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        rows = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() UNION ALL "
            "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal"
        )
        return {r[0] for r in rows.fetchall()}


def for_tables(
    settings: Settings,
    specs: list[TableSpec],
    asked: set[str],
    reason: str,
    *,
    previous: fingerprint.Published | None = None,
    strict: bool = True,
) -> Plan:
    """Rebuild `asked` and everything downstream of them.

    When tables they need are missing from the published database, `strict` raises a
    PlanError naming them; otherwise the plan becomes a full build.
    """
    known = [s.name for s in topological(specs)]
    unknown = sorted(asked - set(known))
    if unknown:
        raise PlanError(f"no such tables: {unknown}")
    closure = downstream(specs, asked)
    if not closure:
        return Plan(frozenset(), reason, previous)
    if closure >= set(known):
        return Plan(None, f"{reason}, which reaches every table", previous)
    needed = upstream(specs, closure) - closure
    # the published tables read once (the comprehension would open the database per table)
    absent_ones = needed - published_tables(settings) if needed else set()
    missing = [n for n in known if n in absent_ones]
    if missing and not strict:
        return Plan(None, f"{reason}, but the published database lacks {missing}", previous)
    if missing:
        what = ", ".join(n for n in known if n in asked)
        extra = len(closure) - len(asked)
        of = "it" if len(asked) == 1 else "them"
        also = f" (and the {extra} tables downstream of {of})" if extra else ""
        absent = "" if settings.database_path.exists() else " (no database is published yet)"
        raise PlanError(
            f"rebuilding {what}{also} needs {len(missing)} tables that are not built{absent}: "
            f"{', '.join(missing)}; materialise them first, or everything at once (the "
            "`refresh` job, or `spendtrack refresh`)",
            file=str(settings.database_path),
        )
    return Plan(
        frozenset(closure),
        f"{reason}: rebuilding {len(closure)} of {len(known)} tables",
        previous,
    )


def for_changes(
    settings: Settings, specs: list[TableSpec], built_from: fingerprint.BuiltFrom
) -> Plan:
    """What `spendtrack refresh` and the nightly schedule rebuild: nothing when no source,
    code or library changed; the readers of changed sources (and what depends on them) when
    only source entries changed; otherwise everything."""
    known = {s.name for s in specs}
    readers, reason, previous = fingerprint.changed(settings, built_from, known)
    if readers is None:
        return Plan(None, reason, previous)
    if not readers:
        return Plan(frozenset(), reason, previous)
    return for_tables(settings, specs, set(readers), reason, previous=previous, strict=False)
