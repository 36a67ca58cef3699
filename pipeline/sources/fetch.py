"""Resolve a source to verified local bytes: the archive, the cache, a mirror, then a download.

The archive (`archive_path`, committed under data_raw/) holds every enabled source, so a build
from a clone never reaches the network. An archived file is verified where it is: one that
does not match its pin is an error naming it, never a reason to look elsewhere. Only a file
missing from the work tree falls through to the other paths, which end in the cache
(`<cache>/<source id>/<file name>`), reached only through a temporary file that has passed its
size, sha256 and kind checks, then `os.replace`.
Downloads (`pipeline.sources.download`) must name the source's file; when gov.uk answers
404 or 410 for it, the attachment of the same name on the source's landing page is followed
instead (`pipeline.sources.govuk`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import REPO_ROOT
from pipeline.errors import ChecksumError, SourceError
from pipeline.sources import govuk
from pipeline.sources.download import (
    GoneError,
    HTTPStatusError,
    check_address_names,
    download,
    safe_file_name,
    sha256_of,
)
from pipeline.sources.filetype import check_kind
from pipeline.sources.registry import Source


@dataclass(frozen=True)
class Resolved:
    """A source's verified local copy and where it came from: archive, cache, mirror,
    download, or download (moved) when the landing page gave the address."""

    source: Source
    path: Path
    origin: str
    address: str = ""  # the address downloaded, when this run downloaded it


# Runs a source's table readers on its new bytes: (table, rows read) per table that reads it
Probe = Callable[[Resolved], list[tuple[str, int]]]


def cache_path(source: Source, cache_dir: Path) -> Path:
    return cache_dir / safe_file_name(source.id) / safe_file_name(source.file_name)


def verify(path: Path, source: Source, *, label: str | None = None) -> None:
    """Size, then sha256, then kind: the cheapest check that can fail goes first."""
    name = label or source.file_name
    size = path.stat().st_size
    if source.bytes and size != source.bytes:
        raise ChecksumError(
            f"size {size:,} bytes differs from the {source.bytes:,} bytes in sources.toml "
            "(truncated or different file)",
            file=name,
        )
    actual = sha256_of(path)
    if actual != source.sha256:
        raise ChecksumError(f"sha256 mismatch: expected {source.sha256}, got {actual}", file=name)
    check_kind(path, source.kind, label=name)


def resolve(
    source: Source,
    *,
    cache_dir: Path,
    mirror_dir: Path | None,
    allow_download: bool = True,
    archive_root: Path = REPO_ROOT,
) -> Resolved:
    """Return verified bytes for `source`: archived, cached, mirrored or downloaded."""
    archived = archive_root / source.archive_path if source.archive_path else None
    if archived is not None and archived.is_file():
        verify(archived, source, label=source.archive_path)
        return Resolved(source, archived, "archive")
    target = cache_path(source, cache_dir)
    if target.exists():
        try:
            verify(target, source)
            return Resolved(source, target, "cache")
        except SourceError:
            target.unlink()  # a stale or damaged cache entry is refetched, never used
    if mirror_dir is not None:
        mirrored = mirror_dir / source.mirror_path
        if mirrored.exists():
            verify(mirrored, source, label=str(mirrored))
            _install(target, lambda tmp: shutil.copyfile(mirrored, tmp), source)
            return Resolved(source, target, "mirror")
    missing = (
        f"{source.id}: {source.archive_path} is missing from the archive (restore it with "
        "`git checkout -- data_raw`)"
        if archived
        else f"{source.id} is not archived"
    )
    if not allow_download:
        where = f"mirror {mirror_dir}" if mirror_dir else "no mirror set (SPENDTRACK_MIRROR)"
        raise SourceError(
            f"{missing}, not in the cache or the mirror ({where}), and downloads are off",
            file=source.file_name,
        )
    if not source.url:
        raise SourceError(
            f"{missing} and has no download address in sources.toml (official edition: "
            f"{source.official_url or source.landing_page or 'unknown'}); a mirror holding it "
            "(SPENDTRACK_MIRROR) would do",
            file=source.file_name,
        )
    got: list[Fetched] = []
    try:
        _install(target, lambda tmp: got.append(download_source(source, tmp)), source)
    except ChecksumError as exc:
        if not got:
            raise
        raise ChecksumError(f"{exc.message} (read from {got[0].address})", file=exc.file) from exc
    origin = "download (moved)" if got[0].moved else "download"
    return Resolved(source, target, origin, got[0].address)


@dataclass(frozen=True)
class Fetched:
    """Where a download came from: the address read, and whether the pinned one had gone."""

    address: str
    moved: bool = False


def download_source(source: Source, dest: Path) -> Fetched:
    """Download `source` into `dest` from its url, or, if gov.uk answers 404 or 410 there,
    from the attachment of the same name on its landing page.

    Checks the file name, not the bytes: callers verify (or, for `sources pin`, compare).
    """
    check_address_names(source, source.url)
    try:
        return Fetched(_named(source, download(source.url, dest)))
    except HTTPStatusError as exc:
        if exc.status not in govuk.GONE:
            raise
        try:
            address = govuk.current_address(source, exc)
        except SourceError as lost:
            raise GoneError(lost.message, file=lost.file) from lost
    check_address_names(source, address)
    return Fetched(_named(source, download(address, dest)), moved=True)


def _named(source: Source, final: str) -> str:
    check_address_names(source, final)  # a redirect may not swap in another file
    return final


def _install(target: Path, write: Callable[[Path], None], source: Source) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".part-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        verify(tmp, source)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
