"""The registry's provenance: addresses, editions, vendored copies and what `sources list` says."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.cli import main
from pipeline.config import REPO_ROOT
from pipeline.errors import SourceError
from pipeline.fetch import ALLOWED_HOSTS, address_file_name
from pipeline.sources import load_sources

VENDORED = REPO_ROOT / "data_raw" / "vendored"
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


def test_copies_are_vendored_with_their_official_edition_named():
    for src in ALL:
        if src.edition == "copy" and src.enabled:
            assert src.official_url and not src.url, src.id
            assert src.vendored_path.startswith("data_raw/vendored/"), src.id


def test_vendored_files_are_the_pinned_bytes_and_documented():
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    for src in ALL:
        if src.vendored_path:
            data = (REPO_ROOT / src.vendored_path).read_bytes()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (src.sha256, src.bytes)
        if src.vendored_path.startswith("data_raw/vendored/"):
            assert f"`{Path(src.vendored_path).name}` | `{src.id}` |" in readme, src.id
    for path in VENDORED.iterdir():
        if path.name != "README.md":
            assert f"| `{path.name}` |" in readme, path.name


def test_no_downloadable_official_file_is_committed():
    pinned = {s.sha256 for s in ALL if s.url}
    for path in VENDORED.iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() not in pinned, path.name


def test_git_keeps_vendored_bytes_as_they_are():
    attributes = (REPO_ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert "data_raw/vendored/** -text" in attributes


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
        (
            'url = "https://www.gov.uk/a/x.xlsx"\nlanding_page = "https://www.gov.uk/a"\n'
            'vendored_path = "data_raw/vendored/x.xlsx"\n',
            "has both a url and a vendored_path",
        ),
        ('edition = "copy"\nvendored_path = "data_raw/vendored/x.xlsx"\n', "no official_url"),
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


def test_sources_list_says_how_a_user_gets_each_source(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SPENDTRACK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SPENDTRACK_MIRROR", raising=False)
    monkeypatch.delenv("SPENDTRACK_SOURCES", raising=False)
    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header[:4] == ["source", "year", "kind", "edition"]
    assert "user gets it" in out.splitlines()[0] and "official address" in out.splitlines()[0]
    rows = {line.split()[0]: line for line in out.splitlines()[2:] if line and line[0] != " "}
    for src in ALL:
        line = rows[src.id]
        assert f" {src.edition} " in line and f" {src.how_to_get} " in line, line
        address = src.url or src.official_url or src.landing_page
        if address:
            assert address in line
    enabled = [s for s in ALL if s.enabled]
    mirror_only = [s.id for s in enabled if s.how_to_get == "mirror only"]
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(f"{len(enabled)} enabled sources: ")
    assert summary.endswith("cannot be built: " + ", ".join(mirror_only))
