"""Each layout of SOURCES.md as a tiny grid, and each way a sheet can break the reader."""

from __future__ import annotations

import pytest

from assets.mhclg_revenue import ColumnRef, check_crosswalk
from pipeline.errors import CrosswalkError, LayoutError
from pipeline.extract.layouts import SheetLayout, sheet_layouts, vocabulary
from pipeline.extract.sheet import extract_sheet
from tests.synthetic import Column, columns_for, ra_grid

VOCAB = vocabulary()


def layout(source_id: str, index: int = 0) -> SheetLayout:
    return sheet_layouts()[source_id][index]


def extract(grid, lay: SheetLayout):
    return extract_sheet(grid, lay, VOCAB, file="test.xlsx").cells.to_pandas()


def column_refs(grid, lay: SheetLayout) -> list[ColumnRef]:
    sheet = extract_sheet(grid, lay, VOCAB, file="test.xlsx")
    return [
        ColumnRef("test.xlsx", lay.sheet, c.index + 1, c.printed_label, c.asset_id)
        for c in sheet.columns
    ]


def england(frame, label):
    rows = frame[(frame.row_kind == "england") & (frame.printed_label == label)]
    return rows.value.tolist()


def test_ra_2013_layout_sections_and_measure():
    lay = layout("mhclg_ra_2013_14")
    frame = extract(ra_grid("2013-14", "Net current expenditure", style="2013"), lay)
    assert set(frame.row_kind) == {"authority", "england", "class_subtotal"}
    assert england(frame, "Substance misuse - Drug misuse - adults") == [568767.0]
    assert set(frame.measure) == {"net_current_expenditure"}
    drug = frame[frame.printed_label.str.startswith("Substance misuse - Drug")]
    assert set(drug.section) == {"PUBLIC HEALTH"}
    assert frame.form_line.isna().all()  # no line numbers printed before 2016-17


def test_ra_2017_layout_keeps_fractional_imputed_values_and_ons_codes():
    lay = layout("mhclg_ra_2017_18")
    frame = extract(ra_grid("2017-18", "Net current expenditure", style="2017"), lay)
    treat = frame[
        (frame.printed_label == "Substance misuse - Treatment for drug misuse in adults")
        & (frame.row_kind == "authority")
    ]
    assert treat.value.iloc[0] == pytest.approx(386173.103180819 * 0.05)
    assert {"E06000022", "E06000023", "E09000001", "E07000095"} <= set(treat.ons_code)
    assert set(treat.form_line) == {376}


def test_markers_are_kept_not_guessed():
    cols = columns_for("2016-17")
    cols[3].marker_for = {"E0101": "…", "E0102": "-", "E5030": ""}
    frame = extract(
        ra_grid("2016-17", "Net current expenditure", style="2016", columns=cols),
        layout("mhclg_ra_2016_17"),
    )
    cells = frame[(frame.printed_label == cols[3].label) & (frame.row_kind == "authority")]
    markers = cells.set_index("ecode").marker
    assert markers[["E0101", "E0102", "E5030"]].to_dict() == {
        "E0101": "…",
        "E0102": "-",
        "E5030": "",
    }
    assert markers.drop(["E0101", "E0102", "E5030"]).isna().all()  # numbers carry no marker
    assert cells.value.isna().sum() == 3


def test_unknown_text_in_numeric_cell_names_the_cell():
    cols = columns_for("2016-17")
    cols[3].marker_for = {"E0102": "n/a?"}
    grid = ra_grid("2016-17", "Net current expenditure", style="2016", columns=cols)
    with pytest.raises(LayoutError) as err:
        extract(grid, layout("mhclg_ra_2016_17"))
    assert "test.xlsx, sheet 'RA LA Data 2016-17', cell H9: text 'n/a?'" in str(err.value)


def test_missing_anchor_is_an_error():
    grid = ra_grid("2016-17", "Net current expenditure", style="2016")
    grid[6][0] = "Code"
    with pytest.raises(LayoutError, match="header anchor 'E-code' not found"):
        extract(grid, layout("mhclg_ra_2016_17"))


def test_empty_sheet_is_an_error():
    with pytest.raises(LayoutError, match="header anchor 'E-code' not found"):
        extract([], layout("mhclg_ra_2016_17"))


def test_duplicated_authority_is_an_error():
    grid = ra_grid("2016-17", "Net current expenditure", style="2016")
    grid.insert(9, list(grid[8]))
    with pytest.raises(LayoutError, match=r"authority E0102 \(Bristol UA\) appears twice"):
        extract(grid, layout("mhclg_ra_2016_17"))


def test_missing_england_row_is_an_error_where_the_layout_expects_one():
    grid = ra_grid("2016-17", "Net current expenditure", style="2016", england_row=False)
    with pytest.raises(LayoutError, match="no ENGLAND row"):
        extract(grid, layout("mhclg_ra_2016_17"))


def test_missing_england_row_is_fine_where_the_layout_says_so():
    lay = layout("mhclg_ra_2023_24")
    grid = ra_grid("2017-18", "Data are reported in £ thousand", style="2017", england_row=False)
    frame = extract(grid, lay)
    assert set(frame.row_kind) == {"authority"}


def test_wrong_measure_sheet_is_caught_by_its_title():
    grid = ra_grid("2016-17", "Capital charges", style="2016")
    with pytest.raises(LayoutError, match="mention 'Net current expenditure'"):
        extract(grid, layout("mhclg_ra_2016_17"))


def test_figure_under_no_label_is_an_error():
    grid = ra_grid("2016-17", "Net current expenditure", style="2016")
    for row in grid:
        row.extend(["", ""])
    grid[9][-1] = 5.0
    with pytest.raises(LayoutError, match="column with no header label"):
        extract(grid, layout("mhclg_ra_2016_17"))


def test_unmapped_substance_misuse_label_is_an_error():
    cols = columns_for("2016-17")
    cols[3] = Column(
        "Substance misuse - Treatment for drug and opioid misuse in adults",
        "Public Health",
        376,
        1.0,
    )
    refs = column_refs(
        ra_grid("2016-17", "Net current expenditure", style="2016", columns=cols),
        layout("mhclg_ra_2016_17"),
    )
    with pytest.raises(
        CrosswalkError,
        match="'Substance misuse - Treatment for drug and "
        "opioid misuse in adults' .* is not in pipeline/layouts/service_lines",
    ):
        check_crosswalk(refs)


def ro3_2022_grid(*, extra_label: str | None = None) -> list[list[object]]:
    """RO3 2022-23: hidden code rows 6-10, header row 11, service spanning 7 measures."""
    measures = [
        "Employees\n (C1)",
        "Running Expenses\n (C2)",
        "Total Expenditure\n (C3 = C1 + C2)",
        "Sales, Fees and Charges\n (C4)",
        "Other Income\n (C5)",
        "Total Income\n (C6 = C4 + C5)",
        "Net Current Expenditure\n (C7 = C3 - C6)",
    ]
    ident = [
        "E-code",
        "ONS Code",
        "Local authority",
        "Notes",
        "Class",
        "Detailed Class",
        "Certified",
    ]
    services = [
        (
            "phsbstrtdrg",
            76,
            extra_label or "Substance misuse - Treatment for drug misuse in adults",
        ),
        ("phtot", 90, "TOTAL PUBLIC HEALTH"),
    ]
    width = len(ident) + 7 * len(services)
    grid = [[""] * width for _ in range(12)]
    grid[0][0] = "Worksheet 2: Revenue Outturn (RO) 2022-23: Social Care and Public Health (RO3)"
    grid[11][: len(ident)] = ident
    j = len(ident)
    for asset, row_no, label in services:
        grid[10][j] = label
        for k, measure in enumerate(measures):
            grid[6][j + k] = f"RO3-{asset}-m{k}"
            grid[8][j + k] = float(row_no)
            grid[11][j + k] = measure + (str(j + k) if j + k > len(ident) else "")
        j += 7
    grid.append(["E0101", "E06000022", "Bath", "", "UA", "UA", "Y"] + [1.0] * (width - 7))
    grid.append(["E3831", "E07000223", "Adur", "M", "SD", "SD", "[x]"] + ["[x]"] * (width - 7))
    grid.append(["Eng", "E92000001", "ENGLAND", "", "Eng", "Eng", "[Y]"] + [9.0] * (width - 7))
    grid.append(ident[:2] + ["Class Breakdown [o]"] + ident[3:] + grid[11][7:])
    grid.append(["[Y]", "E06", "Unitary Authorities", "", "UA", "UA", 48.0] + [5.0] * (width - 7))
    grid.append(
        ["E5100", "E12000007", "Greater London Authority", "", "GLA", "GLA", 1.0]
        + [0.0] * (width - 7)
    )
    return grid


def test_ro3_2022_spanning_layout_with_hidden_code_rows_and_second_table():
    frame = extract(ro3_2022_grid(), layout("mhclg_ro3_2022_23"))
    assert set(frame.measure) == {
        "employees",
        "running_expenses",
        "total_expenditure",
        "sales_fees_charges",
        "other_income",
        "total_income",
        "net_current_expenditure",
    }
    kinds = frame.drop_duplicates("row_number").set_index("la_name").row_kind.to_dict()
    assert kinds == {
        "Bath": "authority",
        "Adur": "authority",
        "ENGLAND": "england",
        "Unitary Authorities": "class_subtotal",
        "Greater London Authority": "class_subtotal",
    }  # table 2, not an authority
    adur = frame[frame.ecode == "E3831"]
    assert set(adur.marker) == {"[x]"} and adur.value.isna().all()
    drug = frame[frame.printed_label.str.startswith("Substance misuse")]
    assert set(drug.form_line) == {76} and drug.asset_id.str.startswith("RO3-phsbstrtdrg").all()
    check_crosswalk(column_refs(ro3_2022_grid(), layout("mhclg_ro3_2022_23")))


def test_asset_id_and_label_must_agree():
    grid = ro3_2022_grid(extra_label="TOTAL PUBLIC HEALTH")  # label says total, asset says drug
    with pytest.raises(CrosswalkError, match="maps to 'total_public_health' but asset id"):
        check_crosswalk(column_refs(grid, layout("mhclg_ro3_2022_23")))


def test_ro3_2024_combined_labels():
    ident = [
        "E-code",
        "ONS Code",
        "Local authority",
        "Notes",
        "Class",
        "Detailed Class",
        "Certification",
    ]
    labels = [
        "Substance misuse - Treatment for drug misuse in adults - Employees (C1)",
        "Substance misuse - Treatment for drug misuse in adults - Net Current Expenditure "
        "(C7 = C3 - C6)",
        "TOTAL PUBLIC HEALTH - Public Health - agency staff cost memorandum item",
    ]
    grid = [[""] * 10 for _ in range(6)]
    grid[0][0] = "Worksheet 2: Revenue Outturn (RO) 2024-25: Social Care and Public Health (RO3)"
    grid.append(ident + labels)
    grid.append(["E0101", "E06000022", "Bath", "", "UA", "UA", "Y", 1.0, 2.0, "[note 3]"])
    grid.append(["Eng", "E92000001", "ENGLAND", "", "Eng", "Eng", "[Y]", 3.0, 4.0, "[n]"])
    frame = extract(grid, layout("mhclg_ro3_2024_25"))
    pairs = set(zip(frame.printed_label, frame.measure, strict=True))
    assert pairs == {
        ("Substance misuse - Treatment for drug misuse in adults", "employees"),
        ("Substance misuse - Treatment for drug misuse in adults", "net_current_expenditure"),
        ("TOTAL PUBLIC HEALTH", "agency_staff_memorandum"),
    }


def test_ro3_2013_spanning_layout_with_spacer_columns():
    ident = ["E-code", "Local authority", "", "Class", ""]
    measures = ["Employees (C1)", "Running Expenses (C2)", "Total Expenditure (C3 = C1 + C2)"]
    grid = [[""] * 13 for _ in range(9)]
    grid[0][0] = "Revenue Outturn Summary (RO3): 2013-14 data for Employees, Running Expenses"
    grid[7][5] = "Substance misuse - Drug misuse - adults"
    grid[7][9] = "Social support: Substance misuse support"
    grid.append(ident + measures + [""] + measures + [""] * 1)
    grid.append([""] * 13)
    grid.append(["E0101", "Bath", "", "UA", "", 1.0, 2.0, 3.0, "", 7.0, 8.0, 9.0, ""])
    grid.append(["", "ENGLAND", "", "", "", 1.0, 2.0, 3.0, 0.0, 7.0, 8.0, 9.0, ""])
    frame = extract(grid, layout("mhclg_ro3_2013_14"))
    labels = frame.drop_duplicates("column_number").set_index("column_number").printed_label
    assert labels.to_dict() == {
        6: "Substance misuse - Drug misuse - adults",
        7: "Substance misuse - Drug misuse - adults",
        8: "Substance misuse - Drug misuse - adults",
        10: "Social support: Substance misuse support",
        11: "Social support: Substance misuse support",
        12: "Social support: Substance misuse support",
    }


def test_csv_numbers_with_thousands_commas(tmp_path):
    from pipeline.extract.workbook import read_csv_grid

    path = tmp_path / "ra.csv"
    path.write_bytes('E-code,Local authority\r\nE0101,Bath,"1,217",-3,...,…\r\n'.encode("cp1252"))
    grid = read_csv_grid(path, "cp1252")
    assert grid[1][2:] == [1217.0, -3.0, "...", "…"]
