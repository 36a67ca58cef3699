"""The fetcher: cache, mirror, checksums, file kinds, and downloads against a loopback server."""

from __future__ import annotations

import hashlib
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.errors import ChecksumError, SourceError
from pipeline.sources import download as downloader
from pipeline.sources.download import download, safe_file_name
from pipeline.sources.fetch import cache_path, resolve
from pipeline.sources.filetype import check_kind
from pipeline.sources.registry import Source
from tests.synthetic import write_xlsx

LOOPBACK = frozenset({"localhost", "127.0.0.1"})


@pytest.fixture(autouse=True)
def plain_http_loopback(monkeypatch):
    """These tests talk to the loopback server directly, which speaks plain http; https-only
    is tested where the official addresses are played on loopback (test_sources_web.py)."""
    monkeypatch.setattr(downloader, "SCHEMES", ("http",))


def source_for(path: Path, **changes) -> Source:
    data = path.read_bytes()
    src = Source(
        id="test_source",
        family="mhclg_revenue",
        publisher="t",
        title="t",
        financial_year="2016-17",
        basis="budget",
        file_name=path.name,
        mirror_path=f"mhclg/{path.name}",
        kind="xlsx",
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        licence="t",
    )
    return replace(src, **changes)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "mirror" / "mhclg" / "RA_test.xlsx"
    write_xlsx(path, {"Sheet": [["E-code", "Local authority"], ["E0101", "Bath"]]})
    return path


def test_mirror_copy_lands_in_cache_then_cache_is_used(tmp_path, workbook):
    src = source_for(workbook)
    first = resolve(
        src, cache_dir=tmp_path / "cache", mirror_dir=tmp_path / "mirror", allow_download=False
    )
    assert first.origin == "mirror" and first.path == cache_path(src, tmp_path / "cache")
    second = resolve(src, cache_dir=tmp_path / "cache", mirror_dir=None, allow_download=False)
    assert second.origin == "cache"


def test_checksum_mismatch_names_file_and_both_hashes(tmp_path, workbook):
    src = source_for(workbook, sha256="0" * 64)
    with pytest.raises(ChecksumError) as err:
        resolve(
            src, cache_dir=tmp_path / "cache", mirror_dir=tmp_path / "mirror", allow_download=False
        )
    text = str(err.value)
    assert "RA_test.xlsx" in text and "0" * 64 in text
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() in text


def test_damaged_cache_entry_is_replaced_from_the_mirror(tmp_path, workbook):
    src = source_for(workbook)
    cached = cache_path(src, tmp_path / "cache")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"junk")
    got = resolve(
        src, cache_dir=tmp_path / "cache", mirror_dir=tmp_path / "mirror", allow_download=False
    )
    assert got.origin == "mirror" and got.path.read_bytes() == workbook.read_bytes()


def test_missing_everywhere_without_downloads(tmp_path, workbook):
    src = source_for(workbook)
    with pytest.raises(SourceError, match="not in the cache or the mirror"):
        resolve(
            src, cache_dir=tmp_path / "cache", mirror_dir=tmp_path / "empty", allow_download=False
        )


def test_html_error_page_saved_as_xlsx_is_caught(tmp_path):
    page = tmp_path / "RA_2016-17_data_by_LA.xlsx"
    page.write_text("<!DOCTYPE html><html><body>Page not found - GOV.UK</body></html>")
    with pytest.raises(
        SourceError,
        match=r"RA_2016-17_data_by_LA.xlsx: expected a .xlsx "
        r"workbook \(zip\), found an HTML page",
    ):
        check_kind(page, "xlsx")


def test_truncated_workbook_is_caught(tmp_path, workbook):
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(workbook.read_bytes()[:2000])
    with pytest.raises(SourceError, match="damaged or truncated zip archive"):
        check_kind(cut, "xlsx")


def test_zip_bomb_is_refused_before_reading(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(SourceError, match="compression ratio .* exceeds"):
        check_kind(bomb, "xlsx")


def test_unsafe_names_are_refused():
    assert safe_file_name("RA_2016-17_data_by_LA.xlsx") == "RA_2016-17_data_by_LA.xlsx"
    assert safe_file_name("https://x/a/b/RA.xlsx") == "RA.xlsx"
    for bad in ("..", "x/..", "", ".hidden", "a;rm -rf"):
        with pytest.raises(SourceError, match="unsafe file name"):
            safe_file_name(bad)


def test_download_success(httpserver, tmp_path, workbook):
    httpserver.expect_request("/RA_test.xlsx").respond_with_data(workbook.read_bytes())
    dest = tmp_path / "out.xlsx"
    download(httpserver.url_for("/RA_test.xlsx"), dest, allowed_hosts=LOOPBACK)
    assert dest.read_bytes() == workbook.read_bytes()


def test_download_404_is_final(httpserver, tmp_path):
    httpserver.expect_request("/gone.xlsx").respond_with_data("nope", status=404)
    with pytest.raises(SourceError, match="HTTP 404"):
        download(
            httpserver.url_for("/gone.xlsx"), tmp_path / "x", allowed_hosts=LOOPBACK, backoff_s=0
        )
    assert len(httpserver.log) == 1  # not retried


def test_download_500_then_success_is_retried(httpserver, tmp_path, workbook):
    httpserver.expect_ordered_request("/flaky.xlsx").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request("/flaky.xlsx").respond_with_data(workbook.read_bytes())
    dest = tmp_path / "out.xlsx"
    download(httpserver.url_for("/flaky.xlsx"), dest, allowed_hosts=LOOPBACK, backoff_s=0)
    assert dest.read_bytes() == workbook.read_bytes() and len(httpserver.log) == 2


def test_download_timeout_is_retried_then_reported(httpserver, tmp_path):
    release = threading.Event()

    def slow(_request):
        release.wait(5.0)
        from werkzeug import Response

        return Response("late")

    httpserver.expect_request("/slow.xlsx").respond_with_handler(slow)
    with pytest.raises(SourceError, match="download failed after 2 attempts: timed out"):
        download(
            httpserver.url_for("/slow.xlsx"),
            tmp_path / "x",
            allowed_hosts=LOOPBACK,
            retries=2,
            backoff_s=0,
            timeout=(1.0, 0.2),
        )
    # let the server answer both abandoned requests now, so that none reaches the next test
    release.set()
    give_up = time.monotonic() + 5.0
    while len(httpserver.log) < 2 and time.monotonic() < give_up:
        time.sleep(0.01)
    assert len(httpserver.log) == 2


def test_redirect_off_the_allow_list_is_refused(httpserver, tmp_path):
    httpserver.expect_request("/govuk.xlsx").respond_with_data(
        "", status=302, headers={"Location": "http://example.com/evil.xlsx"}
    )
    with pytest.raises(SourceError, match="host not in the allow-list"):
        download(httpserver.url_for("/govuk.xlsx"), tmp_path / "x", allowed_hosts=LOOPBACK)


def test_oversized_download_is_cut_off(httpserver, tmp_path):
    httpserver.expect_request("/big.xlsx").respond_with_data(b"x" * 5000)
    with pytest.raises(SourceError, match="exceeds the 1,000-byte limit"):
        download(
            httpserver.url_for("/big.xlsx"), tmp_path / "x", allowed_hosts=LOOPBACK, max_bytes=1000
        )


def test_gov_uk_only_by_default(tmp_path):
    with pytest.raises(SourceError, match="host not in the allow-list"):
        download("https://example.com/RA.xlsx", tmp_path / "x")
