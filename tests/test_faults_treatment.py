"""Faults in the treatment and population sources: each is named, and nothing is published."""

from __future__ import annotations

from tests.synthetic import (
    LOOKUP_PATH,
    MYE4_PATH,
    VIEWIT_PATH,
    mye4_grid,
    write_registry,
    write_xlsx,
)
from tests.test_faults import fault_then_check, published  # noqa: F401 (fixture)


def republish(settings, relative: str, text: str) -> None:
    """Overwrite one generated source and re-pin it, as a republished file would arrive."""
    (settings.mirror_dir / relative).write_text(text, encoding="utf-8")
    write_registry(settings.mirror_dir.parent)


def test_unknown_ndtms_drug_group(published, capsys):  # noqa: F811
    path = published.mirror_dir / VIEWIT_PATH
    republish(published, VIEWIT_PATH, path.read_text().replace(",opiates,", ",opioids,", 1))
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=["viewit_generated.csv", "drug group 'opioids'", "ndtms_drug_groups.csv", "row "],
    )


def test_text_in_a_treatment_count(published, capsys):  # noqa: F811
    lines = (published.mirror_dir / VIEWIT_PATH).read_text().splitlines()
    lines[3] = lines[3].replace(",England,", ",England,", 1).rsplit(",", 6)[0] + ",*,0,0,0,0,0"
    republish(published, VIEWIT_PATH, "\n".join(lines) + "\n")
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=["viewit_generated.csv", "people '*' is not a count", "row 4"],
    )


def test_viewit_disagreeing_with_the_reports_blocks_the_publish(published, capsys):  # noqa: F811
    path = published.mirror_dir / VIEWIT_PATH
    # 2009-10 alcohol only: a figure no published claim uses, so only the comparison can catch it
    republish(published, VIEWIT_PATH, path.read_text().replace("88087", "88090"))
    line = fault_then_check(published, capsys, code=5, expected=["blocking check failed"])
    assert "2009-10 alcohol_only: ViewIt 88,090 vs report 88,087" in line


def republish_mye4(settings, grid: list[list[object]]) -> None:
    write_xlsx(settings.mirror_dir / MYE4_PATH, {"Cover sheet": [["generated"]], "MYE4": grid})
    write_registry(settings.mirror_dir.parent)


def test_mye4_header_moved_away(published, capsys):  # noqa: F811
    grid = mye4_grid()
    grid[7][0] = "Area code"
    republish_mye4(published, grid)
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=["mye_generated.xlsx", "MYE4", "header row 'Code, Name, Geography' not found"],
    )


def test_text_in_a_population_cell(published, capsys):  # noqa: F811
    grid = mye4_grid()
    grid[10][4] = "x"
    republish_mye4(published, grid)
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=["mye_generated.xlsx", "population 'x' is not a number", "row 11, column 5"],
    )


def test_lookup_without_its_upper_tier_column(published, capsys):  # noqa: F811
    path = published.mirror_dir / LOOKUP_PATH
    republish(published, LOOKUP_PATH, path.read_text().replace("UTLA23CD", "UTLA24CD"))
    fault_then_check(
        published, capsys, code=4, expected=["lookup_generated.csv", "['UTLA23CD'] not found"]
    )
