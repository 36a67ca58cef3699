"""`spendtrack sources pin ID [--write]`: re-pin a source whose address serves a new release.

Some addresses always serve the latest edition (the ONS time-series generator, an ONS file
replaced in place), so a new release breaks the checksum and the refresh stops there: it never
re-pins by itself. `pin` downloads the current bytes as a refresh would (allow-list, moved
gov.uk attachments, file name check), checks their kind and that every table reading the
source still finds its layout in them (by running those tables' own readers on the new bytes),
and shows the old and new size and sha256. Only with `--write` does it record the new pin (and
a moved address) in `sources.toml`, with the new bytes in the archive in place of the old; the
database is never touched.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline import moved
from pipeline.config import Settings
from pipeline.errors import LayoutError, SourceError, SpendtrackError
from pipeline.fetch import Resolved, download_source, safe_file_name, sha256_of
from pipeline.filetype import check_kind
from pipeline.graph import BuildContext
from pipeline.sources import Source, load_sources, write_atomically


@dataclass(frozen=True)
class PinReport:
    """What `pin` found: the address read, both pins, and the tables that read the new bytes."""

    source: Source  # as registered; for a source found on its landing page, with that url
    address: str
    moved: bool  # the address differs from the registered one: --write records it
    found_on_landing_page: bool  # the source had no address: the page's file of its name
    new_sha256: str
    new_bytes: int
    readers: list[tuple[str, int]] = field(default_factory=list)  # (table, rows read)
    written: bool = False

    @property
    def changed(self) -> bool:
        return (self.new_sha256, self.new_bytes) != (self.source.sha256, self.source.bytes)


class _NotRead(Exception):
    """A table asked for some other source: it does not read the one being pinned."""


class _ProbeContext(BuildContext):
    """A build context whose only source is the new download; it has no database."""

    def __init__(self, settings: Settings, target: Resolved) -> None:
        super().__init__(con=None, settings=settings)
        self.target = target
        self.asked = False

    def sources(self, family: str) -> list[Resolved]:
        if family != self.target.source.family:
            raise _NotRead
        self.asked = True
        return [self.target]

    def source(self, source_id: str) -> Resolved:
        if source_id != self.target.source.id:
            raise _NotRead
        self.asked = True
        return self.target

    def resolve(self, src: Source) -> Resolved:
        return self.source(src.id)


def readers_of(target: Resolved, settings: Settings) -> list[tuple[str, int]]:
    """Run every table builder that reads `target`'s source on its new bytes.

    A builder that reads it and fails (an anchor, sheet or column not found) fails the pin,
    with the table named; builders that read other sources or need the database are skipped.
    """
    from assets.tables import TABLES

    found = []
    for spec in TABLES:
        if spec.build is None:
            continue
        ctx = _ProbeContext(settings, target)
        try:
            rows = len(spec.build(ctx))
        except _NotRead:
            continue
        except SpendtrackError as exc:
            if not ctx.asked:
                continue
            kind = LayoutError if isinstance(exc, LayoutError) else SourceError
            raise kind(
                f"{target.source.id}: the current bytes do not fit the layout that "
                f"{spec.name} reads ({exc.one_line()}); sources.toml is unchanged",
                file=target.source.file_name,
            ) from exc
        except Exception:  # a builder that needs the database: it reads no file
            if ctx.asked:
                raise
            continue
        if ctx.asked:
            found.append((spec.name, rows))
    return found


def pin(source_id: str, settings: Settings, *, write: bool = False) -> PinReport:
    """Download, check and compare; record the new pin in sources.toml only if `write`."""
    registry = settings.sources_path
    known = load_sources(registry, enabled_only=False)
    source = next((s for s in known if s.id == source_id), None)
    if source is None:
        raise SourceError(f"no source {source_id!r} in the registry", file=str(registry))
    found = not source.url  # an official file known only by name: look on its landing page
    if found and source.edition != "official":
        raise SourceError(
            f"{source.id} has no download address (upstream: {source.upstream}, edition "
            f"{source.edition}): no official address can serve these bytes; replace the file "
            "and pin it by hand",
            file=source.file_name,
        )
    if found:
        why = f"{source.id} has no download address (upstream: {source.upstream})"
        source = replace(source, url=moved.attachment_address(source, why))
    with tempfile.TemporaryDirectory(prefix="spendtrack-pin-") as tmp:
        dest = Path(tmp) / safe_file_name(source.file_name)
        fetched = download_source(source, dest)
        label = f"{source.id}: {source.file_name} from {fetched.address}"
        check_kind(dest, source.kind, label=label)
        report = PinReport(
            source=source,
            address=fetched.address,
            moved=fetched.moved or found,
            found_on_landing_page=found,
            new_sha256=sha256_of(dest),
            new_bytes=dest.stat().st_size,
        )
        readers = readers_of(Resolved(source, dest, "pin", fetched.address), settings)
        report = replace(report, readers=readers)
        if write and (report.changed or report.moved):
            archive_new_bytes(settings, source, dest, report)
            write_pin(registry, report)
            report = replace(report, written=True)
    return report


def archive_new_bytes(settings: Settings, source: Source, new: Path, report: PinReport) -> None:
    """Put the new bytes in the archive in place of the old, so that archive and pin agree."""
    if not (source.archive_path and report.changed):
        return
    target = settings.archive_root / source.archive_path
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, new.read_bytes())


def write_pin(registry: Path, report: PinReport) -> None:
    """Replace the entry's sha256 and bytes (and url, if it moved) in place, comments kept."""
    text = registry.read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[\[source\]\])", text)
    sid = report.source.id
    hits = [i for i, b in enumerate(blocks) if re.search(rf'(?m)^id = "{re.escape(sid)}"', b)]
    if len(hits) != 1:
        raise SourceError(f"cannot find one entry with id {sid!r} to write", file=str(registry))
    values = {"sha256": f'"{report.new_sha256}"', "bytes": str(report.new_bytes)}
    if report.moved:
        values["url"] = f'"{report.address}"'
    block = blocks[hits[0]]
    for key, value in values.items():
        block, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", block, count=1)
        if count != 1:
            raise SourceError(f"entry {sid!r} has no '{key} =' line to update", file=str(registry))
    blocks[hits[0]] = block
    new_text = "".join(blocks)
    entry = next(e for e in tomllib.loads(new_text)["source"] if e["id"] == sid)
    if (entry["sha256"], entry["bytes"]) != (report.new_sha256, report.new_bytes):
        raise SourceError(f"the rewritten entry {sid!r} does not parse back", file=str(registry))
    write_atomically(registry, new_text.encode("utf-8"))
