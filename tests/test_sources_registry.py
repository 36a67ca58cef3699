"""The registry's provenance: addresses, editions, the archive and what `sources list` says."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.cli import main
from pipeline.config import REPO_ROOT
from pipeline.errors import SourceError
from pipeline.sources.download import ALLOWED_HOSTS, address_file_name
from pipeline.sources.registry import load_sources

DATA_RAW = REPO_ROOT / "data_raw"
ALL = load_sources(enabled_only=False)
# Hosts the fetcher needs beyond the sources' own addresses: gov.uk pages and the Content API
# (moved attachments) and the attachment host they point to.
GOVUK = {"www.gov.uk", "gov.uk", "assets.publishing.service.gov.uk"}


def test_every_address_is_on_the_allow_list_and_names_its_file():
    for src in ALL:
        if src.url:
            assert urlsplit(src.url).scheme == "https", src.id
            assert urlsplit(src.url).hostname in ALLOWED_HOSTS, src.id
            assert address_file_name(src.url) in (None, src.file_name), src.id


def test_the_allow_list_holds_only_hosts_the_sources_need():
    used = {urlsplit(s.url).hostname for s in ALL if s.url}
    assert ALLOWED_HOSTS - used <= GOVUK


def test_every_address_has_a_landing_page():
    assert all(s.landing_page for s in ALL if s.url)


def test_copies_name_their_official_edition_and_have_no_address():
    for src in ALL:
        if src.edition == "copy" and src.enabled:
            assert src.official_url and not src.url, src.id


def test_every_enabled_source_is_archived_as_its_pinned_bytes():
    enabled = [s for s in ALL if s.enabled]
    assert enabled
    for src in enabled:
        assert src.archive_path.startswith("data_raw/"), src.id
        data = (REPO_ROOT / src.archive_path).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (src.sha256, src.bytes), src.id


def test_every_archived_file_is_in_its_folders_readme_with_its_licence():
    archived = {s.archive_path: s for s in ALL if s.archive_path}
    folders = {Path(p).parent for p in archived}
    assert folders == {Path("data_raw", f) for f in ("mhclg", "ons", "ohid", "hmt", "published")}
    for folder in folders:
        readme = (REPO_ROOT / folder / "README.md").read_text(encoding="utf-8")
        assert "## Licence and attribution" in readme and "Open Government Licence" in readme
        for path in (REPO_ROOT / folder).iterdir():
            if path.name == "README.md":
                continue
            src = archived.get(f"{folder}/{path.name}")
            assert src is not None, f"{path} is in the archive but no source pins it"
            row = f"| `{path.name}` | `{src.id}` | {src.edition} | {src.licence} |"
            assert row in readme, row


def test_git_keeps_archived_bytes_as_they_are():
    attributes = (REPO_ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "data_raw/** -text" in attributes


BASE = """[[source]]
id = "x_source"
family = "mhclg_revenue"
publisher = "t"
title = "t"
financial_year = "2016-17"
basis = "budget"
file_name = "x.xlsx"
mirror_path = "mhclg/x.xlsx"
kind = "xlsx"
sha256 = "00"
bytes = 1
licence = "t"
"""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ('url = "https://www.gov.uk/a/x.xlsx"\n', "has a url but no landing_page"),
        ('archive_path = "elsewhere/x.xlsx"\n', "archive_path 'elsewhere/x.xlsx' is not under"),
        ('edition = "copy"\narchive_path = "data_raw/mhclg/x.xlsx"\n', "no official_url"),
        (
            'edition = "copy"\nofficial_url = "https://www.gov.uk/a"\n'
            'url = "https://www.gov.uk/a/x.xlsx"\nlanding_page = "https://www.gov.uk/a"\n',
            "is a copy but has a url",
        ),
        ('edition = "pirate"\n', "edition 'pirate' is not one of official, copy, transcription"),
    ],
)
def test_inconsistent_provenance_is_refused_naming_the_source(tmp_path, fields, expected):
    registry = tmp_path / "sources.toml"
    registry.write_text(BASE + fields, encoding="utf-8")
    with pytest.raises(SourceError, match="source 'x_source' ") as err:
        load_sources(registry)
    assert expected in str(err.value)


def test_sources_list_says_where_each_source_is_and_what_upstream_offers(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("SPENDTRACK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SPENDTRACK_MIRROR", raising=False)
    monkeypatch.delenv("SPENDTRACK_SOURCES", raising=False)
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header.split()[:5] == ["source", "year", "kind", "edition", "here"]
    assert "upstream" in header and "official address" in header
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line and line[0] != " "}
    for src in ALL:
        line = rows[src.id]
        here = "archived" if src.enabled else "disabled"
        assert f" {src.edition} " in line and f" {here} " in line, line
        assert f" {src.upstream} " in line, line
        address = src.url or src.official_url or src.landing_page
        if address:
            assert address in line
    enabled = [s for s in ALL if s.enabled]
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(f"{len(enabled)} enabled sources, {len(enabled)} archived")


def test_sources_verify_fails_naming_a_damaged_archived_file(capsys, tmp_path, monkeypatch):
    src = next(s for s in ALL if s.id == "published_secondary_claims")
    damaged = tmp_path / src.archive_path
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes((REPO_ROOT / src.archive_path).read_bytes().replace(b"2", b"3", 1))
    monkeypatch.setenv("SPENDTRACK_ARCHIVE", str(tmp_path))
    monkeypatch.setenv("SPENDTRACK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SPENDTRACK_MIRROR", raising=False)
    monkeypatch.delenv("SPENDTRACK_SOURCES", raising=False)
    assert main(["sources", "verify"]) == 1
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:] if line}
    assert "archived, FAILED: sha256 mismatch" in rows[src.id]
    assert "missing from the archive, FAILED" in rows["mhclg_ra_2013_14"]
