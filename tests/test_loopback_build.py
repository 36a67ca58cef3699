"""The download path: `refresh` from the official addresses builds the same database as the
archive build (the Dagster `refresh` job's, see conftest.mirror_run), table for table and row
for row.

A loopback server plays gov.uk and ONS (see tests/loopback.py: the pipeline keeps its real
addresses and allow-list; only the test's HTTP transport delivers them to 127.0.0.1). It serves
each archived file at its source's official address, so the bytes are the pinned ones. How
every enabled source reaches the build:
- a source with a `url`: downloaded from that address, from an empty cache. As on gov.uk, the
  old `www.gov.uk/government/uploads/...` address of RA 2013-14 redirects to the assets host;
  the pinned address of RA 2016-17 answers 410 Gone and the file is found through the Content
  API document of its landing page (served the same way), at a new `/media/...` address.
- a source with no official address (copies, transcriptions, the RO3 files and the ONS
  lookup): from an archive directory holding only those files, so that every source with an
  address is proven to come from it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest

from pipeline.config import REPO_ROOT, SOURCES_TOML, Settings
from pipeline.refresh import refresh
from pipeline.sources.govuk import content_api_address
from pipeline.sources.registry import Source, load_sources
from tests.loopback import content_api_document, play_official_hosts, served_path

pytestmark = pytest.mark.real

REDIRECTED = "mhclg_ra_2013_14"
MOVED = "mhclg_ra_2016_17"
MOVED_TO = "https://assets.publishing.service.gov.uk/media/5a7f3c1de5274a2e87db4d2b/"
# Columns that record how and when a build ran, not what it built.
RUN_COLUMNS = {
    "checks.validation_results": {"run_id", "checked_at"},
    "reference.sources": {"obtained_via", "downloaded_from"},
}


def serve(httpserver, url: str, **respond) -> None:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) or None
    httpserver.expect_request(served_path(url), query_string=query).respond_with_data(**respond)


def play_the_web(httpserver, sources: list[Source]) -> dict[str, str]:
    """Serve every downloadable source; return the address each should be read from."""
    expected = {}
    for src in sources:
        if not src.url:
            continue
        body = (REPO_ROOT / src.archive_path).read_bytes()
        if src.id == REDIRECTED:
            assets = src.url.replace("://www.gov.uk/", "://assets.publishing.service.gov.uk/")
            serve(httpserver, src.url, response_data="", status=301, headers={"Location": assets})
            serve(httpserver, assets, response_data=body)
            expected[src.id] = assets
        elif src.id == MOVED:
            media = MOVED_TO + src.file_name
            serve(httpserver, src.url, response_data="Gone", status=410)
            document = content_api_document(src.landing_page, [(src.file_name, media)])
            serve(
                httpserver,
                content_api_address(src.landing_page),
                response_data=json.dumps(document),
                content_type="application/json",
            )
            serve(httpserver, media, response_data=body)
            expected[src.id] = media
        else:
            serve(httpserver, src.url, response_data=body)
            expected[src.id] = src.url
    return expected


def compare_tables(
    ours: Path, theirs: Path, tmp: Path, ignore: dict[str, set[str]] = RUN_COLUMNS
) -> dict[str, tuple[int, int, int]]:
    """Per table: rows in each build and rows in one but not the other (both ways, with
    duplicates counted), over every column except those `ignore` names (how and when a build ran).

    A view is compared by its definition, which must be the same text in both builds, and
    its row count: its rows are then those of the same query over tables compared row for
    row here (the raw cells' view joins three of them; matching its 2.4 million rows again
    took two thirds of the comparison)."""
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET memory_limit = '1GB'")
    con.execute(f"ATTACH '{ours}' AS ours (READ_ONLY)")
    con.execute(f"ATTACH '{theirs}' AS theirs (READ_ONLY)")

    def tables(db: str) -> dict[str, list[str]]:
        rows = con.execute(
            "SELECT schema_name || '.' || table_name, list(column_name ORDER BY column_index) "
            "FROM duckdb_columns() WHERE database_name = ? GROUP BY ALL",
            [db],
        ).fetchall()
        return dict(rows)

    def views(db: str) -> dict[str, str]:
        rows = con.execute(
            "SELECT schema_name || '.' || view_name, sql FROM duckdb_views() "
            "WHERE database_name = ? AND NOT internal",
            [db],
        ).fetchall()
        return dict(rows)

    mine, other = tables("ours"), tables("theirs")
    assert mine == other  # the same tables, each with the same columns in the same order
    defined = views("ours")
    assert defined == views("theirs")  # the same views, defined by the same query
    result = {}
    for name, columns in sorted(mine.items()):
        a, b = f"ours.{name}", f"theirs.{name}"
        if name in defined:
            count = "SELECT (SELECT count(*) FROM {}), (SELECT count(*) FROM {}), 0"
            result[name] = con.execute(count.format(a, b)).fetchone()
            continue
        kept = ", ".join(f'"{c}"' for c in columns if c not in ignore.get(name, set()))
        # Rows in one and not the other, duplicates counted: for each distinct row, how many
        # more times one build holds it than the other (what EXCEPT ALL both ways counts, in
        # one hash aggregate rather than two sorts: 7 s instead of 55 s for the raw cells).
        counts = con.execute(
            f"SELECT (SELECT count(*) FROM {a}), (SELECT count(*) FROM {b}), "
            "(SELECT coalesce(sum(abs(n_ours - n_theirs)), 0) FROM (SELECT "
            "count(*) FILTER (WHERE _ours) AS n_ours, count(*) FILTER (WHERE NOT _ours) "
            f"AS n_theirs FROM (SELECT {kept}, true AS _ours FROM {a} UNION ALL "
            f"SELECT {kept}, false FROM {b}) GROUP BY {kept}))"
        ).fetchone()
        result[name] = counts
    con.close()
    return result


def test_a_build_from_official_addresses_equals_the_mirror_build(
    mirror_lake, httpserver, monkeypatch, tmp_path
):
    sources = load_sources(SOURCES_TOML)
    web = play_official_hosts(httpserver, monkeypatch)
    expected = play_the_web(httpserver, sources)
    for src in sources:  # the archive less every file with an official address
        if not src.url:
            target = tmp_path / "archive" / src.archive_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_ROOT / src.archive_path, target)
    settings = Settings(
        lake_dir=tmp_path / "lake",
        cache_dir=tmp_path / "cache",  # empty
        mirror_dir=None,
        allow_download=True,
        sources_path=SOURCES_TOML,
        archive_root=tmp_path / "archive",
    )
    progress: list[str] = []
    refresh(settings, progress=progress.append)
    httpserver.check_assertions()  # nothing asked that the web does not serve

    with duckdb.connect(str(settings.database_path), read_only=True) as con:
        got = {
            sid: (via, address)
            for sid, via, address in con.execute(
                "SELECT source_id, obtained_via, downloaded_from FROM reference.sources"
            ).fetchall()
        }
    for src in sources:
        if src.id in expected:
            via = "download (moved)" if src.id == MOVED else "download"
            assert got[src.id] == (via, expected[src.id]), src.id
        else:
            assert got[src.id] == ("archive", ""), src.id
    assert f"; {sources_by_id(sources)[MOVED].url} is gone: update url" in "\n".join(progress)
    assert len(web.requested) == len(expected) + 3  # one each; a redirect; a 410 and its page

    compared = compare_tables(settings.database_path, mirror_lake.database_path, tmp_path)
    differing = {name: c for name, c in compared.items() if c[0] != c[1] or c[2]}
    assert not differing
    assert compared["raw.mhclg__revenue_cells"][0] > 0


def sources_by_id(sources: list[Source]) -> dict[str, Source]:
    return {s.id: s for s in sources}
