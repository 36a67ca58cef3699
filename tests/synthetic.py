"""Small generated workbooks in the real MHCLG layouts, and a mirror + registry around them.

The ENGLAND rows carry the real files' England totals for the substance misuse lines (so the
reproduction check can pass on five tiny files); the traps (line 348 adult social care, the
children's safeguarding column) carry huge values, so a leak into any series is visible.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

NAMED = [  # ecode, ons code, name, class
    ("E0101", "E06000022", "Bath & North East Somerset UA", "UA"),
    ("E0102", "E06000023", "Bristol UA", "UA"),
    ("E5030", "E09000001", "City of London", "L"),
    ("E1931", "E07000095", "Broxbourne", "SD"),
]
# About 100 councils fund public health, as in the real files (the checks expect 90-160).
GENERATED = [(f"E9{n:03d}", f"E069{n:05d}", f"Generated Council {n}", "UA") for n in range(96)]
AUTHORITIES = NAMED + GENERATED
# The named three take 5% each, the district nothing, the rest share what is left equally.
SHARES = (0.05, 0.05, 0.05, 0.0) + tuple(0.85 / len(GENERATED) for _ in GENERATED)

OLD_LINES = {  # 2013-14 to 2015-16
    "drug": "Substance misuse - Drug misuse - adults",
    "alcohol": "Substance misuse - Alcohol misuse - adults",
    "young": "Substance misuse - (drugs and alcohol) - youth services",
}
NEW_LINES = {  # 2016-17 on
    "drug_treatment": "Substance misuse - Treatment for drug misuse in adults",
    "alcohol_treatment": "Substance misuse - Treatment for alcohol misuse in adults",
    "drug_prevention": "Substance misuse - Preventing and reducing harm from drug misuse in adults",
    "alcohol_prevention": "Substance misuse - Preventing and reducing harm from alcohol misuse "
    "in adults",
    "young": "Substance misuse - Specialist drug and alcohol misuse services for children and "
    "young people",
}
LINE_348 = "Social support: Substance misuse support"
SAFEGUARDING = "Children's social care: Safeguarding children and young people’s services"
TRAP_VALUE = 999_999.0

# England net current expenditure (£ thousand) as printed in the real RA files.
ENGLAND = {
    "2013-14": {"drug": 568767, "alcohol": 204080, "young": 54958, "tph": 2699221},
    "2014-15": {"drug": 562700, "alcohol": 200228, "young": 69546, "tph": 2848658},
    "2015-16": {"drug": 558864, "alcohol": 208059, "young": 62466, "tph": 3321248},
    "2016-17": {
        "drug_treatment": 408451,
        "drug_prevention": 72178,
        "alcohol_treatment": 183296,
        "alcohol_prevention": 38835,
        "young": 56534,
        "tph": 3495777,
    },
    "2017-18": {
        "drug_treatment": 386173.103180819,
        "drug_prevention": 66002.7787968749,
        "alcohol_treatment": 178411.85902187834,
        "alcohol_prevention": 37201.44707102555,
        "young": 48204.8211797704,
        "tph": 3410420.370156096,
    },
}


@dataclass
class Column:
    label: str
    section: str
    line: int
    england: float  # the authorities' values are shares of this
    marker_for: dict[str, str] = field(default_factory=dict)  # ecode -> marker text


def columns_for(year: str) -> list[Column]:
    totals = ENGLAND[year]
    lines = OLD_LINES if year <= "2015-16" else NEW_LINES
    cols = [
        Column("Early years", "Education Services", 110, 1000.0),
        Column(SAFEGUARDING, "Children Social Care", 250, TRAP_VALUE),
        Column(LINE_348, "Adult Social Care", 348, TRAP_VALUE),
    ]
    numbers = {
        "drug": 376,
        "alcohol": 377,
        "young": 378,
        "drug_treatment": 376,
        "alcohol_treatment": 377,
        "drug_prevention": 378,
        "alcohol_prevention": 379,
    }
    for key, label in lines.items():
        line = 380 if (key == "young" and year > "2015-16") else numbers[key]
        cols.append(Column(label, "Public Health", line, float(totals[key])))
    tph_label = (
        "TOTAL PUBLIC HEALTH (total of lines 361 to 385)"
        if year == "2015-16"
        else "TOTAL PUBLIC HEALTH"
    )
    cols.append(Column(tph_label, "Public Health", 390, float(totals["tph"])))
    return cols


def authority_value(col: Column, index: int) -> float | str:
    ecode = AUTHORITIES[index][0]
    if ecode in col.marker_for:
        return col.marker_for[ecode]
    return col.england * SHARES[index]


def ra_grid(
    year: str,
    measure_title: str,
    *,
    style: str,
    columns: list[Column] | None = None,
    england_row: bool = True,
) -> list[list[object]]:
    """A sheet in the RA layout of `style`: '2013' (to 2015-16), '2016' or '2017' (ONS codes)."""
    cols = columns if columns is not None else columns_for(year)
    if style == "2013":
        ident = ["E-code", "Local authority", "", "Class"]
        header_at, section_at, line_at = 7, 4, None
    elif style == "2016":
        ident = ["E-code", "Local authority", "", "Class"]
        header_at, section_at, line_at = 6, 4, 5
    else:
        ident = ["E-code", "ONS Code", "Local authority", "", "Class"]
        header_at, section_at, line_at = 6, 4, 5
    width = len(ident) + len(cols)
    grid: list[list[object]] = [[""] * width for _ in range(header_at + 1)]
    grid[0][0] = f"Revenue Account Budget (RA): {year} data"
    grid[1 if style != "2013" else 2][0] = f"{measure_title} (£ thousand)"
    last_section = None
    for j, col in enumerate(cols, start=len(ident)):
        if col.section != last_section:
            grid[section_at][j] = f"***  {col.section.upper()}  ***"
            last_section = col.section
        if line_at is not None:
            grid[line_at][j] = float(col.line)
        grid[header_at][j] = col.label
    grid[header_at][: len(ident)] = ident
    if style == "2013":
        grid.append([""] * width)
    for i, (ecode, ons, name, cls) in enumerate(AUTHORITIES):
        idents = [ecode, name, "", cls] if len(ident) == 4 else [ecode, ons, name, "", cls]
        grid.append(idents + [authority_value(c, i) for c in cols])
    grid.append([""] * width)
    if england_row:
        name_col = ident.index("Local authority")
        row = [""] * len(ident)
        row[name_col] = "ENGLAND"
        grid.append(row + [c.england for c in cols])
        grid.append([""] * width)
        grid.append(["", "CLASS BREAKDOWN"] + [""] * (width - 2))
        class_row = [""] * len(ident)
        class_row[name_col] = "UNITARY AUTHORITIES"
        grid.append(class_row + [c.england * 0.8 for c in cols])
    grid.append(["Source: a generated test workbook"] + [""] * (width - 1))
    return grid


SHEETS = {  # year -> [(sheet name, measure title, style)]
    "2013-14": [
        ("RA LA Data 2013-14 (1)", "Net current expenditure", "2013"),
        ("RA LA Data 2013-14 (2)", "Capital charges", "2013"),
        ("RA LA Data 2013-14 (3)", "Net total cost (excl. specific grants)", "2013"),
    ],
    "2014-15": [
        ("RA LA Data 2014-15 (1)", "Net current expenditure", "2013"),
        ("RA LA Data 2014-15 (2)", "Capital Items", "2013"),
        ("RA LA Data 2014-15 (3)", "Net total cost (excl. specific grants)", "2013"),
    ],
    "2015-16": [
        ("RA LA Data 2015-16 (1)", "Net current expenditure", "2013"),
        ("RA LA Data 2015-16 (2)", "", "2013"),
    ],
    "2016-17": [("RA LA Data 2016-17", "Net current expenditure", "2016")],
    "2017-18": [("RA LA Data 2017-18", "Net current expenditure", "2017")],
}


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, grid in sheets.items():
        ws = wb.create_sheet(name)
        for row in grid:
            ws.append([None if v == "" else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def year_workbook(year: str, *, columns: list[Column] | None = None) -> dict[str, list]:
    return {
        name: ra_grid(year, title, style=style, columns=columns)
        for name, title, style in SHEETS[year]
    }


def file_name(year: str) -> str:
    return f"RA_{year}_generated.xlsx"


LANDING_PAGE = "https://www.gov.uk/government/statistics/generated-ra-budget"


def registry_entry(year: str, path: Path, *, url: str = "") -> str:
    data = path.read_bytes()
    sid = "mhclg_ra_" + year.replace("-", "_")
    return "\n".join(
        [
            "[[source]]",
            f'id = "{sid}"',
            'family = "mhclg_revenue"',
            'publisher = "test"',
            f'title = "generated RA {year}"',
            'form = "RA"',
            f'financial_year = "{year}"',
            'basis = "budget"',
            f'url = "{url}"',
            f'landing_page = "{LANDING_PAGE if url else ""}"',
            f'file_name = "{path.name}"',
            f'mirror_path = "mhclg/{path.name}"',
            'kind = "xlsx"',
            f'sha256 = "{hashlib.sha256(data).hexdigest()}"',
            f"bytes = {len(data)}",
            'licence = "test"',
            "",
        ]
    )


# NDTMS ViewIt rows (year, printed group, people): the real export's figures where a check or
# a published claim depends on them; both label casings, as in the real file.
VIEWIT = [
    ("2009/10", "Total", 311668),
    ("2009/10", "opiates", 170032),
    ("2009/10", "non-opiates only", 24557),
    ("2009/10", "alcohol & non-opiates", 28992),
    ("2009/10", "alcohol only", 88087),
    ("2013/14", "Total", 301944),
    ("2013/14", "opiates", 155852),
    ("2013/14", "non-opiates only", 25570),
    ("2013/14", "alcohol & non-opiates", 28871),
    ("2013/14", "alcohol only", 91651),
    ("2016/17", "Total", 279793),
    ("2016/17", "opiates", 146536),
    ("2016/17", "non-opiates only", 24561),
    ("2016/17", "alcohol & non-opiates", 28242),
    ("2016/17", "alcohol only", 80454),
    ("2021/22", "TOTAL", 289215),
    ("2021/22", "OPIATES", 140558),
    ("2021/22", "NON-OPIATES ONLY", 29582),
    ("2021/22", "ALCOHOL & NON-OPIATES", 34378),
    ("2021/22", "ALCOHOL ONLY", 84697),
]
VIEWIT_HEADER = (
    "ReportingPeriod_Data,Area_Data,DrugGroup_Data,Gender_Data,AgeGroup_Data,"
    "Num_InTreatment_AllInTx,Eth_White_AllInTx,Eth_Mixed_AllInTx,Eth_Asian_AllInTx,"
    "Eth_Black_AllInTx,Eth_Other_AllInTx"
)


def viewit_csv() -> str:
    lines = [VIEWIT_HEADER]
    for year, group, people in VIEWIT:
        total = "TOTAL" if group.isupper() else "Total"
        lines.append(f"{year},England,{group},{total},{total},{people},{people},0,0,0,0")
        lines.append(
            f"{year},England,{group},{'M' if total == 'Total' else 'M'},{total},"
            f"{people // 2},{people // 2},0,0,0,0"
        )
    return "\n".join(lines) + "\n"


def mye4_grid() -> list[list[object]]:
    """MYE4 with its header on row 8 (index 7), mid-2023 first, as ONS prints it."""
    years = list(range(2023, 2010, -1))
    grid: list[list[object]] = [["MYE4: Population estimates"] + [""] * (2 + len(years))]
    grid += [[""] * (3 + len(years)) for _ in range(6)]
    grid.append(["Code", "Name", "Geography"] + [f"Mid-{y}" for y in years])
    grid.append(["E92000001", "ENGLAND", "Country"] + [56_000_000.0] * len(years))
    for _ecode, ons, name, cls in AUTHORITIES:
        geography = "Non-metropolitan District" if cls == "SD" else "Unitary Authority"
        grid.append([ons, name, geography] + [200_000.0] * len(years))
    return grid


def lookup_csv() -> str:
    lines = ["\ufeffLTLA23CD,LTLA23NM,LTLA23NMW,UTLA23CD,UTLA23NM,UTLA23NMW,ObjectId"]
    for n, (_ecode, ons, name, cls) in enumerate(AUTHORITIES, start=1):
        utla, utla_name = ("E10000015", "Hertfordshire") if cls == "SD" else (ons, name)
        lines.append(f'{ons},"{name}",,{utla},"{utla_name}",,{n}')
    return "\n".join(lines) + "\n"


def hmt_deflator_csv(*, drop_year: str = "", index_text: dict[str, str] | None = None) -> str:
    """A financial-year deflator file in the Treasury copy's layout: 2024-25 = 100, 2% a year."""
    lines = ["fiscal_year_start,fiscal_year,gdp_deflator,cpi_index,cpih_index,is_forecast"]
    for start in range(2010, 2028):
        fy = f"{start}-{(start + 1) % 100:02d}"
        if fy == drop_year:
            continue
        index = (index_text or {}).get(fy, f"{100 * 1.02 ** (start - 2024):.4f}")
        lines.append(f"{start},{fy},{index},,,{'true' if start >= 2025 else 'false'}")
    return "\n".join(lines) + "\n"


def ons_deflator_csv() -> str:
    """An ONS time-series export of YBGB: 2022 = 100, quarters growing 0.5% each."""
    lines = [
        '"Title","Gross domestic product at market prices:Implied deflator:SA"',
        '"CDID","YBGB"',
        '"Source dataset ID","UKEA"',
        '"PreUnit","£"',
        '"Unit","m"',
        '"Release date","30-06-2025"',
        '"Next release","30 September 2025"',
        '"Important notes",',
    ]
    lines += [f'"{y}","{100 * 1.02 ** (y - 2022):.1f}"' for y in range(2009, 2025)]
    for y in range(2009, 2026):
        for q in range(1, 5):
            if (y, q) > (2025, 1):
                break
            value = 100 * 1.02 ** (y - 2022 + (q - 2.5) / 4)
            lines.append(f'"{y} Q{q}","{value:.1f}"')
    return "\n".join(lines) + "\n"


def other_entry(sid: str, family: str, path: Path, kind: str, mirror_path: str) -> str:
    data = path.read_bytes()
    return "\n".join(
        [
            "[[source]]",
            f'id = "{sid}"',
            f'family = "{family}"',
            'publisher = "test"',
            f'title = "generated {sid}"',
            'financial_year = "2009-10..2023-24"',
            'basis = "test"',
            f'file_name = "{path.name}"',
            f'mirror_path = "{mirror_path}"',
            f'kind = "{kind}"',
            f'sha256 = "{hashlib.sha256(data).hexdigest()}"',
            f"bytes = {len(data)}",
            'licence = "test"',
            "",
        ]
    )


# Generated in place of a vendored source: the written answer's outturn years would have no
# 2013-14 outturn base in the generated mirror, which holds budgets only.
REPLACED = {"published_pq_2020_outturn": "published/written_answer_generated.csv"}
WRITTEN_ANSWER_HEADER = "financial_year,canonical_line,value_gbp_thousands,basis,source,note\n"


def vendored_entries() -> list[str]:
    """The transcribed figures committed in data_raw/published, as the real registry lists them."""
    import tomli_w

    from pipeline.sources.registry import load_sources

    return [
        tomli_w.dumps({"source": [vars(s)]})
        for s in load_sources()
        if s.edition == "transcription" and s.id not in REPLACED
    ]


def make_mirror(root: Path, *, overrides: dict[str, dict[str, list]] | None = None) -> Path:
    """Write generated sources under `root/mirror/` and their registry as `root/sources.toml`.

    Five RA workbooks, a ViewIt export, MYE4 and the LTLA-UTLA lookup; the transcribed figures
    are the repository's own. `overrides` maps a year to replacement RA sheets (to build a
    faulty file); the registry always records the checksum of the bytes actually written.
    """
    for year in SHEETS:
        sheets = (overrides or {}).get(year) or year_workbook(year)
        write_xlsx(root / "mirror" / "mhclg" / file_name(year), sheets)
    viewit = root / "mirror" / VIEWIT_PATH
    viewit.parent.mkdir(parents=True, exist_ok=True)
    viewit.write_text(viewit_csv(), encoding="utf-8")
    write_xlsx(root / "mirror" / MYE4_PATH, {"Cover sheet": [["generated"]], "MYE4": mye4_grid()})
    (root / "mirror" / LOOKUP_PATH).write_text(lookup_csv(), encoding="utf-8")
    (root / "mirror" / HMT_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / "mirror" / HMT_PATH).write_text(hmt_deflator_csv(), encoding="utf-8")
    (root / "mirror" / ONS_DEFLATOR_PATH).write_text(ons_deflator_csv(), encoding="utf-8")
    from tests.synthetic_outcomes import write_outcomes

    write_outcomes(root / "mirror")
    write_registry(root)
    return root


VIEWIT_PATH = "ohid/viewit_generated.csv"
MYE4_PATH = "ons/mye_generated.xlsx"
LOOKUP_PATH = "ons/lookup_generated.csv"
HMT_PATH = "deflators/hmt_generated.csv"
ONS_DEFLATOR_PATH = "deflators/ybgb_generated.csv"


def write_registry(root: Path, urls: dict[str, str] | None = None) -> None:
    """Pin every generated file as it now is on disk; `urls` gives a year a download address."""
    from tests.synthetic_outcomes import outcome_entries

    mirror = root / "mirror"
    entries = [
        registry_entry(year, mirror / "mhclg" / file_name(year), url=(urls or {}).get(year, ""))
        for year in SHEETS
    ]
    entries += [
        other_entry("ohid_ndtms_viewit_adults", "ndtms", mirror / VIEWIT_PATH, "csv", VIEWIT_PATH),
        other_entry("ons_mye_2023", "ons", mirror / MYE4_PATH, "xlsx", MYE4_PATH),
        other_entry("ons_ltla_utla_lookup_2023", "ons", mirror / LOOKUP_PATH, "csv", LOOKUP_PATH),
        other_entry("hmt_gdp_deflators_2026_03", "deflators", mirror / HMT_PATH, "csv", HMT_PATH),
        other_entry(
            "ons_ybgb_2025_06", "deflators", mirror / ONS_DEFLATOR_PATH, "csv", ONS_DEFLATOR_PATH
        ),
        *vendored_entries(),
        *outcome_entries(mirror, other_entry),
    ]
    for sid, relative in REPLACED.items():
        path = mirror / relative
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(WRITTEN_ANSWER_HEADER, encoding="utf-8")  # an answer for no year
        entries.append(other_entry(sid, "published", path, "csv", relative))
    (root / "sources.toml").write_text("\n".join(entries), encoding="utf-8")
