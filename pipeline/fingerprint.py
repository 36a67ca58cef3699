"""What a published database was built from, so a refresh with nothing new can skip the build.

The fingerprint is a sha256 over the source registry (every pinned checksum), the committed
transcriptions, the code and the data that shape the output (`pipeline/`, `assets/`, `sql/`,
`expectations/`) and the versions of the libraries that compute it. It is written beside the
database only after a publish, and removed just before one, so a crash in between means a
rebuild, never a skipped one. Standard library only: checking it must not pay for importing
duckdb, pandas or Great Expectations.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
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


def compute(settings: Settings) -> str:
    """sha256 of the registry, the code and data files, and the library versions."""
    digest = hashlib.sha256()
    digest.update(b"sources\0" + settings.sources_path.read_bytes())
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


@dataclass(frozen=True)
class Published:
    """The record written beside a published database."""

    fingerprint: str
    database_bytes: int
    database_mtime_ns: int
    parquet: tuple[str, ...]
    published_at: str


def read(settings: Settings) -> Published | None:
    try:
        data = json.loads(fingerprint_path(settings).read_text(encoding="utf-8"))
        return Published(
            fingerprint=data["fingerprint"],
            database_bytes=int(data["database_bytes"]),
            database_mtime_ns=int(data["database_mtime_ns"]),
            parquet=tuple(data["parquet"]),
            published_at=data["published_at"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or unreadable: rebuild


def forget(settings: Settings) -> None:
    """Called just before a publish replaces the database."""
    fingerprint_path(settings).unlink(missing_ok=True)


def record(settings: Settings, fingerprint: str, parquet: list[Path]) -> None:
    """Called just after a publish: what is now in place, and what it was built from."""
    stat = settings.database_path.stat()
    data = {
        "fingerprint": fingerprint,
        "database_bytes": stat.st_size,
        "database_mtime_ns": stat.st_mtime_ns,
        "parquet": sorted(p.name for p in parquet),
        "published_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    target = fingerprint_path(settings)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def up_to_date(settings: Settings) -> tuple[bool, str]:
    """Whether the published database was built from exactly these sources and this code."""
    published = read(settings)
    if published is None:
        return False, "no record of the published build"
    try:
        stat = settings.database_path.stat()
    except OSError:
        return False, "no published database"
    if (stat.st_size, stat.st_mtime_ns) != (
        published.database_bytes,
        published.database_mtime_ns,
    ):
        return False, "the published database changed since it was recorded"
    missing = [p for p in published.parquet if not (settings.parquet_dir / p).exists()]
    if missing:
        return False, f"Parquet files missing: {missing}"
    if compute(settings) != published.fingerprint:
        return False, "a source checksum, the code or a library version changed"
    return True, f"sources and code unchanged since the build published {published.published_at}"
