"""What a published database was built from, so that a refresh does only the work it must.

The fingerprint is a sha256 over the source registry (every pinned checksum), the committed
transcriptions, the code and the data that shape the output (`pipeline/`, `assets/`, `sql/`,
`expectations/`), the storage format written and the versions of the libraries that compute
it. Beside it the record keeps the code's own digest, a digest of each source's registry
entry, and which sources each table read (its lineage). Nothing changed: no build. Only
source entries changed, none added or removed, same code: only the tables that read them,
and what depends on those, are rebuilt (`pipeline.plan`). Anything else: a full build.

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
    from pipeline.build.storage import storage_version

    digest.update(f"\0storage={storage_version()}".encode())
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


def published_record(settings: Settings) -> Published | None:
    """The record of the published build, if the files it describes are still in place."""
    return _published_intact(settings)[0]


def up_to_date(settings: Settings) -> tuple[bool, str]:
    """Whether the published database was built from exactly these sources and this code."""
    published, why = _published_intact(settings)
    if published is None:
        return False, why
    if compute(settings) != published.fingerprint:
        return False, "a source checksum, the code or a library version changed"
    return True, f"sources and code unchanged since the build published {published.published_at}"


def changed(
    settings: Settings, built_from: BuiltFrom, known: set[str]
) -> tuple[frozenset[str] | None, str, Published | None]:
    """What changed since the published build: (tables that read a changed source, or None
    for everything; why; the record of the published build, where it is intact)."""
    published, why = _published_intact(settings)
    if published is None:
        return None, why, None
    if published.fingerprint == built_from.fingerprint:
        return (
            frozenset(),
            f"sources and code unchanged since the build published {published.published_at}",
            published,
        )
    if not published.lineage or not published.code:
        return None, "the published build has no lineage record", published
    if published.code != built_from.code:
        return None, "the code, SQL, layouts, expectations or a library version changed", published
    before, now = published.sources, built_from.sources
    if set(before) != set(now):
        added, removed = sorted(set(now) - set(before)), sorted(set(before) - set(now))
        return None, f"sources added {added} or removed {removed}", published
    stale = {sid for sid in now if now[sid] != before[sid]}
    if not stale:  # the registry changed only outside source entries (comments, order)
        return frozenset(), "no source entry changed", published
    if set(published.lineage) - known:
        return None, "the published build has tables this code does not", published
    readers = {t for t, ids in published.lineage.items() if stale.intersection(ids)}
    return frozenset(readers), f"sources {sorted(stale)} changed", published


def after_build(
    built_from: BuiltFrom,
    previous: Published | None,
    rebuilt: frozenset[str] | None,
    lineage: dict[str, list[str]],
) -> BuiltFrom | None:
    """What to record for a build that rebuilt `rebuilt` (None: every table) on a copy of the
    build `previous` describes; None when it is a mixture no record can describe (another
    version of the code), so that the next refresh rebuilds everything.

    A source counts as current when its entry is unchanged or every table that reads it was
    rebuilt; otherwise the record keeps its old entry, and the next refresh rebuilds its
    readers. So a Dagster selection that leaves a changed source's readers alone never hides
    the change from the nightly refresh.
    """
    if rebuilt is None:
        return built_from
    if (
        previous is None
        or previous.code != built_from.code
        or set(previous.sources) != set(built_from.sources)
    ):
        return None
    sources = {}
    for sid, entry in built_from.sources.items():
        readers = {table for table, ids in lineage.items() if sid in ids}
        current = previous.sources[sid] == entry or readers <= rebuilt
        sources[sid] = entry if current else previous.sources[sid]
    if sources == built_from.sources:
        return built_from
    return BuiltFrom(f"partly rebuilt from {previous.fingerprint}", built_from.code, sources)
