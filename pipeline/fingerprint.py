"""What a published database was built from, so that a refresh does only the work it must.

The fingerprint is a sha256 over the source registry (every pinned checksum), the committed
transcriptions, the code and the data that shape the output (`pipeline/`, `assets/`, `sql/`,
`expectations/`) and the versions of the libraries that compute it. Beside it the record
keeps the code's own digest, a digest of each source's registry entry, and which sources each
table read (its lineage). Nothing changed: no build. Only source entries changed, none added
or removed, same code: only the tables that read them, and what depends on those, are
rebuilt. Anything else: a full build.

The record is written beside the database only after a publish, and removed just before
one, so a crash in between means a full rebuild, never a skipped one. Standard library only:
checking it must not pay for importing duckdb, pandas or Great Expectations.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from pipeline.config import REPO_ROOT, Settings

FINGERPRINT_NAME = "spendtrack.fingerprint.json"
CODE_DIRS = ("pipeline", "assets", "sql", "expectations", "data_raw/published")
CODE_SUFFIXES = {".py", ".sql", ".csv", ".json", ".toml"}
LIBRARIES = ("duckdb", "pandas", "pyarrow", "great-expectations", "python-calamine")


def fingerprint_path(settings: Settings) -> Path:
    return settings.lake_dir / FINGERPRINT_NAME


def code_files(root: Path = REPO_ROOT) -> list[Path]:
    files = []
    for folder in CODE_DIRS:
        for path in (root / folder).rglob("*"):
            if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return sorted(files)


def code_digest() -> str:
    """sha256 of the code and data files that shape the output, and the library versions."""
    digest = hashlib.sha256()
    for path in code_files():
        digest.update(f"\0{path.relative_to(REPO_ROOT)}\0".encode())
        digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"\0{name}=={version}".encode())
    return digest.hexdigest()


def compute(settings: Settings, code: str | None = None) -> str:
    """sha256 of the whole registry and the code digest."""
    digest = hashlib.sha256()
    digest.update(b"sources\0" + settings.sources_path.read_bytes())
    digest.update(b"\0code\0" + (code or code_digest()).encode())
    return digest.hexdigest()


def source_entries(settings: Settings) -> dict[str, str]:
    """Each enabled source's id and a digest of its whole registry entry (checksum included)."""
    with settings.sources_path.open("rb") as fh:
        entries = tomllib.load(fh).get("source", [])
    return {
        str(e.get("id")): hashlib.sha256(json.dumps(e, sort_keys=True).encode()).hexdigest()
        for e in entries
        if e.get("enabled", True)
    }


@dataclass(frozen=True)
class Published:
    """The record written beside a published database."""

    fingerprint: str
    database_bytes: int
    database_mtime_ns: int
    parquet: tuple[str, ...]
    published_at: str
    code: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    lineage: dict[str, list[str]] = field(default_factory=dict)  # table -> source ids read


def read(settings: Settings) -> Published | None:
    try:
        data = json.loads(fingerprint_path(settings).read_text(encoding="utf-8"))
        return Published(
            fingerprint=data["fingerprint"],
            database_bytes=int(data["database_bytes"]),
            database_mtime_ns=int(data["database_mtime_ns"]),
            parquet=tuple(data["parquet"]),
            published_at=data["published_at"],
            code=data.get("code", ""),
            sources=dict(data.get("sources", {})),
            lineage={k: list(v) for k, v in data.get("lineage", {}).items()},
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or unreadable: rebuild


def forget(settings: Settings) -> None:
    """Called just before a publish replaces the database."""
    fingerprint_path(settings).unlink(missing_ok=True)


@dataclass(frozen=True)
class BuiltFrom:
    """Taken before a build reads anything: what it is built from."""

    fingerprint: str
    code: str
    sources: dict[str, str]

    @classmethod
    def now(cls, settings: Settings) -> BuiltFrom:
        code = code_digest()
        return cls(compute(settings, code), code, source_entries(settings))


def record(
    settings: Settings,
    built_from: BuiltFrom,
    parquet: list[Path],
    lineage: dict[str, list[str]] | None = None,
) -> None:
    """Called just after a publish: what is now in place, and what it was built from.

    Without `lineage` (a build that did not track it) the next change rebuilds everything.
    """
    stat = settings.database_path.stat()
    data = {
        "fingerprint": built_from.fingerprint,
        "database_bytes": stat.st_size,
        "database_mtime_ns": stat.st_mtime_ns,
        "parquet": sorted(p.name for p in parquet),
        "published_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "code": built_from.code,
        "sources": built_from.sources,
        "lineage": {k: sorted(v) for k, v in sorted((lineage or {}).items())},
    }
    target = fingerprint_path(settings)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def _published_intact(settings: Settings) -> tuple[Published | None, str]:
    """The record of the published build, if the files it describes are still in place."""
    published = read(settings)
    if published is None:
        return None, "no record of the published build"
    try:
        stat = settings.database_path.stat()
    except OSError:
        return None, "no published database"
    if (stat.st_size, stat.st_mtime_ns) != (
        published.database_bytes,
        published.database_mtime_ns,
    ):
        return None, "the published database changed since it was recorded"
    missing = [p for p in published.parquet if not (settings.parquet_dir / p).exists()]
    if missing:
        return None, f"Parquet files missing: {missing}"
    return published, ""


def up_to_date(settings: Settings) -> tuple[bool, str]:
    """Whether the published database was built from exactly these sources and this code."""
    published, why = _published_intact(settings)
    if published is None:
        return False, why
    if compute(settings) != published.fingerprint:
        return False, "a source checksum, the code or a library version changed"
    return True, f"sources and code unchanged since the build published {published.published_at}"


@dataclass(frozen=True)
class Plan:
    """What a refresh must build: nothing, some tables (on a copy of the published database)
    or everything; `reason` says why."""

    tables: frozenset[str] | None  # None: every table
    reason: str
    lineage: dict[str, list[str]] = field(default_factory=dict)  # of the published build


def plan(settings: Settings, built_from: BuiltFrom, all_tables: list, downstream) -> Plan:
    """Decide between a partial and a full build. `downstream(names)` closes over dependants."""
    published, why = _published_intact(settings)
    if published is None:
        return Plan(None, why)
    if published.fingerprint == built_from.fingerprint:
        return Plan(
            frozenset(),
            f"sources and code unchanged since the build published {published.published_at}",
            published.lineage,
        )
    if not published.lineage or not published.code:
        return Plan(None, "the published build has no lineage record")
    if published.code != built_from.code:
        return Plan(None, "the code, SQL, layouts, expectations or a library version changed")
    before, now = published.sources, built_from.sources
    if set(before) != set(now):
        added, removed = sorted(set(now) - set(before)), sorted(set(before) - set(now))
        return Plan(None, f"sources added {added} or removed {removed}")
    changed = {sid for sid in now if now[sid] != before[sid]}
    if not changed:  # the registry changed only outside source entries (comments, order)
        return Plan(frozenset(), "no source entry changed", published.lineage)
    known = {spec.name for spec in all_tables}
    if set(published.lineage) - known:
        return Plan(None, "the published build has tables this code does not")
    readers = {t for t, ids in published.lineage.items() if changed.intersection(ids)}
    tables = frozenset(downstream(readers))
    if tables >= known:
        return Plan(None, f"sources {sorted(changed)} feed every table")
    return Plan(
        tables,
        f"sources {sorted(changed)} changed: rebuilding {len(tables)} of {len(known)} tables",
        published.lineage,
    )
