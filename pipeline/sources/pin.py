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

from pipeline.config import Settings
from pipeline.errors import SourceError
from pipeline.sources import govuk
from pipeline.sources.download import safe_file_name, sha256_of
from pipeline.sources.fetch import Probe, Resolved, download_source
from pipeline.sources.filetype import check_kind
from pipeline.sources.registry import Source, load_sources, write_atomically


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


def pin(source_id: str, settings: Settings, probe: Probe, *, write: bool = False) -> PinReport:
    """Download, check and compare; record the new pin in sources.toml only if `write`.

    `probe` runs every table reader of the source on the new bytes (`pipeline.build.probe`).
    """
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
        source = replace(source, url=govuk.attachment_address(source, why))
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
        readers = probe(Resolved(source, dest, "pin", fetched.address))
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
