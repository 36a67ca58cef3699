"""`spendtrack sources discover` against GOV.UK Content API documents served on loopback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import SOURCES_TOML
from pipeline.sources import discover, download
from pipeline.sources.registry import load_sources

FIXTURES = Path(__file__).parent / "fixtures" / "govuk_content"
PAGE_2023 = next(
    p
    for p in discover.load_landing_pages()
    if p.financial_year == "2023-24" and p.basis == "budget"
)
PAGE_2025 = next(p for p in discover.load_landing_pages() if p.financial_year == "2025-26")
BROKEN = next(
    p
    for p in discover.load_landing_pages()
    if p.financial_year == "2024-25" and p.basis == "outturn"
)


@pytest.fixture
def content_api(httpserver, monkeypatch):
    """Loopback Content API: two recorded pages, one failing page, 404 for the rest."""
    monkeypatch.setattr(download, "ALLOWED_HOSTS", frozenset({"localhost"}))
    monkeypatch.setattr(download, "SCHEMES", ("http",))  # the loopback server speaks plain http
    monkeypatch.setattr(download, "BACKOFF_S", 0.0)
    httpserver.no_handler_status_code = 404
    for page, name in (
        (PAGE_2023, "ra_2023_to_2024_budget.json"),
        (PAGE_2025, "ra_2025_to_2026_budget.json"),
    ):
        httpserver.expect_request("/api/content" + page.path).respond_with_data(
            (FIXTURES / name).read_bytes(), content_type="application/json"
        )
    httpserver.expect_request("/api/content" + BROKEN.path).respond_with_data("busy", status=503)
    monkeypatch.setenv("SPENDTRACK_GOVUK_API", httpserver.url_for("/"))
    return httpserver


def test_new_spreadsheets_are_reported_and_known_ones_named(content_api):
    found, problems = discover.discover(
        load_sources(enabled_only=False), api=content_api.url_for("/")
    )
    status = {a.file_name: a.status for a in found}
    assert status == {
        "RA_2023-24_data_Part_1.csv": "known as mhclg_ra_2023_24",
        "RA_2023-24_data_Part_2.csv": "new",
        "RA_2025-26_data_by_LA.ods": "known as mhclg_ra_2025_26 (listed, not enabled)",
        "RA_2025-26_data_by_LA_revised.xlsx": "new",
    }  # the PDF release and the HTML technical notes are not data files
    by_page = {p.page.path: p.problem for p in problems}
    assert "HTTP 503" in by_page[BROKEN.path] and "after 3 attempts" in by_page[BROKEN.path]
    assert len(problems) == len(discover.load_landing_pages()) - 2
    assert sum("no such page (HTTP 404)" in p for p in by_page.values()) == len(problems) - 1


def test_cli_reports_and_never_touches_sources_toml(content_api, capsys):
    before = hashlib.sha256(SOURCES_TOML.read_bytes()).hexdigest()
    assert main(["sources", "discover", "--toml"]) == 0
    out = capsys.readouterr().out
    assert "4 spreadsheets on the landing pages: 2 new, 2 known" in out
    assert "RA_2025-26_data_by_LA_revised.xlsx" in out and "RA_2023-24_data_Part_2.csv" in out
    assert "enabled = false" in out and "sources.toml is not changed" in out
    assert hashlib.sha256(SOURCES_TOML.read_bytes()).hexdigest() == before


def test_printed_entries_parse_as_registry_toml(content_api, capsys):
    import tomllib

    main(["sources", "discover", "--toml"])
    out = capsys.readouterr().out
    stub = out[out.index("[[source]]") :]
    entries = tomllib.loads(stub)["source"]
    assert {e["file_name"] for e in entries} == {
        "RA_2023-24_data_Part_2.csv",
        "RA_2025-26_data_by_LA_revised.xlsx",
    }
    assert all(
        not e["enabled"] and e["url"].startswith("https://assets.publishing") for e in entries
    )


def test_a_page_off_the_allow_list_is_refused(httpserver, monkeypatch):
    monkeypatch.setattr(download, "ALLOWED_HOSTS", frozenset({"www.gov.uk"}))
    _, problems = discover.discover([], [PAGE_2023], api=httpserver.url_for("/"))
    assert "host not in the allow-list" in problems[0].problem
    assert not httpserver.log  # no request was made


def test_a_non_json_answer_is_named(content_api):
    content_api.clear()
    content_api.expect_request("/api/content" + PAGE_2023.path).respond_with_data("<html>")
    _, problems = discover.discover([], [PAGE_2023], api=content_api.url_for("/"))
    assert "not a Content API JSON document" in problems[0].problem


def test_recorded_documents_have_the_content_api_shape():
    for path in FIXTURES.glob("*.json"):
        doc = json.loads(path.read_text())
        assert doc["schema_name"] == "publication" and doc["base_path"].startswith("/government/")
        assert all(
            {"url", "title", "attachment_type"} <= set(a) for a in doc["details"]["attachments"]
        )


def test_dagster_sensor_reports_without_starting_a_run(content_api):
    import dagster as dg

    from pipeline.definitions import defs

    sensor = defs.resolve_sensor_def("new_releases")
    result = sensor.evaluate_tick(dg.build_sensor_context())
    assert not result.run_requests
    assert result.skip_message.startswith("2 new spreadsheets (RA_2023-24_data_Part_2.csv")
    assert "sources.toml unchanged" in result.skip_message
    # It compares the archive with upstream too; here the allow-list holds only the loopback
    # Content API, so every official address is refused: reported, never taken as unchanged.
    with_address = [s.id for s in load_sources() if s.url]
    upstream = result.skip_message.split("upstream: ")[1].split(";")[0]
    assert upstream == ", ".join(f"{sid} unreachable" for sid in with_address)


def test_discover_lists_the_known_releases_not_held(content_api, capsys):
    assert main(["sources", "discover"]) == 0
    out = capsys.readouterr().out
    known = out.split("Known releases not held here")[1]
    for release in discover.load_known_releases():
        assert release.release in known and release.address in known
    assert "phsmdrgalctrt" in known  # the 2026-27 series break is said before it arrives
