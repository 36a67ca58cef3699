"""`spendtrack sources add`: a release told from its own front page, checked by the build's
readers, archived and registered; or refused with one line and nothing written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main, table_readers
from pipeline.config import REPO_ROOT, SOURCES_TOML, Settings
from pipeline.errors import LayoutError
from pipeline.refresh import refresh
from pipeline.sources.adopt import add
from pipeline.sources.registry import load_sources
from pipeline.sources.release import identify
from tests.loopback import play_official_hosts, served_path
from tests.synthetic import Column, columns_for, ra_grid, write_xlsx
from tests.test_loopback_build import RUN_COLUMNS, compare_tables

SID = "mhclg_ra_2023_24"
MEDIA = "https://assets.publishing.service.gov.uk/media/0a1b2c3d4e5f60718293a4b5/"
# The fields `add` writes from the file and the known pages; title, note and obtained_from
# say where this copy came from, which only a person can write.
COMPARED = [
    *("id", "family", "publisher", "form", "financial_year", "basis", "url", "landing_page"),
    *("official_url", "edition", "file_name", "mirror_path", "archive_path", "kind"),
    *("sha256", "bytes", "licence", "enabled"),
]
WHERE_IT_CAME_FROM = {"title", "note", "obtained_from"}


def without(text: str, source_id: str) -> str:
    blocks = re.split(r"(?m)^(?=\[\[source\]\])", text)
    return "".join(b for b in blocks if f'id = "{source_id}"\n' not in b)


def archive_copy(root: Path) -> Path:
    """The repository's archive (data_raw/ without the download cache) under `root`."""
    shutil.copytree(
        REPO_ROOT / "data_raw", root / "data_raw", ignore=shutil.ignore_patterns("cache")
    )
    return root


@pytest.mark.real
@pytest.mark.parametrize(
    "src",
    [s for s in load_sources(SOURCES_TOML) if s.family == "mhclg_revenue" and s.kind != "dta"],
    ids=lambda s: s.id,
)
def test_every_archived_revenue_file_says_which_release_it_is(src):
    release = identify(REPO_ROOT / src.archive_path, src.file_name)
    assert (release.source_id, release.form, release.basis, release.financial_year) == (
        src.id,
        src.form,
        src.basis,
        src.financial_year,
    )


@pytest.mark.real
def test_ra_2023_24_removed_and_added_again_restores_its_entry_and_the_build(
    mirror_lake, httpserver, monkeypatch, tmp_path
):
    original = next(s for s in load_sources(SOURCES_TOML) if s.id == SID)
    registry = tmp_path / "sources.toml"
    registry.write_text(without(SOURCES_TOML.read_text(encoding="utf-8"), SID), encoding="utf-8")
    archive = archive_copy(tmp_path / "clone")
    (archive / original.archive_path).unlink()
    address = MEDIA + original.file_name
    play_official_hosts(httpserver, monkeypatch)
    httpserver.expect_request(served_path(address)).respond_with_data(
        (REPO_ROOT / original.archive_path).read_bytes()
    )
    settings = Settings(
        lake_dir=tmp_path / "lake",
        cache_dir=tmp_path / "cache",
        mirror_dir=None,
        allow_download=False,
        sources_path=registry,
        archive_root=archive,
    )

    report = add(address, settings, table_readers(settings), edition="copy")

    assert report.written and report.readers[0][0] == "raw.mhclg__revenue_cells"
    restored = next(s for s in load_sources(registry) if s.id == SID)
    assert {f: getattr(restored, f) for f in COMPARED} == {
        f: getattr(original, f) for f in COMPARED
    }
    assert restored.obtained_from == address
    assert (archive / original.archive_path).read_bytes() == (
        REPO_ROOT / original.archive_path
    ).read_bytes()
    readme = (archive / "data_raw" / "mhclg" / "README.md").read_text(encoding="utf-8")
    assert readme.count(f"| `{original.file_name}` | `{SID}` | copy |") == 2  # old row, new row

    refresh(settings, progress=lambda _m: None)
    ignore = {
        **RUN_COLUMNS,
        "reference.sources": RUN_COLUMNS["reference.sources"] | WHERE_IT_CAME_FROM,
    }
    compared = compare_tables(settings.database_path, mirror_lake.database_path, tmp_path, ignore)
    assert not {name: c for name, c in compared.items() if c[0] != c[1] or c[2]}


def test_a_file_already_pinned_says_so_and_writes_nothing(capsys, tmp_path, monkeypatch):
    src = next(s for s in load_sources(SOURCES_TOML) if s.id == "mhclg_ra_2019_20")
    monkeypatch.setenv("SPENDTRACK_ARCHIVE", str(tmp_path))  # where nothing may be written
    before = SOURCES_TOML.read_bytes()
    assert main(["sources", "add", str(REPO_ROOT / src.archive_path)]) == 0
    assert "already pinned as mhclg_ra_2019_20; nothing was written" in capsys.readouterr().out
    assert SOURCES_TOML.read_bytes() == before and not any(tmp_path.iterdir())


def generated_release(path: Path, year: str, *, extra: list[Column] | None = None) -> Path:
    """An RA workbook in a held year's layout, with a front page, and `extra` columns."""
    name = f"RA LA Data {year}"
    columns = columns_for("2016-17") + (extra or [])
    sheets = {
        "Front Page": [[f"REVENUE ACCOUNT BUDGET {year}"], ["published on 1 July 2030"]],
        name: ra_grid("2016-17", "Net current expenditure", style="2016", columns=columns),
    }
    write_xlsx(path, sheets)
    return path


def test_a_release_with_no_layout_is_one_line_and_writes_nothing(synthetic_env, capsys, tmp_path):
    path = generated_release(tmp_path / "new" / "RA_2030-31_data_by_LA.xlsx", "2030-31")
    before = synthetic_env.sources_path.read_bytes()
    code = main(["sources", "add", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == LayoutError.exit_code and err.count("\n") == 0
    assert "RA 2030-31 (mhclg_ra_2030_31)" in err and "has no layout for it" in err
    assert "RA LA Data 2030-31" in err and "nearest year of the same form (mhclg_ra_2023_24)" in err
    assert synthetic_env.sources_path.read_bytes() == before
    assert not (REPO_ROOT / "data_raw" / "mhclg" / path.name).exists()


def test_unmapped_substance_misuse_labels_are_listed_in_one_error(synthetic_env, capsys, tmp_path):
    registry = synthetic_env.sources_path
    registry.write_text(without(registry.read_text(encoding="utf-8"), "mhclg_ra_2016_17"))
    new_lines = [
        Column("Substance misuse - Drug and alcohol treatment", "Public Health", 381, 10.0),
        Column("Substance misuse - Drug and alcohol prevention", "Public Health", 382, 10.0),
    ]
    path = generated_release(tmp_path / "RA_2016-17_new.xlsx", "2016-17", extra=new_lines)
    before = registry.read_bytes()
    archive = tmp_path / "archive"
    code = main(["sources", "add", str(path)])
    err = capsys.readouterr().err.strip()
    assert code == LayoutError.exit_code and err.count("\n") == 0
    assert "2 columns do not map" in err
    for line in new_lines:
        assert f"{line.label!r}" in err
    assert "sheet 'RA LA Data 2016-17' column" in err
    assert registry.read_bytes() == before and not archive.exists()
