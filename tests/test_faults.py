"""The fault matrix: each bad input makes `spendtrack refresh` exit non-zero with one line that
names the file (and sheet, cell or label), and leaves the published database byte-identical."""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipeline.build.publish import refresh_lock
from pipeline.cli import main
from pipeline.extract.layouts import normalise
from pipeline.refresh import refresh
from pipeline.sources import download
from tests.synthetic import (
    SAFEGUARDING,
    Column,
    columns_for,
    file_name,
    make_mirror,
    ra_grid,
    write_registry,
    year_workbook,
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_refresh(capsys) -> tuple[int, str]:
    # --force: a fault that leaves the pinned checksums alone (a corrupted cache or mirror
    # copy) would otherwise meet a published build that is already current, and do nothing.
    code = main(["refresh", "--force"])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err[-1] if err else ""


@pytest.fixture
def published(published_env):
    """A good first refresh: the database every fault must leave untouched (a copy of the
    session's one good refresh of the same generated files, see conftest.published_template)."""
    return published_env


def fault_then_check(settings, capsys, *, code: int, expected: list[str]) -> str:
    """Refresh again from a clean cache; assert the exit code, the message and no change."""
    before = digest(settings.database_path)
    shutil.rmtree(settings.cache_dir, ignore_errors=True)
    got, line = run_refresh(capsys)
    assert got == code, line
    assert line.startswith("spendtrack: error: ") and "\n" not in line
    for text in expected:
        assert text in line, line
    assert digest(settings.database_path) == before
    assert not any(settings.staging_dir.iterdir())  # the failed build left nothing behind
    return line


def rewrite_year(settings, year: str, sheets: dict) -> None:
    """Replace one year's workbook as a republished file would be: new bytes, re-pinned."""
    make_mirror(settings.mirror_dir.parent, overrides={year: sheets})


def test_truncated_file(published, capsys):
    path = published.mirror_dir / "mhclg" / file_name("2016-17")
    path.write_bytes(path.read_bytes()[:3000])
    fault_then_check(
        published,
        capsys,
        code=3,
        expected=[file_name("2016-17"), "size 3,000 bytes differs", "truncated"],
    )


def test_a_bad_source_stops_the_refresh_before_any_table_is_built(published, capsys):
    """Every source the build will read is verified first: a bad file costs no table's work."""
    path = published.mirror_dir / "mhclg" / file_name("2016-17")
    path.write_bytes(path.read_bytes()[:3000])
    shutil.rmtree(published.cache_dir)
    assert main(["refresh", "--force"]) == 3
    err = capsys.readouterr().err.splitlines()
    built = [line for line in err if re.match(r"\s+[a-z]+\.\w+: \d+ rows", line)]
    assert built == [], built
    assert file_name("2016-17") in err[-1]


def test_checksum_mismatch(published, capsys):
    path = published.mirror_dir / "mhclg" / file_name("2016-17")
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(data))
    line = fault_then_check(
        published, capsys, code=3, expected=[file_name("2016-17"), "sha256 mismatch: expected"]
    )
    assert hashlib.sha256(bytes(data)).hexdigest() in line


def test_html_error_page_saved_as_xlsx(published, capsys):
    path = published.mirror_dir / "mhclg" / file_name("2016-17")
    path.write_text("<!DOCTYPE html><html><title>Page not found - GOV.UK</title></html>")
    # even re-pinned to the page's own checksum, the kind check refuses it
    write_registry(published.mirror_dir.parent)
    fault_then_check(
        published,
        capsys,
        code=3,
        expected=[file_name("2016-17"), "expected a .xlsx workbook (zip), found an HTML page"],
    )


def test_missing_header_anchor(published, capsys):
    grid = ra_grid("2016-17", "Net current expenditure", style="2016")
    grid[6][0] = "Authority code"
    rewrite_year(published, "2016-17", {"RA LA Data 2016-17": grid})
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[
            file_name("2016-17"),
            "sheet 'RA LA Data 2016-17'",
            "header anchor 'E-code' not found",
        ],
    )


def test_renamed_substance_misuse_label(published, capsys):
    cols = columns_for("2016-17")
    cols[3] = Column(
        "Substance misuse - Treatment for drug use in adults", "Public Health", 376, cols[3].england
    )
    rewrite_year(
        published,
        "2016-17",
        {
            "RA LA Data 2016-17": ra_grid(
                "2016-17", "Net current expenditure", style="2016", columns=cols
            )
        },
    )
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[
            file_name("2016-17"),
            "sheet 'RA LA Data 2016-17'",
            "'Substance misuse - Treatment for drug use in adults'",
            "service_lines.csv",
        ],
    )


def test_duplicated_authority_row(published, capsys):
    grid = ra_grid("2017-18", "Net current expenditure", style="2017")
    grid.insert(10, list(grid[8]))
    rewrite_year(published, "2017-18", {"RA LA Data 2017-18": grid})
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[file_name("2017-18"), "cell A11", "authority E0102 (Bristol UA) appears twice"],
    )


def test_text_in_a_numeric_cell(published, capsys):
    cols = columns_for("2016-17")
    cols[4].marker_for = {"E0101": "see note"}
    rewrite_year(
        published,
        "2016-17",
        {
            "RA LA Data 2016-17": ra_grid(
                "2016-17", "Net current expenditure", style="2016", columns=cols
            )
        },
    )
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[file_name("2016-17"), "sheet 'RA LA Data 2016-17'", "cell I8", "text 'see note'"],
    )


def test_empty_data_sheet(published, capsys):
    rewrite_year(
        published, "2014-15", {**year_workbook("2014-15"), "RA LA Data 2014-15 (2)": [[""]]}
    )
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[file_name("2014-15"), "sheet 'RA LA Data 2014-15 (2)'", "header anchor"],
    )


def test_missing_data_sheet(published, capsys):
    sheets = year_workbook("2014-15")
    del sheets["RA LA Data 2014-15 (3)"]
    rewrite_year(published, "2014-15", sheets)
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[file_name("2014-15"), "sheet 'RA LA Data 2014-15 (3)' not found"],
    )


def test_trap_column_relabelled_into_a_series_fails_the_checks(published, capsys):
    """The safeguarding column printed with a substance misuse label: the figures leak and the
    bounds and reproduction checks stop the publish."""
    cols = columns_for("2017-18")
    trap = next(c for c in cols if c.label == SAFEGUARDING)
    drug = next(c for c in cols if c.label.endswith("Treatment for drug misuse in adults"))
    cols.remove(drug)
    trap.label, trap.section = drug.label, "Public Health"
    rewrite_year(
        published,
        "2017-18",
        {
            "RA LA Data 2017-18": ra_grid(
                "2017-18", "Net current expenditure", style="2017", columns=cols
            )
        },
    )
    fault_then_check(published, capsys, code=5, expected=["blocking check failed"])


def test_zip_bomb(published, capsys):
    path = published.mirror_dir / "mhclg" / file_name("2016-17")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<" * (60 * 1024 * 1024))
    write_registry(published.mirror_dir.parent)
    fault_then_check(published, capsys, code=3, expected=[file_name("2016-17"), "zip bomb"])


def test_oversized_workbook(published, capsys, monkeypatch):
    from pipeline.sources import filetype

    monkeypatch.setattr(filetype, "MAX_UNPACKED_BYTES", 100_000)
    fault_then_check(published, capsys, code=3, expected=[".xlsx", "byte limit (zip bomb?)"])


def serve_from(settings, httpserver, year: str) -> str:
    """Move one year's file off the mirror; its registry entry points at the loopback server."""
    local = settings.mirror_dir / "mhclg" / file_name(year)
    data = local.read_bytes()
    write_registry(settings.mirror_dir.parent, {year: httpserver.url_for(f"/{file_name(year)}")})
    local.unlink()
    return data


@pytest.fixture
def loopback_downloads(monkeypatch):
    monkeypatch.setattr(download, "ALLOWED_HOSTS", frozenset({"localhost"}))
    monkeypatch.setattr(download, "SCHEMES", ("http",))  # the loopback server speaks plain http
    monkeypatch.setattr(download, "BACKOFF_S", 0.0)


def test_http_404(published, capsys, httpserver, loopback_downloads):
    serve_from(published, httpserver, "2016-17")
    httpserver.expect_request(f"/{file_name('2016-17')}").respond_with_data("no", status=404)
    fault_then_check(
        published, capsys, code=3, expected=[f"/{file_name('2016-17')}", "HTTP 404 (expected 200)"]
    )


def test_http_500_then_success_is_retried(published, capsys, httpserver, loopback_downloads):
    data = serve_from(published, httpserver, "2016-17")
    path = f"/{file_name('2016-17')}"
    httpserver.expect_ordered_request(path).respond_with_data("busy", status=500)
    httpserver.expect_ordered_request(path).respond_with_data(data)
    shutil.rmtree(published.cache_dir)
    code, line = run_refresh(capsys)
    assert code == 0, line
    assert len(httpserver.log) == 2
    with duckdb.connect(str(published.database_path), read_only=True) as con:
        origin = con.execute(
            "SELECT obtained_via FROM reference.sources WHERE source_id = 'mhclg_ra_2016_17'"
        ).fetchone()[0]
    assert origin == "download"


def test_http_timeout(published, capsys, httpserver, loopback_downloads, monkeypatch):
    serve_from(published, httpserver, "2016-17")
    monkeypatch.setattr(download, "READ_TIMEOUT_S", 0.2)

    def slow(_request):
        time.sleep(0.6)
        from werkzeug import Response

        return Response("late")

    httpserver.expect_request(f"/{file_name('2016-17')}").respond_with_handler(slow)
    fault_then_check(
        published,
        capsys,
        code=3,
        expected=[f"/{file_name('2016-17')}", "download failed after 3 attempts: timed out"],
    )


def test_two_refreshes_at_once(published, capsys):
    before = digest(published.database_path)
    with refresh_lock(published.lake_dir):
        code, line = run_refresh(capsys)
    assert code == 6
    assert "another refresh is running (pid" in line and ".refresh.lock" in line
    assert digest(published.database_path) == before


def test_second_refresh_waits_for_the_first(published, capsys):
    """With a wait (`--wait`), a refresh queued behind a running one starts once the lock is
    free, and then plans under the lock (here: the published build is current)."""
    lock = refresh_lock(published.lake_dir)
    lock.__enter__()
    started = time.monotonic()
    threading.Timer(0.5, lambda: lock.__exit__(None, None, None)).start()
    said: list[str] = []
    assert refresh(published, progress=said.append, wait_s=30) == published.database_path
    assert time.monotonic() - started >= 0.5  # it waited for the lock
    assert said and said[0].startswith("nothing to do")


def test_reader_holding_the_database_open(published, capsys):
    """A reader keeps its snapshot through a successful and a failed refresh."""
    reader = duckdb.connect(str(published.database_path), read_only=True)
    try:
        first = reader.execute("SELECT count(*) FROM raw.mhclg__revenue_cells").fetchone()[0]
        assert main(["refresh", "--force"]) == 0  # the published file is replaced under the reader
        (published.mirror_dir / "mhclg" / file_name("2016-17")).write_bytes(b"junk")
        shutil.rmtree(published.cache_dir)
        assert main(["refresh", "--force"]) == 3
        again = reader.execute("SELECT count(*) FROM raw.mhclg__revenue_cells").fetchone()[0]
        assert again == first
    finally:
        reader.close()
    with duckdb.connect(str(published.database_path), read_only=True) as fresh:
        assert fresh.execute("SELECT count(*) FROM out.reproduction").fetchone()[0] > 0


def test_a_damaged_archived_file_is_named_and_nothing_is_published(
    published, capsys, monkeypatch, tmp_path
):
    from pipeline.config import REPO_ROOT

    archive = tmp_path / "clone"
    shutil.copytree(REPO_ROOT / "data_raw" / "published", archive / "data_raw" / "published")
    damaged = archive / "data_raw" / "published" / "secondary_claims.csv"
    data = bytearray(damaged.read_bytes())
    data[200] ^= 0x01  # one character changed, the size kept
    damaged.write_bytes(bytes(data))
    monkeypatch.setenv("SPENDTRACK_ARCHIVE", str(archive))
    line = fault_then_check(
        published,
        capsys,
        code=3,
        expected=["data_raw/published/secondary_claims.csv: sha256 mismatch: expected"],
    )
    assert "mirror" not in line  # the damaged copy is never replaced from elsewhere


@pytest.mark.parametrize(
    ("year", "sheet", "line"),
    [
        ("2016-17", "RA LA Data 2016-17", "drug_prevention"),
        ("2014-15", "RA LA Data 2014-15 (1)", "alcohol_adults_all"),
    ],
)
def test_a_deleted_service_line_column_is_named_with_its_file_and_year(
    published, capsys, year, sheet, line
):
    """The column is gone and the file re-pinned, so no checksum can catch it: without the
    completeness check the totals for that year would just be smaller."""
    from pipeline.extract.layouts import service_lines

    lines = service_lines()
    cols = [
        c
        for c in columns_for(year)
        if getattr(lines.get(normalise(c.label)), "canonical_line", "") != line
    ]
    assert len(cols) == len(columns_for(year)) - 1
    sheets = year_workbook(year)
    style = "2016" if year >= "2016-17" else "2013"
    sheets[sheet] = ra_grid(year, "Net current expenditure", style=style, columns=cols)
    rewrite_year(published, year, sheets)
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[file_name(year), f"{year}: service lines missing", f"expenditure: {line}"],
    )
