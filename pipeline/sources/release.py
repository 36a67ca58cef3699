"""Tell which MHCLG release a file is from its own words: form (RA or RO3), year and edition.

A revenue workbook says what it is on its front page ("REVENUE ACCOUNT BUDGET 2016-17",
"General Fund Revenue Account Outturn RO3 - ... 2023-24") and in its data sheets' names
("RA LA Data 2016-17", "RO3_LA_Data_202425"); a CSV export of one keeps its title on the first
line ("Worksheet 2: Revenue Account Budget (RA) 2023-24: ..."). The year is taken from the title
and must agree with every year the sheet names print; anything unclear is an error naming the
file and what was read, never a guess. A Stata copy prints no title: it cannot be told.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import LayoutError
from pipeline.extract.workbook import read_sheets, sheet_names

KINDS = {".xls": "xls", ".xlsx": "xlsx", ".ods": "ods", ".csv": "csv", ".dta": "dta"}
FORMS = {"RA": "budget", "RO3": "outturn"}
TITLE_ROWS = 12  # a front page states what it is in its first lines
_YEAR = re.compile(r"\b(20\d\d)[-/ ]?(\d\d)\b")
_RO3 = re.compile(r"\bRO3\b", re.IGNORECASE)
_RA = re.compile(r"revenue account budget|\(RA\)|\bRA[ _]LA[ _]data\b", re.IGNORECASE)
_EDITION = re.compile(
    r"((?:first|second|final|revised)\s+release|revised|final outturn)", re.IGNORECASE
)
_DATED = re.compile(
    r"\b(published|updated|released)\s+(?:on\s+)?(\d{1,2}(?:st|nd|rd|th)?\s+\w+\s+\d{4})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Release:
    """What a file says it is."""

    form: str  # RA | RO3
    financial_year: str  # "2023-24"
    title: str  # the first line of its front page, as printed
    edition: str  # "Second release, published on 4 December 2025", or ""
    kind: str  # xls | xlsx | ods | csv

    @property
    def basis(self) -> str:
        return FORMS[self.form]

    @property
    def source_id(self) -> str:
        return f"mhclg_{self.form.lower()}_{self.financial_year.replace('-', '_')}"


def kind_of(file_name: str) -> str:
    kind = KINDS.get(Path(file_name).suffix.lower())
    if kind is None:
        raise LayoutError(
            f"cannot tell a spreadsheet kind from the name (expected one of {', '.join(KINDS)})",
            file=file_name,
        )
    return kind


def front_text(path: Path, kind: str, file_name: str) -> tuple[list[str], list[str]]:
    """The first lines of text a file shows (its front page or first line), and its sheets."""
    if kind == "dta":
        raise LayoutError(
            "a Stata copy prints no front page, so its form and year cannot be told from it; "
            "register it by hand in data_raw/sources.toml",
            file=file_name,
        )
    if kind == "csv":
        raw = path.read_bytes()[:65536]
        text = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("cp1252")
        rows = list(csv.reader(text.splitlines()[:TITLE_ROWS]))
        return [" ".join(c for c in r if c.strip()) for r in rows if any(c.strip() for c in r)], []
    sheets = sheet_names(path, kind)
    front = next((s for s in sheets if "front" in s.casefold()), sheets[0] if sheets else None)
    if front is None:
        raise LayoutError("the workbook has no sheets", file=file_name)
    grid = read_sheets(path, kind, [front])[front][:TITLE_ROWS]
    lines = [" ".join(str(v) for v in row if str(v).strip()) for row in grid]
    return [line for line in lines if line], sheets


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(raw) - 4  # cut mid-character by the 64 KiB read
    return True


def identify(path: Path, file_name: str) -> Release:
    """Form, year and edition from the file's front page (or first line) and sheet names."""
    kind = kind_of(file_name)
    lines, sheets = front_text(path, kind, file_name)
    head = " ".join(lines[:3])
    seen = f"its front page begins {lines[0][:100]!r}" if lines else "its front page is empty"
    form = "RO3" if _RO3.search(head) else "RA" if _RA.search(head) else None
    if form is None:
        raise LayoutError(
            f"cannot tell whether this is an RA budget or RO3 outturn file: {seen}",
            file=file_name,
        )
    title_years = _years(head)
    if len(title_years) != 1:
        raise LayoutError(
            f"cannot tell the financial year: {seen} (years found: "
            f"{', '.join(sorted(title_years)) or 'none'})",
            file=file_name,
        )
    (year,) = title_years
    for sheet in sheets:
        other = _years(sheet) - {year}
        if other:
            raise LayoutError(
                f"its front page says {year} but sheet {sheet!r} says {', '.join(sorted(other))}",
                file=file_name,
            )
    return Release(form, year, lines[0], _edition(" ".join(lines)), kind)


def _years(text: str) -> set[str]:
    """Financial years printed as 2023-24, 2023/24, 2023 24 or 202324 (only consecutive)."""
    found = set()
    for start, end in _YEAR.findall(text):
        if (int(start) + 1) % 100 == int(end):
            found.add(f"{start}-{end}")
    return found


def _edition(text: str) -> str:
    parts = []
    named = _EDITION.search(text)
    if named:
        parts.append(named.group(1)[0].upper() + named.group(1)[1:].lower())
    dated = _DATED.search(text)
    if dated:
        parts.append(f"{dated.group(1).lower()} {dated.group(2)}")
    return ", ".join(parts)
