"""Download one address to a file: official hosts only, over https, capped and bounded.

Downloads go only to allow-listed official hosts over https (redirects included: an https to
http redirect is refused), are size-capped, time out, must finish within an overall deadline
(a server dripping bytes slowly would otherwise hold a refresh for ever), and are retried
with backoff on 5xx, timeouts and dropped connections. This module knows addresses and
bytes, not sources' pins: `pipeline.sources.fetch` verifies what it brings.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from pipeline.errors import SourceError
from pipeline.sources.registry import Source

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
