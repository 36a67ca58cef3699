"""The GOV.UK Content API: read a page's attachments, and follow an attachment that moved.

gov.uk moves attachments (old `/government/uploads/...` paths now live under
`assets.publishing.service.gov.uk/media/...`); the landing page keeps listing them. When the
pinned address answers 404 or 410, the attachment with exactly the source's file name on that
page is the file's current address. The bytes must still match the pinned sha256: a moved
address is never a reason to accept different bytes. Documents are read with the
downloader's allow-list, timeouts, retries and size cap (`pipeline.sources.download`);
`pipeline.sources.discover` lists new releases through the same client.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pipeline.errors import SourceError
from pipeline.sources.download import download
from pipeline.sources.registry import Source

GONE = (404, 410)
GOVUK_PAGE_HOSTS = ("www.gov.uk", "gov.uk")
MAX_JSON_BYTES = 5 * 1024 * 1024


def fetch_json(url: str) -> dict:
    """GET a Content API document with the fetcher's safety rules; a clear error otherwise."""
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) / "content.json"
        download(url, dest, max_bytes=MAX_JSON_BYTES)
        try:
            return json.loads(dest.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"not a Content API JSON document ({exc})", file=url) from exc


def file_name_of(attachment: dict) -> str:
    name = attachment.get("filename") or PurePosixPath(urlsplit(attachment["url"]).path).name
    return unquote(name)


def attachments_of(document: dict) -> list[dict]:
    details = document.get("details") or {}
    return [a for a in details.get("attachments") or [] if isinstance(a, dict) and a.get("url")]


def content_api_address(landing_page: str) -> str | None:
    """`https://www.gov.uk/api/content<path>` for a gov.uk page; None for any other page."""
    parts = urlsplit(landing_page)
    if parts.hostname not in GOVUK_PAGE_HOSTS or not parts.path.startswith("/"):
        return None
    return f"{parts.scheme}://{parts.netloc}/api/content{parts.path.rstrip('/')}"


def current_address(source: Source, gone: SourceError) -> str:
    """The address of the attachment named `source.file_name` on the source's landing page.

    `gone` is the 404 or 410 from the pinned address; every failure here repeats it.
    """
    return attachment_address(source, f"{source.id}: {gone.one_line()}")


def attachment_address(source: Source, why: str) -> str:
    """The landing page's attachment named exactly `source.file_name`; `why` starts any error."""
    api = content_api_address(source.landing_page)
    if api is None:
        raise SourceError(
            f"{why}, and its landing page {source.landing_page or '(none)'} is not a gov.uk page "
            "the Content API can list: find the file's address and set url",
            file=source.file_name,
        )
    try:
        document = fetch_json(api)
    except SourceError as exc:
        raise SourceError(
            f"{why}; its landing page could not be read from the Content API: {exc.one_line()}",
            file=source.file_name,
        ) from exc
    attachments = attachments_of(document)
    names = [file_name_of(a) for a in attachments]
    for attachment, name in zip(attachments, names, strict=True):
        if name == source.file_name:
            return attachment["url"]
    raise SourceError(
        f"{why}; its landing page {source.landing_page} has no attachment named "
        f"{source.file_name!r} (it lists {', '.join(repr(n) for n in names) or 'no files'})",
        file=source.file_name,
    )
