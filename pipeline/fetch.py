"""Resolve a source to verified local bytes: the archive, the cache, a mirror, then a download.

The archive (`archive_path`, committed under data_raw/) holds every enabled source, so a build
from a clone never reaches the network. An archived file is verified where it is: one that
does not match its pin is an error naming it, never a reason to look elsewhere. Only a file
missing from the work tree falls through to the other paths, which end in the cache
(`<cache>/<source id>/<file name>`), reached only through a temporary file that has passed its
size, sha256 and kind checks, then `os.replace`.
Downloads go only to allow-listed official hosts over https (redirects included: an https to
http redirect is refused), are size-capped, time out, must finish within an overall deadline
(a server dripping bytes slowly would otherwise hold a refresh for ever), and are retried
with backoff on 5xx, timeouts and dropped connections. The address
must name the source's file; when gov.uk answers 404 or 410 for it, the attachment of the
same name on the source's landing page is followed instead (`pipeline.moved`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from pipeline.config import REPO_ROOT
from pipeline.errors import ChecksumError, SourceError
from pipeline.filetype import check_kind
from pipeline.sources import Source

# gov.uk pages, the Content API and attachments; ONS files (the population workbook) and
# time-series exports. Nothing else is ever fetched.
ALLOWED_HOSTS = frozenset(
    {"www.gov.uk", "gov.uk", "assets.publishing.service.gov.uk", "www.ons.gov.uk"}
)
SCHEMES = ("https",)  # plain http is never fetched, not even after a redirect
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
DEADLINE_S = 600.0  # one download, every attempt and redirect included
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
RETRIES = 3
BACKOFF_S = 1.0
MAX_REDIRECTS = 5
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ ()-]{0,200}$")


@dataclass(frozen=True)
class Resolved:
    """A source's verified local copy and where it came from: archive, cache, mirror,
    download, or download (moved) when the landing page gave the address."""

    source: Source
    path: Path
    origin: str
    address: str = ""  # the address downloaded, when this run downloaded it


class GoneError(SourceError):
    """The pinned address answers 404 or 410 and the landing page offers no file of its name."""


class HTTPStatusError(SourceError):
    """A final (not retried) HTTP answer other than 200."""

    def __init__(self, status: int, url: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status} (expected 200)", file=url)


def new_session():
    """The HTTP session a download uses. The one seam tests replace (to reach loopback)."""
    import requests  # imported here: the CLI's no-op path never needs it

    return requests.Session()


def address_file_name(url: str) -> str | None:
    """The file name an address names, or None when it names none (e.g. a generator).

    gov.uk: the last path segment. ONS `file?uri=/.../name.xlsx`: the last segment of `uri`.
    """
    parts = urlsplit(url)
    uri = parse_qs(parts.query).get("uri")
    path = uri[0] if uri and parts.path.rstrip("/").endswith("/file") else parts.path
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1])
    return name if "." in name.strip(".") else None


def check_address_names(source: Source, url: str) -> None:
    """An address must name the source's file (when it names a file at all)."""
    name = address_file_name(url)
    if name is not None and name != source.file_name:
        raise SourceError(
            f"{source.id}: address {url} names the file {name!r}, expected "
            f"{source.file_name!r} (a different file: fix url in sources.toml)",
            file=source.file_name,
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def safe_file_name(name: str) -> str:
    """A file name usable inside the cache: no directories, no traversal, no oddities."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base in ("", ".", "..") or not SAFE_NAME.match(base):
        raise SourceError(f"unsafe file name {name!r} (expected letters, digits, . _ - ( ) )")
    return base


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
    from pipeline import moved  # it reads Content API documents through this module

    check_address_names(source, source.url)
    try:
        return Fetched(_named(source, download(source.url, dest)))
    except HTTPStatusError as exc:
        if exc.status not in moved.GONE:
            raise
        try:
            address = moved.current_address(source, exc)
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


def download(
    url: str,
    dest: Path,
    *,
    session=None,
    retries: int | None = None,
    backoff_s: float | None = None,
    allowed_hosts: frozenset[str] | None = None,
    max_bytes: int | None = None,
    timeout: tuple[float, float] | None = None,
    schemes: tuple[str, ...] | None = None,
    deadline_s: float | None = None,
) -> str:
    """Stream `url` into `dest`, following only allow-listed https redirects; retry transient
    faults; give up when the whole download has taken `deadline_s`.

    Return the address finally read (after redirects). Unset limits take the module's values
    at call time (so a test can point them at loopback).
    """
    retries = RETRIES if retries is None else retries
    backoff_s = BACKOFF_S if backoff_s is None else backoff_s
    allowed_hosts = ALLOWED_HOSTS if allowed_hosts is None else allowed_hosts
    max_bytes = MAX_DOWNLOAD_BYTES if max_bytes is None else max_bytes
    timeout = timeout or (CONNECT_TIMEOUT_S, READ_TIMEOUT_S)
    limits = _Limits(
        allowed_hosts,
        SCHEMES if schemes is None else schemes,
        max_bytes,
        timeout,
        time.monotonic() + (DEADLINE_S if deadline_s is None else deadline_s),
        DEADLINE_S if deadline_s is None else deadline_s,
    )

    session = session or new_session()
    last: Exception | None = None
    for attempt in range(1, retries + 1):
        try:
            return _download_once(url, dest, session, limits)
        except _Transient as exc:
            last = exc
            if attempt < retries:
                time.sleep(backoff_s * 2 ** (attempt - 1))
                limits.check_deadline(url)
    raise SourceError(f"download failed after {retries} attempts: {last}", file=url)


@dataclass(frozen=True)
class _Limits:
    """What one download may do: hosts, schemes, bytes, per-read timeouts, a deadline."""

    allowed_hosts: frozenset[str]
    schemes: tuple[str, ...]
    max_bytes: int
    timeout: tuple[float, float]
    deadline: float  # time.monotonic() by which the download must be done
    deadline_s: float

    def check_deadline(self, url: str) -> None:
        if time.monotonic() > self.deadline:
            raise SourceError(
                f"download did not finish within {self.deadline_s:g} s (a slow or stalled "
                "server); nothing was kept",
                file=url,
            )


class _Transient(Exception):
    """A fault worth retrying: 5xx, timeout, dropped connection."""


def _download_once(url: str, dest: Path, session, limits: _Limits) -> str:
    import requests
    import urllib3

    max_bytes = limits.max_bytes
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if (parts.hostname or "") not in limits.allowed_hosts:
            raise SourceError(f"refusing {current!r}: host not in the allow-list", file=url)
        if parts.scheme not in limits.schemes:
            raise SourceError(
                f"refusing {current!r}: only {', '.join(limits.schemes)} addresses are fetched",
                file=url,
            )
        limits.check_deadline(url)
        try:
            resp = session.get(current, stream=True, timeout=limits.timeout, allow_redirects=False)
        except requests.Timeout as exc:
            raise _Transient(f"timed out ({exc.__class__.__name__})") from exc
        except requests.ConnectionError as exc:
            raise _Transient(f"connection failed ({exc.__class__.__name__})") from exc
        with resp:
            if resp.is_redirect:
                current = urljoin(current, resp.headers.get("Location", ""))
                continue
            if resp.status_code >= 500:
                raise _Transient(f"HTTP {resp.status_code}")
            if resp.status_code != 200:
                raise HTTPStatusError(resp.status_code, current)
            declared = int(resp.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise SourceError(
                    f"declared size {declared:,} bytes exceeds the {max_bytes:,}-byte limit",
                    file=current,
                )
            written = 0
            try:
                with dest.open("wb") as fh:
                    # read1: what has arrived, up to 64 KiB. A read of a fixed size would wait
                    # for all of it, and a slow drip never trips the per-read timeout.
                    while chunk := resp.raw.read1(1 << 16, decode_content=True):
                        if time.monotonic() > limits.deadline:
                            resp.raw.close()  # drop it: draining a slow drip takes as long
                            limits.check_deadline(current)
                        written += len(chunk)
                        if written > max_bytes:
                            raise SourceError(
                                f"download exceeds the {max_bytes:,}-byte limit", file=current
                            )
                        fh.write(chunk)
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise _Transient(f"connection dropped mid-download ({exc})") from exc
            return current
    raise SourceError(f"more than {MAX_REDIRECTS} redirects", file=url)
