"""A loopback server that plays gov.uk and ONS, for download tests without the internet.

The seam is `pipeline.sources.download.new_session`, the factory every download takes its
HTTP session from. Tests replace it with a session whose transport sends each request for
`https://<host>/<path>?<query>` to `http://127.0.0.1:<port>/<host>/<path>?<query>` instead. The
code under test still sees, checks and follows the official addresses: the allow-list, the
redirect checks and the file name checks run unchanged, and need no widening. Nothing in the
pipeline reads a setting that could point downloads elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from pipeline.sources import download


class ToLoopback(HTTPAdapter):
    """Deliver every request to the loopback server, the official host as the first segment."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        self.requested: list[str] = []  # the official addresses asked for, in order

    def send(self, request, **kwargs):
        self.requested.append(request.url)
        parts = urlsplit(request.url)
        query = f"?{parts.query}" if parts.query else ""
        request.url = f"{self.base}/{parts.hostname}{parts.path}{query}"
        return super().send(request, **kwargs)


def play_official_hosts(httpserver, monkeypatch) -> ToLoopback:
    """Route every download to `httpserver`; return the adapter (it logs what was asked)."""
    adapter = ToLoopback(httpserver.url_for("/"))

    def session() -> requests.Session:
        s = requests.Session()
        s.mount("https://", adapter)
        s.mount("http://", adapter)
        return s

    monkeypatch.setattr(download, "new_session", session)
    monkeypatch.setattr(download, "BACKOFF_S", 0.0)
    httpserver.no_handler_status_code = 404
    return adapter


def served_path(url: str) -> str:
    """Where the loopback server answers for an official address (without its query)."""
    parts = urlsplit(url)
    return f"/{parts.hostname}{parts.path}"


def content_api_document(landing_page: str, attachments: list[tuple[str, str]]) -> dict:
    """A Content API `publication` document listing (file name, address) attachments.

    The shape follows GOV.UK's publication schema as in tests/fixtures/govuk_content; the
    attachment ids and media paths are made up for the test.
    """
    path = urlsplit(landing_page).path
    return {
        "base_path": path,
        "schema_name": "publication",
        "document_type": "official_statistics",
        "title": path.rsplit("/", 1)[-1].replace("-", " "),
        "details": {
            "attachments": [
                {
                    "attachment_type": "file",
                    "id": str(9000 + i),
                    "title": name,
                    "filename": name,
                    "url": url,
                }
                for i, (name, url) in enumerate(attachments)
            ]
        },
    }
