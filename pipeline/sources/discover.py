"""New releases: ask the GOV.UK Content API what files the known landing pages now offer.

For each page in `data_raw/landing_pages.csv`, `GET <api>/api/content<path>` and read
`details.attachments`. A spreadsheet attachment whose address or file name is not in
`sources.toml` is reported as new. Nothing is ever written to `sources.toml`: `--toml` prints
a disabled stub to review and pin by hand. Requests go through the fetcher's allow-list,
timeouts, retries and size cap.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.config import DATA_RAW_DIR
from pipeline.errors import SourceError
from pipeline.sources.govuk import attachments_of, fetch_json, file_name_of
from pipeline.sources.registry import Source

LANDING_PAGES = DATA_RAW_DIR / "landing_pages.csv"
KNOWN_RELEASES = DATA_RAW_DIR / "known_releases.csv"
DEFAULT_API = "https://www.gov.uk"
SPREADSHEET_SUFFIXES = {".xls", ".xlsx", ".ods", ".csv"}


@dataclass(frozen=True)
class LandingPage:
    path: str
    family: str
    form: str
    basis: str
    financial_year: str
    note: str


@dataclass(frozen=True)
class KnownRelease:
    """A release seen in public code and pages whose bytes are not held: what to add next."""

    release: str
    form: str
    financial_year: str
    address: str
    landing_page: str
    note: str


def load_known_releases(path: Path = KNOWN_RELEASES) -> list[KnownRelease]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [KnownRelease(**row) for row in csv.DictReader(fh)]


@dataclass(frozen=True)
class Attachment:
    page: LandingPage
    title: str
    file_name: str
    url: str
    status: str  # "new", or "known as <source id>" (and whether it is enabled)


@dataclass(frozen=True)
class PageProblem:
    page: LandingPage
    problem: str


def load_landing_pages(path: Path = LANDING_PAGES) -> list[LandingPage]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [LandingPage(**row) for row in csv.DictReader(fh)]


def content_api_url(api: str, page: LandingPage) -> str:
    return api.rstrip("/") + "/api/content" + page.path


def classify(page: LandingPage, attachment: dict, sources: list[Source]) -> Attachment | None:
    """A spreadsheet attachment, new or known; None for anything else (PDF, HTML, ...)."""
    name = file_name_of(attachment)
    if PurePosixPath(name.lower()).suffix not in SPREADSHEET_SUFFIXES:
        return None
    url = attachment["url"]
    known = next(
        (
            s
            for s in sources
            if (s.url and s.url == url) or s.file_name.casefold() == name.casefold()
        ),
        None,
    )
    return Attachment(
        page=page,
        title=str(attachment.get("title") or ""),
        file_name=name,
        url=url,
        status=(
            "new"
            if known is None
            else f"known as {known.id}" + ("" if known.enabled else " (listed, not enabled)")
        ),
    )


def discover(
    sources: list[Source],
    pages: list[LandingPage] | None = None,
    *,
    api: str = DEFAULT_API,
) -> tuple[list[Attachment], list[PageProblem]]:
    """Every spreadsheet the pages list, and the pages that could not be read (and why)."""
    found: list[Attachment] = []
    problems: list[PageProblem] = []
    for page in pages if pages is not None else load_landing_pages():
        url = content_api_url(api, page)
        try:
            document = fetch_json(url)
        except SourceError as exc:
            text = exc.one_line()
            if "HTTP 404" in text:
                text = "no such page (HTTP 404): " + page.note
            problems.append(PageProblem(page, text))
            continue
        for attachment in attachments_of(document):
            item = classify(page, attachment, sources)
            if item is not None:
                found.append(item)
    return found, problems


def toml_stub(item: Attachment) -> str:
    """A disabled registry entry for a human to check, pin (sha256, bytes) and enable."""
    page = item.page
    stem = PurePosixPath(item.file_name).stem.lower()
    sid = f"{page.family}_{page.form.lower()}_{page.financial_year.replace('-', '_')}"
    return "\n".join(
        [
            "[[source]]",
            f'id = "{sid}"  # check: {stem}',
            f'family = "{page.family}"',
            'publisher = "MHCLG"',
            f"title = {json.dumps(item.title)}",
            f'form = "{page.form}"',
            f'financial_year = "{page.financial_year}"',
            f'basis = "{page.basis}"',
            f'url = "{item.url}"',
            f'landing_page = "https://www.gov.uk{page.path}"',
            f"file_name = {json.dumps(item.file_name)}",
            'mirror_path = ""',
            f'kind = "{PurePosixPath(item.file_name).suffix.lstrip(".").lower()}"',
            'sha256 = ""  # fill in after checking the file',
            "bytes = 0",
            'licence = "OGL-UK-3.0"',
            "enabled = false  # add its layout to pipeline/layouts/mhclg_sheets.csv first",
            "",
        ]
    )
