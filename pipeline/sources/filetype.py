"""Check that a file's bytes are the kind its name promises, and that archives are safe to open.

A gov.uk error page saved as `.xlsx`, a truncated download or a zip bomb is caught here,
before any spreadsheet reader sees the file.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.errors import SourceError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (BIFF in an OLE2 container)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx and .ods
STATA_MAGIC = b"<stata_dta>"  # Stata 13 and later (.dta formats 117-119)
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SHAPE_MAGIC = b"\x00\x00\x27\x0a"  # ESRI shapefile geometry and index (.shp, .shx): code 9994
DBF_VERSIONS = (b"\x03", b"\x83", b"\x8b")  # a shapefile's attribute table (dBASE III/IV)

# An honest MHCLG workbook unpacks to a few tens of MB; far above that is a bomb.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


def describe_head(head: bytes) -> str:
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:512]:
        return "an HTML page"
    if head.startswith(OLE2_MAGIC):
        return "a legacy Excel (.xls) file"
    if head.startswith(ZIP_MAGIC):
        return "a zip archive"
    if head.startswith(STATA_MAGIC):
        return "a Stata .dta file"
    if not head:
        return "an empty file"
    return "unrecognised bytes"


def check_kind(path: Path, kind: str, *, label: str | None = None) -> None:
    """Raise SourceError unless `path` holds a file of `kind` (xls, xlsx, ods, csv, dta, or a
    shapefile part: shp, shx, dbf, prj, cpg)."""
    name = label or path.name
    with path.open("rb") as fh:
        head = fh.read(4096)
    seen = describe_head(head)
    if kind == "xls":
        if not head.startswith(OLE2_MAGIC):
            raise SourceError(f"expected a legacy Excel (.xls) file, found {seen}", file=name)
    elif kind in ("xlsx", "ods"):
        if not head.startswith(ZIP_MAGIC):
            raise SourceError(f"expected a .{kind} workbook (zip), found {seen}", file=name)
        check_zip(path, kind, label=name)
    elif kind == "dta":
        if not head.startswith(STATA_MAGIC):
            raise SourceError(f"expected a Stata .dta file (Stata 13+), found {seen}", file=name)
    elif kind in ("shp", "shx"):
        if not head.startswith(SHAPE_MAGIC):
            raise SourceError(f"expected an ESRI shapefile .{kind} part, found {seen}", file=name)
    elif kind == "dbf":
        if head[:1] not in DBF_VERSIONS or seen == "an HTML page":
            raise SourceError(f"expected a dBASE (.dbf) table, found {seen}", file=name)
    elif kind in ("csv", "prj", "cpg"):
        if seen == "an HTML page" or b"\x00" in head:
            raise SourceError(f"expected a {kind.upper()} text file, found {seen}", file=name)
    else:
        raise SourceError(f"unknown file kind {kind!r}", file=name)


def check_zip(path: Path, kind: str, *, label: str) -> None:
    """Open the archive's directory only: reject truncation, bombs and the wrong package type."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            unpacked = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if unpacked > MAX_UNPACKED_BYTES:
                raise SourceError(
                    f"archive unpacks to {unpacked:,} bytes, over the {MAX_UNPACKED_BYTES:,} "
                    "byte limit (zip bomb?)",
                    file=label,
                )
            if unpacked / packed > MAX_COMPRESSION_RATIO:
                raise SourceError(
                    f"archive compression ratio {unpacked / packed:.0f}:1 exceeds "
                    f"{MAX_COMPRESSION_RATIO}:1 (zip bomb?)",
                    file=label,
                )
            if kind == "xlsx" and "[Content_Types].xml" not in names:
                raise SourceError(
                    "zip archive is not an Excel workbook (no [Content_Types].xml)", file=label
                )
            if kind == "ods" and (
                "mimetype" not in names or zf.read("mimetype").strip() != ODS_MIMETYPE
            ):
                raise SourceError("zip archive is not an OpenDocument spreadsheet", file=label)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"damaged or truncated zip archive ({exc})", file=label) from exc
