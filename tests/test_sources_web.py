"""Downloads from official addresses, played on loopback: file names, moved gov.uk
attachments followed through the Content API, and the allow-list."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.errors import ChecksumError, SourceError
from pipeline.sources import download, fetch
from pipeline.sources.download import ALLOWED_HOSTS, address_file_name
from pipeline.sources.fetch import cache_path, resolve
from pipeline.sources.registry import Source
from tests.loopback import content_api_document, play_official_hosts, served_path
from tests.synthetic import write_xlsx
from tests.test_fetch import source_for as fetch_source_for

PINNED = (
    "https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/532962/RA_test.xlsx"
)
LANDING = "https://www.gov.uk/government/statistics/generated-ra-budget"
CONTENT_API = "/www.gov.uk/api/content/government/statistics/generated-ra-budget"
MEDIA = "https://assets.publishing.service.gov.uk/media/0123456789abcdef01234567/RA_test.xlsx"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "files" / "RA_test.xlsx"
    write_xlsx(path, {"Sheet": [["E-code", "Local authority"], ["E0101", "Bath"]]})
    return path


@pytest.fixture
def web(httpserver, monkeypatch):
    return play_official_hosts(httpserver, monkeypatch)


def source_for(path: Path, **changes) -> Source:
    """The fetch tests' source, with an official address and landing page."""
    pinned = {"id": "mhclg_ra_test", "url": PINNED, "landing_page": LANDING}
    return fetch_source_for(path, **(pinned | changes))


def fetch_from_web(src: Source, tmp_path: Path) -> fetch.Resolved:
    return resolve(src, cache_dir=tmp_path / "cache", mirror_dir=None)


def serve_content_api(httpserver, attachments: list[tuple[str, str]]) -> None:
    document = content_api_document(LANDING, attachments)
    httpserver.expect_request(CONTENT_API).respond_with_data(
        json.dumps(document), content_type="application/json"
    )


def test_file_names_of_addresses():
    assert address_file_name(PINNED) == "RA_test.xlsx"
    assert address_file_name(MEDIA) == "RA_test.xlsx"
    assert address_file_name("https://x.gov.uk/media/1/ViewIt%20Export.csv") == "ViewIt Export.csv"
    ons_file = "https://www.ons.gov.uk/file?uri=/peoplepopulationandcommunity/x/mye23tablesew.xlsx"
    assert address_file_name(ons_file) == "mye23tablesew.xlsx"
    generator = "https://www.ons.gov.uk/generator?format=csv&uri=/economy/x/timeseries/ybgb/ukea"
    assert address_file_name(generator) is None  # names no file: only the sha256 can judge it


def test_the_pinned_address_is_downloaded_and_named(tmp_path, workbook, httpserver, web):
    httpserver.expect_request(served_path(PINNED)).respond_with_data(workbook.read_bytes())
    got = fetch_from_web(source_for(workbook), tmp_path)
    assert (got.origin, got.address) == ("download", PINNED)
    assert got.path.read_bytes() == workbook.read_bytes()
    assert web.requested == [PINNED]  # the official address itself, on its own host


def test_a_redirect_to_the_assets_host_is_followed(tmp_path, workbook, httpserver, web):
    assets = PINNED.replace("www.gov.uk", "assets.publishing.service.gov.uk")
    httpserver.expect_request(served_path(PINNED)).respond_with_data(
        "", status=301, headers={"Location": assets}
    )
    httpserver.expect_request(served_path(assets)).respond_with_data(workbook.read_bytes())
    got = fetch_from_web(source_for(workbook), tmp_path)
    assert (got.origin, got.address) == ("download", assets)


@pytest.mark.parametrize("status", [404, 410])
def test_a_moved_attachment_is_followed_through_the_landing_page(
    tmp_path, workbook, httpserver, web, status
):
    httpserver.expect_request(served_path(PINNED)).respond_with_data("gone", status=status)
    serve_content_api(httpserver, [("RA_test_notes.pdf", MEDIA + ".pdf"), ("RA_test.xlsx", MEDIA)])
    httpserver.expect_request(served_path(MEDIA)).respond_with_data(workbook.read_bytes())
    got = fetch_from_web(source_for(workbook), tmp_path)
    assert (got.origin, got.address) == ("download (moved)", MEDIA)
    api = "https://www.gov.uk/api/content/government/statistics/generated-ra-budget"
    assert web.requested == [PINNED, api, MEDIA]
    assert got.path.read_bytes() == workbook.read_bytes()


def test_moved_bytes_must_still_match_the_pin(tmp_path, workbook, httpserver, web):
    httpserver.expect_request(served_path(PINNED)).respond_with_data("gone", status=410)
    serve_content_api(httpserver, [("RA_test.xlsx", MEDIA)])
    other = tmp_path / "other.xlsx"
    write_xlsx(other, {"Sheet": [["E-code", "Local authority"], ["E0101", "Bristol"]]})
    httpserver.expect_request(served_path(MEDIA)).respond_with_data(other.read_bytes())
    src = source_for(workbook)
    with pytest.raises(ChecksumError) as err:
        fetch_from_web(src, tmp_path)
    line = err.value.one_line()
    assert "differs from the" in line or "sha256 mismatch" in line  # size is checked first
    assert line.endswith(f"(read from {MEDIA})") and "\n" not in line
    assert not cache_path(src, tmp_path / "cache").exists()


def test_a_landing_page_without_the_file_is_one_clear_line(tmp_path, workbook, httpserver, web):
    httpserver.expect_request(served_path(PINNED)).respond_with_data("gone", status=404)
    serve_content_api(httpserver, [("RA_test_revised.xlsx", MEDIA.replace(".xlsx", "_r.xlsx"))])
    with pytest.raises(SourceError) as err:
        fetch_from_web(source_for(workbook), tmp_path)
    line = err.value.one_line()
    assert line.startswith("RA_test.xlsx: mhclg_ra_test: ") and "HTTP 404" in line
    assert f"landing page {LANDING} has no attachment named 'RA_test.xlsx'" in line
    assert "it lists 'RA_test_revised.xlsx'" in line and "\n" not in line


def test_an_unreadable_landing_page_is_named(tmp_path, workbook, httpserver, web):
    httpserver.expect_request(served_path(PINNED)).respond_with_data("gone", status=410)
    with pytest.raises(SourceError, match="landing page could not be read .* HTTP 404"):
        fetch_from_web(source_for(workbook), tmp_path)


def test_a_gone_address_off_gov_uk_is_not_guessed(tmp_path, workbook, httpserver, web):
    ons = "https://www.ons.gov.uk/file?uri=/a/b/RA_test.xlsx"
    httpserver.expect_request(served_path(ons)).respond_with_data("gone", status=404)
    src = source_for(workbook, url=ons, landing_page="https://www.ons.gov.uk/a/b")
    with pytest.raises(SourceError, match="not a gov.uk page the Content API can list"):
        fetch_from_web(src, tmp_path)
    assert web.requested == [ons]


def test_server_errors_are_retried_not_treated_as_moved(tmp_path, workbook, httpserver, web):
    httpserver.expect_request(served_path(PINNED)).respond_with_data("busy", status=503)
    with pytest.raises(SourceError, match="download failed after 3 attempts: HTTP 503"):
        fetch_from_web(source_for(workbook), tmp_path)
    assert web.requested == [PINNED] * 3


def test_an_address_naming_another_file_is_refused_unasked(tmp_path, workbook, web):
    src = source_for(workbook, url=PINNED.replace("RA_test.xlsx", "RA_test_revised.xlsx"))
    with pytest.raises(SourceError) as err:
        fetch_from_web(src, tmp_path)
    line = err.value.one_line()
    assert "mhclg_ra_test: address" in line
    assert "names the file 'RA_test_revised.xlsx', expected 'RA_test.xlsx'" in line
    assert web.requested == []


def test_a_redirect_to_another_file_is_refused(tmp_path, workbook, httpserver, web):
    swapped = MEDIA.replace("RA_test.xlsx", "RA_other.xlsx")
    httpserver.expect_request(served_path(PINNED)).respond_with_data(
        "", status=302, headers={"Location": swapped}
    )
    httpserver.expect_request(served_path(swapped)).respond_with_data(workbook.read_bytes())
    with pytest.raises(SourceError, match="names the file 'RA_other.xlsx', expected"):
        fetch_from_web(source_for(workbook), tmp_path)


def test_a_redirect_off_the_official_hosts_is_refused(tmp_path, workbook, httpserver, web):
    httpserver.expect_request(served_path(PINNED)).respond_with_data(
        "", status=302, headers={"Location": "https://example.com/RA_test.xlsx"}
    )
    with pytest.raises(SourceError, match="'https://example.com/RA_test.xlsx': host not in"):
        fetch_from_web(source_for(workbook), tmp_path)
    assert web.requested == [PINNED]


def test_a_source_in_no_archive_and_with_no_address_says_so(tmp_path, workbook):
    src = source_for(workbook, url="", landing_page=LANDING)
    with pytest.raises(SourceError) as err:
        fetch_from_web(src, tmp_path)
    assert "mhclg_ra_test is not archived and has no download address" in str(err.value)
    assert LANDING in str(err.value) and "SPENDTRACK_MIRROR" in str(err.value)


def test_an_archived_file_missing_from_the_work_tree_is_named(tmp_path, workbook):
    src = source_for(workbook, url="", landing_page=LANDING)
    src = replace(src, archive_path="data_raw/mhclg/RA_test.xlsx")
    with pytest.raises(SourceError) as err:
        resolve(src, cache_dir=tmp_path / "cache", mirror_dir=None, archive_root=tmp_path)
    assert "data_raw/mhclg/RA_test.xlsx is missing from the archive" in str(err.value)
    assert "git checkout -- data_raw" in str(err.value)


def test_a_damaged_archived_file_fails_its_checksum_and_is_never_replaced(tmp_path, workbook):
    src = replace(
        source_for(workbook, url="", landing_page=LANDING),
        archive_path="data_raw/mhclg/RA_test.xlsx",
    )
    archived = tmp_path / src.archive_path
    archived.parent.mkdir(parents=True)
    archived.write_bytes(workbook.read_bytes()[:-1] + b"X")
    mirror = tmp_path / "mirror"  # a good copy elsewhere is not a reason to use it
    (mirror / src.mirror_path).parent.mkdir(parents=True)
    (mirror / src.mirror_path).write_bytes(workbook.read_bytes())
    with pytest.raises(ChecksumError) as err:
        resolve(src, cache_dir=tmp_path / "cache", mirror_dir=mirror, archive_root=tmp_path)
    assert err.value.file == "data_raw/mhclg/RA_test.xlsx" and "sha256 mismatch" in str(err.value)


def test_the_allow_list_is_the_official_hosts_only():
    assert {"www.gov.uk", "assets.publishing.service.gov.uk", "www.ons.gov.uk"} <= ALLOWED_HOSTS
    for host in ("www.ndtms.net", "geoportal.statistics.gov.uk", "localhost", "127.0.0.1"):
        assert host not in ALLOWED_HOSTS


OFFICIAL = "https://assets.publishing.service.gov.uk/media/0123/RA_test.xlsx"


def test_plain_http_is_never_fetched(tmp_path, httpserver, monkeypatch):
    play_official_hosts(httpserver, monkeypatch)
    with pytest.raises(SourceError) as err:
        download.download(OFFICIAL.replace("https://", "http://"), tmp_path / "x")
    assert "only https addresses are fetched" in str(err.value)
    assert not httpserver.log  # refused before any request


def test_a_redirect_from_https_to_http_is_refused(tmp_path, httpserver, monkeypatch):
    play_official_hosts(httpserver, monkeypatch)
    plain = "http://assets.publishing.service.gov.uk/media/0123/RA_test.xlsx"
    httpserver.expect_request(served_path(OFFICIAL)).respond_with_data(
        "", status=302, headers={"Location": plain}
    )
    with pytest.raises(SourceError) as err:
        download.download(OFFICIAL, tmp_path / "x")
    assert f"refusing {plain!r}: only https addresses are fetched" in str(err.value)
    assert len(httpserver.log) == 1  # the redirect was read, its target never asked


def test_a_slow_drip_is_cut_off_at_the_overall_deadline(tmp_path, httpserver, monkeypatch):
    """Each chunk arrives well within the read timeout, so only the deadline can stop it."""
    import time as clock

    from werkzeug import Response

    def drip(_request):
        def chunks():
            for _ in range(40):
                clock.sleep(0.1)
                yield b"x" * 10

        return Response(chunks(), direct_passthrough=True)

    play_official_hosts(httpserver, monkeypatch)
    httpserver.expect_request(served_path(OFFICIAL)).respond_with_handler(drip)
    started = clock.monotonic()
    with pytest.raises(SourceError) as err:
        download.download(OFFICIAL, tmp_path / "x", deadline_s=1.0, timeout=(2.0, 2.0))
    assert "download did not finish within 1 s" in str(err.value)
    assert clock.monotonic() - started < 3.5  # cut off, not drained
