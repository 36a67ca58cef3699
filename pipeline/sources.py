"""The source registry: `data_raw/sources.toml` read into typed records."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from pipeline.config import SOURCES_TOML
from pipeline.errors import SourceError


@dataclass(frozen=True)
class Source:
    """One published file: where it comes from and the exact bytes we expect."""

    id: str
    family: str
    publisher: str
    title: str
    financial_year: str
    basis: str
    file_name: str
    mirror_path: str
    kind: str
    sha256: str
    bytes: int
    licence: str
    url: str = ""
    landing_page: str = ""
    form: str = ""
    obtained_from: str = ""
    note: str = ""
    enabled: bool = True
    vendored_path: str = ""  # committed in the repository (transcribed figures), relative to it

    @property
    def fy_start(self) -> int:
        """First year covered (2013 for "2013-14", 2009 for "2009-10..2021-22")."""
        return int(self.financial_year[:4])


def load_sources(path: Path = SOURCES_TOML, *, enabled_only: bool = True) -> list[Source]:
    """Read the registry; a malformed entry is an error naming the entry."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    known = {f.name for f in fields(Source)}
    out: list[Source] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("source", []), start=1):
        unknown = set(entry) - known
        if unknown:
            raise SourceError(f"source #{i} has unknown keys {sorted(unknown)}", file=str(path))
        try:
            src = Source(**entry)
        except TypeError as exc:
            raise SourceError(f"source #{i} ({entry.get('id')}): {exc}", file=str(path)) from exc
        if src.id in seen:
            raise SourceError(f"source id {src.id!r} is listed twice", file=str(path))
        seen.add(src.id)
        if src.enabled and not src.sha256:
            raise SourceError(f"source {src.id!r} is enabled but has no sha256", file=str(path))
        if src.enabled or not enabled_only:
            out.append(src)
    return out


def sources_by_family(family: str, path: Path = SOURCES_TOML) -> list[Source]:
    return [s for s in load_sources(path) if s.family == family]
