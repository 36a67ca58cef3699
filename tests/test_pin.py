"""`spendtrack sources pin ID [--write]` on generated workbooks served by a loopback gov.uk, and
the rule it exists for: a refresh never re-pins by itself."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.sources.fetch import resolve
from pipeline.sources.registry import load_sources
from tests.loopback import content_api_document, play_official_hosts, served_path
from tests.synthetic import (
    LANDING_PAGE,
    file_name,
    ra_grid,
    write_registry,
    write_xlsx,
    year_workbook,
)

YEAR = "2016-17"
SID = "mhclg_ra_2016_17"
URL = (
    "https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/532962/"
    + file_name(YEAR)
)
MEDIA = f"https://assets.publishing.service.gov.uk/media/0123456789abcdef01234567/{file_name(YEAR)}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def online(synthetic_env, httpserver, monkeypatch):
    """The generated sources, with 2016-17 pinned at a gov.uk address played on loopback."""
    write_registry(synthetic_env.mirror_dir.parent, {YEAR: URL})
    play_official_hosts(httpserver, monkeypatch)
    return synthetic_env


def republished(tmp_path: Path, sheets: dict | None = None) -> bytes:
    """The year's workbook as a new release: an added notes sheet, or the given sheets."""
    path = tmp_path / "republished" / file_name(YEAR)
    write_xlsx(path, sheets or {**year_workbook(YEAR), "Notes": [["Revised figures"]]})
    return path.read_bytes()


def pinned(settings):
    return next(s for s in load_sources(settings.sources_path) if s.id == SID)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["sources", "pin", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def test_a_new_release_is_shown_and_written_only_when_asked(online, httpserver, capsys, tmp_path):
    old = pinned(online)
    new = republished(tmp_path)
    new_sha = hashlib.sha256(new).hexdigest()
    httpserver.expect_request(served_path(URL)).respond_with_data(new)
    before = online.sources_path.read_text(encoding="utf-8")

    code, out, _ = run(capsys, SID)
    assert code == 0
    assert f"{SID}: read {URL}" in out and "raw.mhclg__revenue_cells (" in out
    assert old.sha256 in out and f"{old.bytes:,}" in out
    assert new_sha in out and f"{len(new):,}" in out
    assert "a new release" in out and "run again with --write" in out
    assert online.sources_path.read_text(encoding="utf-8") == before

    code, out, _ = run(capsys, SID, "--write")
    assert code == 0 and "written to" in out
    after = online.sources_path.read_text(encoding="utf-8")
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (f'sha256 = "{old.sha256}"', f'sha256 = "{new_sha}"'),
        (f"bytes = {old.bytes}", f"bytes = {len(new)}"),
    ]
    got = resolve(pinned(online), cache_dir=online.cache_dir, mirror_dir=None)
    assert got.origin == "download" and got.path.read_bytes() == new


def test_an_unchanged_release_is_said_to_be_current(online, httpserver, capsys):
    data = (online.mirror_dir / "mhclg" / file_name(YEAR)).read_bytes()
    httpserver.expect_request(served_path(URL)).respond_with_data(data)
    before = digest(online.sources_path)
    code, out, _ = run(capsys, SID, "--write")
    assert code == 0 and "the pin is current; sources.toml is unchanged" in out
    assert digest(online.sources_path) == before


def test_bytes_whose_layout_anchors_are_missing_are_refused(online, httpserver, capsys, tmp_path):
    grid = ra_grid(YEAR, "Net current expenditure", style="2016")
    grid[6][0] = "Authority code"  # the header anchor renamed
    httpserver.expect_request(served_path(URL)).respond_with_data(
        republished(tmp_path, {"RA LA Data 2016-17": grid})
    )
    before = digest(online.sources_path)
    code, out, err = run(capsys, SID, "--write")
    assert code == 4 and "\n" not in err and not out
    assert err.startswith(f"spendtrack: error: {file_name(YEAR)}: {SID}: the current bytes")
    assert "raw.mhclg__revenue_cells" in err and "header anchor 'E-code' not found" in err
    assert digest(online.sources_path) == before
    assert not online.lake_dir.exists()  # pin never builds or touches a database


def test_an_error_page_is_refused_by_kind(online, httpserver, capsys):
    httpserver.expect_request(served_path(URL)).respond_with_data("<!DOCTYPE html><html>Sorry")
    code, _, err = run(capsys, SID, "--write")
    assert code == 3
    assert f"{SID}: {file_name(YEAR)} from {URL}: expected a .xlsx workbook (zip)" in err


def test_a_moved_address_is_followed_and_recorded(online, httpserver, capsys, tmp_path):
    httpserver.expect_request(served_path(URL)).respond_with_data("gone", status=410)
    document = content_api_document(LANDING_PAGE, [(file_name(YEAR), MEDIA)])
    httpserver.expect_request(
        "/www.gov.uk/api/content/government/statistics/generated-ra-budget"
    ).respond_with_data(json.dumps(document), content_type="application/json")
    new = republished(tmp_path)
    httpserver.expect_request(served_path(MEDIA)).respond_with_data(new)
    code, out, _ = run(capsys, SID, "--write")
    assert code == 0 and f"read {MEDIA} (moved: the pinned address is gone)" in out
    src = pinned(online)
    assert (src.url, src.bytes) == (MEDIA, len(new))


def give_landing_page(settings, sid: str) -> None:
    """Give a mirror-only entry of the generated registry a gov.uk landing page."""
    text = settings.sources_path.read_text(encoding="utf-8")
    block = text.index(f'id = "{sid}"')
    at = text.index('landing_page = ""', block)
    text = text[:at] + f'landing_page = "{LANDING_PAGE}"' + text[at + len('landing_page = ""') :]
    settings.sources_path.write_text(text, encoding="utf-8")


def test_a_mirror_only_file_is_found_on_its_landing_page(online, httpserver, capsys):
    sid, year = "mhclg_ra_2013_14", "2013-14"
    give_landing_page(online, sid)
    media = MEDIA.replace(file_name(YEAR), file_name(year))
    document = content_api_document(LANDING_PAGE, [(file_name(year), media)])
    httpserver.expect_request(
        "/www.gov.uk/api/content/government/statistics/generated-ra-budget"
    ).respond_with_data(json.dumps(document), content_type="application/json")
    data = (online.mirror_dir / "mhclg" / file_name(year)).read_bytes()
    httpserver.expect_request(served_path(media)).respond_with_data(data)
    code, out, _ = run(capsys, sid)
    assert code == 0 and f"read {media} (found on its landing page by file name)" in out
    assert "the same bytes as pinned, at a new address" in out
    assert next(s for s in load_sources(online.sources_path) if s.id == sid).url == ""
    code, out, _ = run(capsys, sid, "--write")
    src = next(s for s in load_sources(online.sources_path) if s.id == sid)
    assert (src.url, src.sha256) == (media, hashlib.sha256(data).hexdigest())


def test_a_source_with_no_address_anywhere_cannot_be_pinned(online, capsys):
    code, _, err = run(capsys, "mhclg_ra_2013_14")
    assert code == 3 and "mhclg_ra_2013_14 has no download address (upstream: none)" in err
    assert "its landing page (none) is not a gov.uk page" in err
    code, _, err = run(capsys, "published_sots17_claims")
    assert code == 3 and "no official address can serve these bytes" in err
    code, _, err = run(capsys, "no_such_source")
    assert code == 3 and "no source 'no_such_source' in the registry" in err


def test_a_refresh_never_repins_by_itself(online, httpserver, capsys, tmp_path):
    assert main(["refresh"]) == 0
    capsys.readouterr()
    published = digest(online.database_path)
    registry = digest(online.sources_path)
    (online.mirror_dir / "mhclg" / file_name(YEAR)).unlink()  # only the address has it now
    shutil.rmtree(online.cache_dir)
    httpserver.expect_request(served_path(URL)).respond_with_data(republished(tmp_path))
    assert main(["refresh", "--force"]) == 3
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "differs from the" in line and f"(read from {URL})" in line
    assert digest(online.sources_path) == registry
    assert digest(online.database_path) == published
