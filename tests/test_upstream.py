"""`spendtrack sources check-upstream` against a loopback gov.uk: unchanged, changed, moved,
gone, unreachable and no address, each reported per source; it never writes anything and exits
1 whenever anything needs attention."""

from __future__ import annotations

import hashlib
import json

import pytest

from pipeline.cli import main
from pipeline.sources.govuk import content_api_address
from pipeline.sources.registry import load_sources
from tests.loopback import content_api_document, play_official_hosts, served_path
from tests.synthetic import LANDING_PAGE, file_name, write_registry

FILES = "https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/"
YEARS = ("2013-14", "2014-15", "2015-16", "2016-17")
URLS = {year: f"{FILES}{1000 + i}/{file_name(year)}" for i, year in enumerate(YEARS)}
MEDIA = "https://assets.publishing.service.gov.uk/media/feedfacefeedfacefeedface/"


@pytest.fixture
def web(synthetic_env, httpserver, monkeypatch):
    """The generated sources; four RA years pinned at gov.uk addresses played on loopback."""
    write_registry(synthetic_env.mirror_dir.parent, URLS)
    play_official_hosts(httpserver, monkeypatch)
    return synthetic_env


def serve(httpserver, url: str, **respond) -> None:
    httpserver.expect_request(served_path(url)).respond_with_data(**respond)


def body(settings, year: str) -> bytes:
    return (settings.mirror_dir / "mhclg" / file_name(year)).read_bytes()


def run(capsys, *ids: str) -> tuple[int, dict[str, list[str]], str]:
    code = main(["sources", "check-upstream", *ids])
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines()[2:]:
        cells = [c for c in line.split("  ") if c.strip()]
        if cells and cells[0].startswith(("mhclg_", "ons_", "ohid_", "hmt_", "published_")):
            rows[cells[0].strip()] = [c.strip() for c in cells[1:]]
    return code, rows, out


def test_each_status_is_reported_and_nothing_is_written(web, httpserver, capsys):
    unchanged, changed, moved, gone = YEARS
    serve(httpserver, URLS[unchanged], response_data=body(web, unchanged))
    new_bytes = body(web, changed) + b"\0"  # a different release of the same file
    serve(httpserver, URLS[changed], response_data=new_bytes)
    for year in (moved, gone):
        serve(httpserver, URLS[year], response_data="Gone", status=410)
    document = content_api_document(LANDING_PAGE, [(file_name(moved), MEDIA + file_name(moved))])
    serve(
        httpserver,
        content_api_address(LANDING_PAGE),
        response_data=json.dumps(document),
        content_type="application/json",
    )
    serve(httpserver, MEDIA + file_name(moved), response_data=body(web, moved))
    registry_before = web.sources_path.read_bytes()
    old = {s.financial_year: s for s in load_sources(web.sources_path)}

    code, rows, out = run(capsys)

    assert code == 1
    assert rows["mhclg_ra_2013_14"][0] == "unchanged"
    status, address, detail = rows["mhclg_ra_2014_15"]
    assert status == "changed" and address == URLS[changed]
    new_sha = hashlib.sha256(new_bytes).hexdigest()
    assert f"{old[changed].bytes:,} bytes {old[changed].sha256[:12]}" in detail
    assert f"{len(new_bytes):,} bytes {new_sha[:12]}" in detail
    status, address, _ = rows["mhclg_ra_2015_16"]
    assert (status, address) == ("moved", MEDIA + file_name(moved))
    status, _, detail = rows["mhclg_ra_2016_17"]
    assert status == "gone" and "has no attachment named" in detail
    assert rows["mhclg_ra_2017_18"][0] == "no address"
    assert rows["ons_mye_2023"][0] == "no address"
    assert "1 changed, 1 gone, 1 moved" in out and "nothing was written" in out
    assert web.sources_path.read_bytes() == registry_before


def test_all_unchanged_exits_0_and_named_ids_limit_the_check(web, httpserver, capsys):
    serve(httpserver, URLS["2013-14"], response_data=body(web, "2013-14"))
    code, rows, out = run(capsys, "mhclg_ra_2013_14")
    assert code == 0
    assert list(rows) == ["mhclg_ra_2013_14"] and rows["mhclg_ra_2013_14"][0] == "unchanged"
    assert out.strip().endswith("1 unchanged; nothing was written.")


def test_a_server_that_fails_is_unreachable_and_fails_the_check(web, httpserver, capsys):
    serve(httpserver, URLS["2013-14"], response_data="down", status=503)
    code, rows, _ = run(capsys, "mhclg_ra_2013_14")
    assert code == 1
    status, _, detail = rows["mhclg_ra_2013_14"]
    assert status == "unreachable" and "HTTP 503" in detail


def test_an_unknown_id_is_one_line(web, capsys):
    assert main(["sources", "check-upstream", "no_such_source"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no source 'no_such_source'" in err
