"""Where things live: the repository's folders and the directories a run may override.

Overrides come from options or environment variables, never from hard-coded paths:
`SPENDTRACK_ARCHIVE` (what the registry's `archive_path`s are relative to: the repository, which
holds the archive under data_raw/), `SPENDTRACK_MIRROR` (a mirror of the source files),
`SPENDTRACK_CACHE` (downloaded bytes), `SPENDTRACK_LAKE` (build outputs), `SPENDTRACK_SOURCES`
(the source registry; tests point it at a generated one).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAYOUTS_DIR = Path(__file__).resolve().parent / "layouts"
SQL_DIR = REPO_ROOT / "sql"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DATA_RAW_DIR = REPO_ROOT / "data_raw"
SOURCES_TOML = DATA_RAW_DIR / "sources.toml"
DATABASE_NAME = "spendtrack.duckdb"


@dataclass(frozen=True)
class Settings:
    """The directories one run reads from and writes to."""

    lake_dir: Path
    cache_dir: Path
    mirror_dir: Path | None
    allow_download: bool = True
    sources_path: Path = SOURCES_TOML
    # What each source's `archive_path` is relative to: the repository. A test points it at a
    # directory holding part of the archive, to prove the other paths to the same bytes.
    archive_root: Path = REPO_ROOT

    @property
    def database_path(self) -> Path:
        return self.lake_dir / DATABASE_NAME

    @property
    def staging_dir(self) -> Path:
        return self.lake_dir / ".staging"

    @property
    def reports_dir(self) -> Path:
        return self.lake_dir / "reports"

    @property
    def parquet_dir(self) -> Path:
        return self.lake_dir / "parquet"

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        """Settings from the command line's options, the environment filling the rest."""
        return cls.from_env(
            mirror=getattr(args, "mirror", None),
            lake=getattr(args, "lake", None),
            cache=getattr(args, "cache", None),
            allow_download=not getattr(args, "offline", False),
        )

    @classmethod
    def from_env(
        cls,
        *,
        mirror: str | Path | None = None,
        lake: str | Path | None = None,
        cache: str | Path | None = None,
        allow_download: bool = True,
    ) -> Settings:
        mirror = mirror or os.environ.get("SPENDTRACK_MIRROR") or None
        lake = lake or os.environ.get("SPENDTRACK_LAKE") or REPO_ROOT / "data_lake"
        cache = cache or os.environ.get("SPENDTRACK_CACHE") or DATA_RAW_DIR / "cache"
        sources = os.environ.get("SPENDTRACK_SOURCES") or SOURCES_TOML
        archive = os.environ.get("SPENDTRACK_ARCHIVE") or REPO_ROOT
        return cls(
            lake_dir=Path(lake).resolve(),
            cache_dir=Path(cache).resolve(),
            mirror_dir=Path(mirror).resolve() if mirror else None,
            allow_download=allow_download,
            sources_path=Path(sources).resolve(),
            archive_root=Path(archive).resolve(),
        )
