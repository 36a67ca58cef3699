"""Generated outcome files for the synthetic mirror: a drug deaths workbook and an SDG 3.5.1
CSV in the real layouts, covering every generated council area (the checks expect each)."""

from __future__ import annotations

from pathlib import Path

from tests.synthetic import AUTHORITIES, write_xlsx

DEATHS_PATH = "ons/drug_deaths_generated.xlsx"
SDG_PATH = "ons/sdg_3_5_1_generated.csv"
YEARS = (2021, 2020, 2019)


def _councils() -> list[tuple[str, str, str]]:
    """(code, name, level column) in the workbook's nesting (a London borough under Inner
    London); the generated district prints no money, so it has no stable area and is left out."""
    rows = [("E13000001", "Inner London", "C")]
    rows += [(ons, name, "D") for _e, ons, name, cls in AUTHORITIES if cls == "L"]
    rows += [(ons, name, "C") for _e, ons, name, cls in AUTHORITIES if cls == "UA"]
    return rows


def _named(code: str, name: str, level: str, values: list) -> list:
    cells = {"B": [name, "", ""], "C": ["", name, ""], "D": ["", "", name]}[level]
    return [code, *cells, *values]


def deaths_workbook() -> dict[str, list[list]]:
    councils = _councils()

    def deaths(n: int, year: int) -> int:
        return (n * 7 + year) % 13  # small counts, some zero

    sheets = {}
    for sheet, measure in (("Table 1", "poisoning"), ("Table 2", "misuse")):
        grid = [
            ["Back to contents"],
            [f"Number of deaths related to drug {measure}, persons by local authority 1,2"],
            [""],
            ["Area Codes", "Area Names", "", "", *map(float, YEARS)],
        ]
        counted = [c for c in councils if c[0][:3] != "E13"]
        england = [sum(deaths(n, y) for n, _c in enumerate(counted)) for y in YEARS]
        grid.append(_named("E92000001", "ENGLAND", "B", england))
        for n, (code, name, level) in enumerate(counted):
            grid.append(_named(code, name, level, [deaths(n, y) for y in YEARS]))
        grid += [[""], ["Footnotes"]]
        sheets[sheet] = grid
    pooled = [
        ["Back to contents"],
        [
            "Number of deaths and age-standardised mortality rate for deaths related to drug "
            "misuse, persons by local authority, England and Wales 1,2"
        ],
        [""],
        ["Area Codes", "Area Names", "", "", "2019\u201321", "", "", "", ""],
        [
            "",
            "",
            "",
            "",
            "Deaths",
            "Rate 1",
            "",
            "Lower Confidence Limit 2",
            "Upper Confidence Limit 2",
        ],
    ]
    counted = [c for c in councils if c[0][:3] != "E13"]
    total = sum(3 * n % 40 for n, _c in enumerate(counted))
    pooled.append(_named("E92000001", "ENGLAND", "B", [total, 5.0, "", 4.9, 5.1]))
    for n, (code, name, level) in enumerate(counted):
        d = 3 * n % 40
        rate = [d / 4, "u" if d < 20 else "", d / 5, d / 3] if d >= 10 else [":", "", ":", ":"]
        pooled.append(_named(code, name, level, [d, *rate]))
    pooled += [[""], ["Footnotes"]]
    sheets["Table 6"] = pooled
    return sheets


def sdg_csv() -> str:
    lines = [
        "Year,Series,Units,Local Authority,Deprivation decile,Unit multiplier,"
        "Unit measure,GeoCode,Value"
    ]
    places = [
        ("" if ons == "E06000023" else ons, "Bristol, City of" if ons == "E06000023" else name)
        for _e, ons, name, cls in AUTHORITIES
        if cls in ("UA", "L")
    ]
    series = (
        ("Alcohol - People in treatment", "Number", 200.0),
        ("Alcohol - Estimated prevalence", "Number", 1000.0),
        ("Alcohol - Met need", "Percentage (%)", 20.0),
    )
    for start in (2013, 2014, 2015):
        year = f"{start}/{(start + 1) % 100:02d}"
        for label, unit, value in series:
            lines.append(f"{year},{label},{unit},,,Units,{unit},,{value * len(places)}")
            for code, name in places:
                lines.append(f'{year},{label},{unit},"{name}",,Units,{unit},{code},{value}')
    return "\n".join(lines) + "\n"


def write_outcomes(mirror: Path) -> None:
    write_xlsx(mirror / DEATHS_PATH, deaths_workbook())
    (mirror / SDG_PATH).write_text(sdg_csv(), encoding="utf-8")


def outcome_entries(mirror: Path, other_entry) -> list[str]:
    return [
        other_entry("ons_drug_deaths_la_2021", "ons", mirror / DEATHS_PATH, "xlsx", DEATHS_PATH),
        other_entry("ons_sdg_3_5_1_2023_04", "ons", mirror / SDG_PATH, "csv", SDG_PATH),
    ]
