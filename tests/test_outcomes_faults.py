"""The outcome readers fail closed, naming the file, sheet and cell: small made-up inputs in
the real files' layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from assets import alcohol_treatment, drug_deaths
from pipeline.errors import LayoutError
from pipeline.sources.fetch import Resolved
from pipeline.sources.registry import load_sources

SDG = next(s for s in load_sources() if s.id == alcohol_treatment.SOURCE_ID)
HEADER = [
    "Year",
    "Series",
    "Units",
    "Local Authority",
    "Deprivation decile",
    "Unit multiplier",
    "Unit measure",
    "GeoCode",
    "Value",
]


def _sdg(tmp_path: Path, rows: list[list[str]]):
    path = tmp_path / SDG.file_name
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return alcohol_treatment.alcohol_treatment(Resolved(SDG, path, "archive"))


def _row(name: str, code: str = "", value: str = "10", decile: str = "") -> list[str]:
    return [
        "2013/14",
        "Alcohol - People in treatment",
        "Number",
        name,
        decile,
        "Units",
        "Number",
        code,
        value,
    ]


def test_a_county_is_matched_by_name_and_england_and_deciles_are_kept_apart(tmp_path):
    frame = _sdg(
        tmp_path,
        [
            _row("Kent"),
            _row("Blackpool", "E06000009"),
            _row(""),
            _row("", decile="Decile 1 (least deprived)"),
        ],
    )
    assert frame.row_kind.tolist() == ["council", "council", "england", "deprivation_decile"]
    assert frame.ons_codes.tolist()[:3] == ["E10000016", "E06000009", "E92000001"]


def test_an_unmatched_name_is_an_error_naming_the_row(tmp_path):
    with pytest.raises(LayoutError, match=r"row 3.*'Atlantis' has no GeoCode"):
        _sdg(tmp_path, [_row("Kent"), _row("Atlantis")])


def test_a_repeated_council_year_and_series_is_an_error(tmp_path):
    with pytest.raises(LayoutError, match="repeat a council"):
        _sdg(tmp_path, [_row("Blackpool", "E06000009"), _row("Blackpool", "E06000009", "11")])


def test_a_district_code_or_a_bad_value_is_an_error(tmp_path):
    with pytest.raises(LayoutError, match="GeoCode E07000026 is not a council"):
        _sdg(tmp_path, [_row("Allerdale", "E07000026")])
    with pytest.raises(LayoutError, match="Value 'x' is not a number"):
        _sdg(tmp_path, [_row("Kent", value="x")])


def _grid(rows: list[list]) -> list[list]:
    title = "Number of deaths related to drug misuse, persons by local authority 1,2"
    head = [[title, "", "", ""], ["", "", "", ""], ["Area Codes", "Area Names", "", "", 2021.0]]
    return head + rows + [["Footnotes", "", "", "", ""]]


def test_a_yearly_table_reads_councils_and_districts_under_their_county():
    rows = drug_deaths.read_table(
        _grid([["E10000016", "", "Kent", "", 5.0], ["E07000105", "", "", "Ashford", ":"]]),
        "x.xlsx",
        "Table 2",
    )
    (kent, ashford) = rows
    assert kent[3:9] == ("E10000016", "Kent", "C", "council", None, "misuse")
    assert ashford[7] == "E10000016" and ashford[14] is None and ashford[15] == ":"


def test_a_district_outside_a_county_an_unknown_prefix_or_text_is_an_error():
    with pytest.raises(LayoutError, match="district E07000105 is not under a county"):
        drug_deaths.read_table(_grid([["E07000105", "", "", "Ashford", 1.0]]), "x", "Table 2")
    with pytest.raises(LayoutError, match="entity prefix"):
        drug_deaths.read_table(_grid([["E99000001", "", "Nowhere", "", 1.0]]), "x", "Table 2")
    with pytest.raises(LayoutError, match=r"cell row 4, column 5.*'n/a' is neither"):
        drug_deaths.read_table(_grid([["E10000016", "", "Kent", "", "n/a"]]), "x", "Table 2")


def test_a_table_without_its_title_or_anchor_is_an_error():
    grid = _grid([])
    grid[0][0] = "Something else"
    with pytest.raises(LayoutError, match="no title"):
        drug_deaths.read_table(grid, "x", "Table 2")
    grid = _grid([])
    grid[2][0] = "Codes"
    with pytest.raises(LayoutError, match="expected one 'Area Codes' header"):
        drug_deaths.read_table(grid, "x", "Table 2")


class _Ctx:
    def __init__(self, con):
        self.con = con


@pytest.fixture
def tiny():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA reference; CREATE SCHEMA out")
    con.execute(
        "CREATE TABLE reference.stable_areas AS SELECT * FROM (VALUES "
        "('A1', 'council'), ('A2', 'council')) AS t(area_code, area_kind)"
    )
    con.execute(
        "CREATE TABLE out.area_drug_deaths AS SELECT * FROM (VALUES "
        "('A1', 2021, 3, 1), ('A2', 2021, 4, 2), ('E92000001', 2021, 7, 3)) "
        "AS t(area_code, year, deaths_drug_poisoning, deaths_drug_misuse)"
    )
    con.execute(
        "CREATE TABLE out.area_drug_death_rates (area_code VARCHAR, period VARCHAR, "
        "sex VARCHAR, measure VARCHAR, deaths INTEGER)"
    )
    yield con
    con.close()


def test_the_england_check_fails_where_the_areas_do_not_add_up(tiny):
    [result] = drug_deaths.england_is_sum_of_areas(_Ctx(tiny))
    assert result.passed, result.observed  # 3 + 4 = 7 and 1 + 2 = 3
    tiny.execute(
        "UPDATE out.area_drug_deaths SET deaths_drug_misuse = 4 WHERE year = 2021 "
        "AND area_code = 'E92000001'"
    )
    [result] = drug_deaths.england_is_sum_of_areas(_Ctx(tiny))
    assert not result.passed and "2021 persons misuse: England 4, areas 3" in result.observed


def test_the_presence_check_fails_for_a_missing_or_an_unknown_area(tiny):
    check = drug_deaths.every_area_present("out.area_drug_deaths", "year")
    assert check(_Ctx(tiny))[0].passed
    tiny.execute("DELETE FROM out.area_drug_deaths WHERE area_code = 'A2'")
    assert "A2 2021 missing" in check(_Ctx(tiny))[0].observed
    tiny.execute("INSERT INTO out.area_drug_deaths VALUES ('A2', 2021, 4, 2), ('ZZ', 2021, 1, 1)")
    [result] = check(_Ctx(tiny))
    assert not result.passed and "ZZ unknown" in result.observed
