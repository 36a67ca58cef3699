"""`spendtrack sources check-upstream [ID ...]`: compare the archive with the official addresses.

For each source with a `url`, the current bytes are downloaded as a refresh would fetch them
(allow-list, https, moved gov.uk attachments followed through the landing page) into a
temporary directory and compared with the pin: `unchanged`, `changed` (old and new size and
sha256), `moved` (the same bytes at a new address), `gone` (404 or 410, and no file of the same
name on the landing page) or `no address`. A check that could not be made at all (a refused
connection, a server error) is `unreachable`, which is a failure too: silence is not news.
Nothing is ever written: adopting what changed is `sources add` or `sources pin --write`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.sources.download import GoneError, safe_file_name, sha256_of
from pipeline.sources.fetch import download_source
from pipeline.sources.registry import Source

# Statuses that mean the archive no longer matches what is published, or that nobody knows.
NEEDS_ATTENTION = ("changed", "moved", "gone", "unreachable")


@dataclass(frozen=True)
class UpstreamStatus:
    """What one source's official address serves now, against the pin."""

    source: Source
    status: str  # unchanged | changed | moved | gone | unreachable | no address
    address: str = ""  # the address finally read (after redirects and a moved attachment)
    new_sha256: str = ""
    new_bytes: int = 0
    detail: str = ""

    @property
    def needs_attention(self) -> bool:
        return self.status in NEEDS_ATTENTION


def check_source(source: Source) -> UpstreamStatus:
    """Fetch `source`'s official address and compare its bytes with the pin."""
    if not source.url:
        where = source.landing_page or source.official_url
        detail = f"publication page: {where}" if where else "no official address or page known"
        return UpstreamStatus(source, "no address", detail=detail)
    with tempfile.TemporaryDirectory(prefix="spendtrack-upstream-") as tmp:
        dest = Path(tmp) / safe_file_name(source.file_name)
        try:
            fetched = download_source(source, dest)
        except GoneError as exc:
            return UpstreamStatus(source, "gone", address=source.url, detail=exc.message)
        except SourceError as exc:
            return UpstreamStatus(source, "unreachable", address=source.url, detail=exc.one_line())
        new_sha256, new_bytes = sha256_of(dest), dest.stat().st_size
    same = (new_sha256, new_bytes) == (source.sha256, source.bytes)
    moved = fetched.moved
    if same and not moved:
        return UpstreamStatus(source, "unchanged", fetched.address, new_sha256, new_bytes)
    if same:
        detail = f"the same bytes at {fetched.address}; {source.url} is gone"
        return UpstreamStatus(source, "moved", fetched.address, new_sha256, new_bytes, detail)
    detail = f"{source.bytes:,} bytes {source.sha256[:12]} -> {new_bytes:,} bytes {new_sha256[:12]}"
    if moved:
        detail += f", now at {fetched.address}"
    return UpstreamStatus(source, "changed", fetched.address, new_sha256, new_bytes, detail)


def check_upstream(sources: list[Source], ids: list[str] | None = None) -> list[UpstreamStatus]:
    """Check the sources named by `ids` (every enabled source when none), in registry order."""
    if ids:
        known = {s.id for s in sources}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise SourceError(
                f"no source {', '.join(map(repr, unknown))} in the registry "
                "(see `spendtrack sources list`)"
            )
        sources = [s for s in sources if s.id in ids]
    return [check_source(s) for s in sources]
