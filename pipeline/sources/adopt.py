"""`spendtrack sources add URL|PATH [--id ID]`: adopt a new MHCLG release in one command.

The file is downloaded (with the fetcher's allow-list, https and limits) or read from a path,
its kind checked, and its form, year and edition told from its own front page and sheet names
(`pipeline.release`). Then the build's own readers run on it, as `sources pin` runs them: the
layout anchors of `pipeline/layouts/mhclg_sheets.csv` must be found and every printed substance
misuse label must map through the crosswalk (one error lists every label that does not, with
where it is). Only then are the archived copy (`data_raw/mhclg/<file>`), its row in that
folder's README and the `sources.toml` entry written, the registry last and atomically. A file
whose bytes are already pinned says so and writes nothing; so does any failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import LayoutError, SourceError
from pipeline.extract.layouts import sheet_layouts
from pipeline.sources.discover import LANDING_PAGES, load_landing_pages
from pipeline.sources.download import address_file_name, download, safe_file_name, sha256_of
from pipeline.sources.fetch import Probe, Resolved
from pipeline.sources.filetype import check_kind
from pipeline.sources.registry import Source, load_sources, registry_problem, write_atomically
from pipeline.sources.release import Release, identify, kind_of

FAMILY = "mhclg_revenue"
PUBLISHER = "MHCLG"
LICENCE = "Open Government Licence v3.0"
GOVUK = "https://www.gov.uk"


@dataclass(frozen=True)
class AddReport:
    """What `add` found and did."""

    source: Source  # the entry (written, or that would have been)
    release: Release | None
    already: str = ""  # the id of a source that already pins these bytes
    readers: list[tuple[str, int]] = field(default_factory=list)  # (table, rows read)
    replaced_stub: bool = False  # a disabled entry of the same id became this one
    written: bool = False


def add(
    location: str,
    settings: Settings,
    probe: Probe,
    *,
    source_id: str = "",
    edition: str = "official",
    landing_page: str = "",
) -> AddReport:
    """Read `location` (an https address or a path), check it, and register and archive it.

    `probe` runs the table readers on the file (`pipeline.build.probe`).
    """
    registry = load_sources(settings.sources_path, enabled_only=False)
    with tempfile.TemporaryDirectory(prefix="spendtrack-add-") as tmp:
        path, file_name, address = obtain(location, Path(tmp))
        kind = kind_of(file_name)
        check_kind(path, kind, label=file_name)
        sha256, size = sha256_of(path), path.stat().st_size
        pinned = next((s for s in registry if s.sha256 == sha256), None)
        if pinned is not None:
            return AddReport(pinned, None, already=pinned.id)
        release = identify(path, file_name)
        sid = source_id or release.source_id
        stub = next((s for s in registry if s.id == sid), None)
        if stub is not None and stub.enabled:
            raise SourceError(
                f"{sid} is already pinned to other bytes ({stub.bytes:,} bytes, sha256 "
                f"{stub.sha256[:12]}…; this file: {size:,} bytes, {sha256[:12]}…): a revision "
                f"of a held release is re-pinned with `spendtrack sources pin {sid} --write`",
                file=file_name,
            )
        if sid not in sheet_layouts():
            raise LayoutError(
                f"this is {release.form} {release.financial_year} ({sid}), and "
                f"pipeline/layouts/mhclg_sheets.csv has no layout for it: add a row per data "
                f"sheet ({_sheet_hint(path, kind)}), modelled on the nearest year of the same "
                f"form ({_nearest(release) or 'none held'}); nothing was written",
                file=file_name,
            )
        source = entry_for(
            release,
            sid,
            file_name=file_name,
            sha256=sha256,
            size=size,
            address=address,
            location=location,
            edition=edition,
            landing_page=landing_page or (stub.landing_page if stub else "") or landing(release),
        )
        readers = probe(Resolved(source, path, "add", address))
        if not readers:
            raise LayoutError(f"no table reads {sid}: nothing was written", file=file_name)
        report = AddReport(source, release, readers=readers, replaced_stub=stub is not None)
        write_entry(settings, report, path)
    return replace(report, written=True)


def obtain(location: str, tmp: Path) -> tuple[Path, str, str]:
    """The file in `tmp`, its name, and the address it was downloaded from ("" for a path)."""
    if location.lower().startswith(("https://", "http://")):
        name = address_file_name(location)
        if name is None:
            raise SourceError("the address names no file", file=location)
        dest = tmp / safe_file_name(name)
        download(location, dest)
        return dest, name, location
    given = Path(location)
    if not given.is_file():
        raise SourceError("no such file", file=location)
    dest = tmp / safe_file_name(given.name)
    shutil.copyfile(given, dest)
    return dest, given.name, ""


def landing(release: Release) -> str:
    """The release's gov.uk page from data_raw/landing_pages.csv, or ""."""
    for page in load_landing_pages(LANDING_PAGES):
        key = (page.family, page.form, page.basis, page.financial_year)
        if key == (FAMILY, release.form, release.basis, release.financial_year):
            return GOVUK + page.path
    return ""


def entry_for(
    release: Release,
    sid: str,
    *,
    file_name: str,
    sha256: str,
    size: int,
    address: str,
    location: str,
    edition: str,
    landing_page: str,
) -> Source:
    """The registry entry: an official file keeps the address it came from; a copy never has
    one (only its official edition's page); a file from a path has no known address."""
    is_official = edition == "official"
    where = address or f"a local file ({Path(location).name})"
    read = f"; {release.edition}" if release.edition else ""
    source = Source(
        id=sid,
        family=FAMILY,
        publisher=PUBLISHER,
        title=release.title,
        form=release.form,
        financial_year=release.financial_year,
        basis=release.basis,
        url=address if is_official else "",
        landing_page=landing_page,
        official_url="" if is_official else landing_page,
        edition=edition,
        file_name=file_name,
        mirror_path=f"mhclg/{file_name}",
        archive_path=f"data_raw/mhclg/{file_name}",
        kind=release.kind,
        sha256=sha256,
        bytes=size,
        licence=LICENCE,
        obtained_from=where,
        note=f"added by `spendtrack sources add` from {where}; its front page: "
        f"{release.title!r}{read}",
        enabled=True,
    )
    problem = registry_problem(source)
    if problem:
        raise SourceError(
            f"source {sid!r} {problem} (pass --landing-page, or --edition copy for a copy)",
            file=file_name,
        )
    return source


def entry_text(source: Source) -> str:
    """The entry as TOML, in the registry's field order (strings JSON-quoted: valid TOML)."""
    lines = ["[[source]]"]
    for f in fields(Source):
        value = getattr(source, f.name)
        text = str(value).lower() if isinstance(value, bool) else json.dumps(value)
        lines.append(f"{f.name} = {text}")
    return "\n".join(lines) + "\n"


def write_entry(settings: Settings, report: AddReport, path: Path) -> None:
    """Archive the bytes, list them in the folder's README, then write the registry: each
    through a temporary file and `os.replace`; a failure removes what this call wrote."""
    source = report.source
    archived = settings.archive_root / source.archive_path
    if archived.exists():
        raise SourceError(
            "a different file is already archived at this path; nothing was written",
            file=source.archive_path,
        )
    registry = settings.sources_path
    text = registry.read_text(encoding="utf-8")
    new_text = _with_entry(text, source)
    check = registry.with_name(f".{registry.name}.add-{os.getpid()}")
    check.write_text(new_text, encoding="utf-8")
    try:
        written = [s for s in load_sources(check) if s.id == source.id]
    finally:
        check.unlink(missing_ok=True)
    if written != [source]:
        raise SourceError(f"the new entry {source.id!r} does not parse back", file=str(registry))
    archived.parent.mkdir(parents=True, exist_ok=True)
    readme = archived.parent / "README.md"
    old_readme = readme.read_text(encoding="utf-8") if readme.exists() else None
    try:
        write_atomically(archived, path.read_bytes())
        if old_readme is not None:
            write_atomically(readme, _with_row(old_readme, source).encode("utf-8"))
        write_atomically(registry, new_text.encode("utf-8"))
    except BaseException:
        archived.unlink(missing_ok=True)
        if old_readme is not None:
            readme.write_text(old_readme, encoding="utf-8")
        raise


def _with_entry(text: str, source: Source) -> str:
    """The registry with `source` in place of its disabled stub, or appended."""
    blocks = re.split(r"(?m)^(?=\[\[source\]\])", text)
    sid = re.escape(source.id)
    hits = [i for i, b in enumerate(blocks) if re.search(rf'(?m)^id = "{sid}"', b)]
    if hits:
        blocks[hits[0]] = entry_text(source) + "\n"
        return "".join(blocks)
    return text.rstrip("\n") + "\n\n" + entry_text(source)


def _with_row(readme: str, source: Source) -> str:
    """The folder README with the file's row added after the table's last row."""
    row = (
        f"| `{Path(source.archive_path).name}` | `{source.id}` | {source.edition} | "
        f"{source.licence} | {source.obtained_from} |"
    )
    lines = readme.splitlines()
    last = max((i for i, line in enumerate(lines) if line.startswith("| `")), default=None)
    if last is None:
        lines += ["", row]
    else:
        lines.insert(last + 1, row)
    return "\n".join(lines) + "\n"


def _sheet_hint(path: Path, kind: str) -> str:
    from pipeline.extract.workbook import sheet_names

    sheets = [s for s in sheet_names(path, kind) if s]
    return f"its sheets: {', '.join(sheets)}" if sheets else "one row with an empty sheet, a CSV"


def _nearest(release: Release) -> str:
    """The held layout of the same form with the nearest year, as a model for a new one."""
    prefix = f"mhclg_{release.form.lower()}_"
    held = sorted(s for s in sheet_layouts() if s.startswith(prefix))
    year = int(release.financial_year[:4])
    return min(held, key=lambda s: abs(int(s[len(prefix) : len(prefix) + 4]) - year), default="")
