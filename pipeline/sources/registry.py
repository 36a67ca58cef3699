"""The source registry: `data_raw/sources.toml` read into typed records.

Every enabled source's exact bytes are archived in the repository (`archive_path`, under
`data_raw/<publisher>/`), so a build needs nothing but a clone. `url` is the official file's own
address (byte for byte), used to check upstream and to adopt a new release; without one, the
bytes have no known official address. `edition` says what the bytes are: the publisher's own
file (`official`), someone else's conversion or export of it (`copy`, with `official_url` to
follow), or figures typed in from publications (`transcription`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
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
    archive_path: str = ""  # the pinned bytes committed in the repository, relative to it
    official_url: str = ""  # where the official edition is published; for people, never fetched
    edition: str = "official"  # official | copy | transcription

    @property
    def upstream(self) -> str:
        """What the publisher's side offers for these bytes: an official address to check
        (`address`), only a page a person can follow (`page only`), or nothing (`none`)."""
        if self.url:
            return "address"
        return "page only" if self.landing_page or self.official_url else "none"

    @property
    def fy_start(self) -> int:
        """First year covered (2013 for "2013-14", 2009 for "2009-10..2021-22")."""
        return int(self.financial_year[:4])


EDITIONS = ("official", "copy", "transcription")


def registry_problem(src: Source) -> str | None:
    """What is inconsistent in one entry's provenance fields, or None."""
    if src.edition not in EDITIONS:
        return f"edition {src.edition!r} is not one of {', '.join(EDITIONS)}"
    if src.archive_path and not src.archive_path.startswith("data_raw/"):
        return f"archive_path {src.archive_path!r} is not under data_raw/"
    if src.url and src.edition != "official":
        return f"is a {src.edition} but has a url: only the official file's address is fetched"
    if src.url and not src.landing_page:
        return "has a url but no landing_page (needed to follow the file when gov.uk moves it)"
    if src.edition == "copy" and not src.official_url:
        return "is a copy with no official_url to the official edition"
    return None


def load_sources(path: Path = SOURCES_TOML, *, enabled_only: bool = True) -> list[Source]:
    """Read the registry; a malformed entry is an error naming the entry.

    A build asks for the registry some thirty times; its text is read each time, and parsed
    again only when it differs from the last text parsed (a parse costs about 10 ms).
    """
    return list(_parse_registry(str(path), path.read_bytes(), enabled_only))


@lru_cache(maxsize=8)
def _parse_registry(path_text: str, text: bytes, enabled_only: bool) -> tuple[Source, ...]:
    path = Path(path_text)
    data = tomllib.loads(text.decode("utf-8"))
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
        problem = registry_problem(src)
        if problem:
            raise SourceError(f"source {src.id!r} {problem}", file=str(path))
        if src.enabled or not enabled_only:
            out.append(src)
    return tuple(out)


def sources_by_family(family: str, path: Path = SOURCES_TOML) -> list[Source]:
    return [s for s in load_sources(path) if s.family == family]


def write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` with `data` through a temporary file beside it and `os.replace`, so
    a reader (or a crash) never sees half a registry or half an archived file."""
    tmp = target.with_name(f".{target.name}.part-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
