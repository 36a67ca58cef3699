"""ONS deaths related to drug poisoning and drug misuse by local authority (2021 edition).

Tables 1 and 2: deaths per registration year (1993 to 2021); Tables 3 to 8: three-year pooled
deaths, age-standardised rates per 100,000 and 95% confidence limits, persons, males and females.
Each table's measure and sex are read from its own title, each column from its header; every
area row is kept (raw), then councils are put on the stable areas (out). A district sits inside
its county (its deaths are in the county's row) and is never counted again; a union of councils
adds its deaths, and has no rate, since age-standardised rates cannot be added.
"""

from __future__ import annotations

import re

import pandas as pd

from assets.outcome_areas import ENGLAND, area_of_codes, council_areas, gss_role
from pipeline.errors import LayoutError
from pipeline.extract.workbook import read_sheets, sheet_names
from pipeline.model import BuildContext, CheckResult
from pipeline.sources.fetch import Resolved

SOURCE_ID = "ons_drug_deaths_la_2021"
TITLE = re.compile(r"deaths related to drug (poisoning|misuse), (persons|males|females)\b", re.I)
ANCHOR = "Area Codes"
END = "Footnotes"
CODE = re.compile(r"^[EKW]\d{8}$")
PERIOD = re.compile(r"^(\d{4})\s*[\u2010-\u2015-]\s*(\d{2})$")
NAME_COLUMNS = {1: "B", 2: "C", 3: "D"}  # the area's level: region, county or unitary, district
# the printed sub-headers of a pooled period, footnote numbers stripped
STATISTICS = {
    "deaths": "deaths",
    "rate": "rate_per_100k",
    "lower confidence limit": "ci_lower",
    "upper confidence limit": "ci_upper",
}
MARKERS = {":": "not calculated (fewer than 10 deaths) or not available", "": "blank"}
RELIABILITY = "u"  # printed beside a rate from 10 to 19 deaths: unreliable
UNION_RATE_NOTE = "a union of areas: age-standardised rates cannot be added (see deaths)"


def _label(cell: object) -> str:
    return re.sub(r"[\s\d,]+$", "", str(cell).strip()).casefold()


def _number(cell: object, file: str, sheet: str, where: str) -> tuple[float | None, str | None]:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell), None
    text = str(cell).strip()
    if text in MARKERS:
        return None, text or "blank"
    raise LayoutError(
        f"{cell!r} is neither a number nor a marker ({', '.join(repr(m) for m in MARKERS)})",
        file=file,
        sheet=sheet,
        cell=where,
    )


def _columns(grid: list[list], at: int, pooled: bool, file: str, sheet: str) -> dict:
    """column index -> (period, period_start, period_end, statistic); rate flags too."""
    header = grid[at]
    columns: dict[int, tuple] = {}
    if not pooled:
        for j, cell in enumerate(header[4:], start=4):
            if isinstance(cell, float) and cell.is_integer():
                year = int(cell)
                columns[j] = (str(year), year, year, "deaths")
            elif str(cell).strip():
                raise LayoutError(
                    f"year header {cell!r} is not a year",
                    file=file,
                    sheet=sheet,
                    cell=f"row {at + 1}",
                )
        return columns
    subs = grid[at + 1]
    period = None
    for j in range(4, max(len(header), len(subs))):
        top = str(header[j]).strip() if j < len(header) else ""
        if top:
            m = PERIOD.match(top)
            if not m:
                raise LayoutError(
                    f"period header {top!r} is not 'YYYY-YY'",
                    file=file,
                    sheet=sheet,
                    cell=f"row {at + 1}, column {j + 1}",
                )
            start = int(m.group(1))
            period = (f"{start}-{m.group(2)}", start, start + 2)
        sub = _label(subs[j]) if j < len(subs) else ""
        if not sub:
            if columns.get(j - 1, (None,) * 4)[3] == "rate_per_100k":
                columns[j] = (*period, "rate_flag")
            continue
        statistic = next((v for k, v in STATISTICS.items() if sub.startswith(k)), None)
        if statistic is None or period is None:
            raise LayoutError(
                f"sub-header {subs[j]!r} is not one of {', '.join(STATISTICS)} under a period",
                file=file,
                sheet=sheet,
                cell=f"row {at + 2}, column {j + 1}",
            )
        columns[j] = (*period, statistic)
    return columns


def read_table(grid: list[list], file: str, sheet: str) -> list[tuple]:
    """One 'Table N' sheet: a row per area and printed figure."""
    title = next((str(r[0]) for r in grid[:5] if r and TITLE.search(str(r[0]))), None)
    if title is None:
        raise LayoutError(
            "no title 'deaths related to drug poisoning|misuse, persons|males|females' in the "
            "first 5 rows",
            file=file,
            sheet=sheet,
        )
    measure, sex = (g.lower() for g in TITLE.search(title).groups())
    pooled = "age-standardised" in title.lower()
    anchors = [i for i, r in enumerate(grid) if r and str(r[0]).strip() == ANCHOR]
    ends = [i for i, r in enumerate(grid) if r and str(r[0]).strip() == END]
    if len(anchors) != 1 or len(ends) != 1:
        raise LayoutError(
            f"expected one {ANCHOR!r} header and one {END!r} row in column A, found "
            f"{len(anchors)} and {len(ends)}",
            file=file,
            sheet=sheet,
        )
    at = anchors[0]
    columns = _columns(grid, at, pooled, file, sheet)
    rows, county = [], None
    for i in range(at + 1, ends[0]):
        row = grid[i]
        code = str(row[0]).strip()
        if not code:
            continue
        if not CODE.match(code):
            raise LayoutError(
                f"{code!r} is not an area code", file=file, sheet=sheet, cell=f"A{i + 1}"
            )
        level = next((j for j in NAME_COLUMNS if str(row[j]).strip()), None)
        if level is None:
            raise LayoutError(
                f"{code} has no name in B, C or D", file=file, sheet=sheet, cell=f"A{i + 1}"
            )
        role = gss_role(code, file=file, where=f"A{i + 1}")
        if level < 3:
            county = code if role == "council" else None
        # a district's deaths are in its county's row: it must sit under one
        parent = county if level == 3 else None
        if role == "district" and parent is None:
            raise LayoutError(
                f"district {code} is not under a county council's row",
                file=file,
                sheet=sheet,
                cell=f"A{i + 1}",
            )
        for j, (period, start, end, statistic) in columns.items():
            if statistic == "rate_flag":
                continue
            cell = row[j] if j < len(row) else ""
            value, marker = _number(cell, file, sheet, f"row {i + 1}, column {j + 1}")
            flag = str(row[j + 1]).strip().casefold() if statistic == "rate_per_100k" else ""
            if flag not in ("", RELIABILITY):
                raise LayoutError(
                    f"rate flag {row[j + 1]!r} is not {RELIABILITY!r} or blank",
                    file=file,
                    sheet=sheet,
                    cell=f"row {i + 1}, column {j + 2}",
                )
            rows.append(
                (
                    sheet,
                    i + 1,
                    j + 1,
                    code,
                    str(row[level]).strip(),
                    NAME_COLUMNS[level],
                    role,
                    parent,
                    measure,
                    sex,
                    period,
                    start,
                    end,
                    statistic,
                    value,
                    marker,
                    flag == RELIABILITY,
                )
            )
    return rows


RAW_COLUMNS = [
    "sheet", "row_number", "column_number", "ons_code", "area_name", "name_column", "gss_role",
    "in_county", "measure", "sex", "period", "period_start", "period_end", "statistic", "value",
    "marker", "is_low_reliability",
]  # fmt: skip


def drug_deaths(resolved: Resolved) -> pd.DataFrame:
    """raw.ons__drug_deaths: every figure of Tables 1 to 8, one row per area and cell."""
    file = resolved.source.file_name
    tables = [s for s in sheet_names(resolved.path, "xlsx") if re.fullmatch(r"Table \d+", s)]
    if not tables:
        raise LayoutError("no 'Table N' sheets", file=file)
    grids = read_sheets(resolved.path, "xlsx", tables)
    rows = [r for sheet in tables for r in read_table(grids[sheet], file, sheet)]
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    frame["is_pooled"] = frame["period_start"] < frame["period_end"]
    kinds = frame.drop_duplicates(["measure", "sex", "statistic", "is_pooled", "sheet"])
    doubled = kinds.groupby(["measure", "sex", "statistic", "is_pooled"]).size()
    if (doubled > 1).any():
        raise LayoutError(
            f"two tables give the same figures: {doubled[doubled > 1].to_dict()}", file=file
        )
    frame.insert(0, "source_id", resolved.source.id)
    return frame


def _members(ctx: BuildContext) -> pd.DataFrame:
    """The workbook's council and England rows, each with its stable area; an unknown council
    code is an error."""
    con = ctx.con
    areas, names = area_of_codes(con), council_areas(con)
    codes = con.execute(
        "SELECT DISTINCT ons_code, gss_role, min(sheet), min(row_number) FROM raw.ons__drug_deaths "
        "WHERE gss_role IN ('council', 'england') GROUP BY ALL ORDER BY ons_code"
    ).fetchall()
    rows = []
    for code, role, sheet, row in codes:
        if role == "england":
            rows.append((code, ENGLAND, "England"))
            continue
        if code not in areas:
            raise LayoutError(
                f"council {code} has no stable area: it is not in reference.stable_areas, "
                "pipeline/layouts/stable_area_merges.csv or reorganisations.csv",
                file=ctx.source(SOURCE_ID).source.file_name,
                sheet=sheet,
                cell=f"A{row}",
            )
        rows.append((code, areas[code], names[areas[code]]))
    return pd.DataFrame(rows, columns=["ons_code", "area_code", "area_name"])


def area_drug_deaths(ctx: BuildContext) -> pd.DataFrame:
    """out.area_drug_deaths: registrations per stable area and year, England included."""
    ctx.con.register("_members", _members(ctx))
    try:
        return ctx.con.execute(
            """
            WITH cells AS (
                SELECT m.area_code, m.area_name, r.ons_code, r.period_start AS year, r.measure,
                    r.value
                FROM raw.ons__drug_deaths AS r JOIN _members AS m USING (ons_code)
                WHERE r.statistic = 'deaths' AND r.period_start = r.period_end
                    AND r.sex = 'persons'
            ),
            per_area AS (
                SELECT area_code, any_value(area_name) AS area_name, year, measure,
                    -- a sum over members only when every member printed a figure
                    CASE WHEN count(value) = count(*)
                        THEN sum(value ORDER BY ons_code) END AS deaths,
                    string_agg(DISTINCT ons_code, ';' ORDER BY ons_code) AS member_codes,
                    count(DISTINCT ons_code) AS members_in_file,
                    count(value) AS members_reporting
                FROM cells GROUP BY area_code, year, measure
            )
            SELECT area_code, any_value(area_name) AS area_name, year,
                CAST(any_value(deaths) FILTER (WHERE measure = 'poisoning') AS INTEGER)
                    AS deaths_drug_poisoning,
                CAST(any_value(deaths) FILTER (WHERE measure = 'misuse') AS INTEGER)
                    AS deaths_drug_misuse,
                any_value(member_codes) AS member_codes,
                max(members_in_file) AS members_in_file,
                any_value(members_reporting) FILTER (WHERE measure = 'poisoning')
                    AS members_reporting_poisoning,
                any_value(members_reporting) FILTER (WHERE measure = 'misuse')
                    AS members_reporting_misuse
            FROM per_area GROUP BY area_code, year ORDER BY area_code, year
            """
        ).df()
    finally:
        ctx.con.unregister("_members")


def area_drug_death_rates(ctx: BuildContext) -> pd.DataFrame:
    """out.area_drug_death_rates: three-year pooled deaths and rates per stable area."""
    ctx.con.register("_members", _members(ctx))
    try:
        return ctx.con.execute(
            f"""
            WITH cells AS (
                SELECT m.area_code, m.area_name, r.ons_code, r.period, r.period_start,
                    r.period_end, r.measure, r.sex, r.statistic, r.value, r.marker,
                    r.is_low_reliability
                FROM raw.ons__drug_deaths AS r JOIN _members AS m USING (ons_code)
                WHERE r.period_start < r.period_end
            ),
            per_member AS (
                SELECT area_code, area_name, ons_code, period, period_start, period_end,
                    measure, sex,
                    any_value(value) FILTER (WHERE statistic = 'deaths') AS deaths,
                    any_value(value) FILTER (WHERE statistic = 'rate_per_100k') AS rate,
                    any_value(marker) FILTER (WHERE statistic = 'rate_per_100k') AS rate_marker,
                    any_value(value) FILTER (WHERE statistic = 'ci_lower') AS ci_lower,
                    any_value(value) FILTER (WHERE statistic = 'ci_upper') AS ci_upper,
                    bool_or(is_low_reliability) AS low
                FROM cells GROUP BY ALL
            )
            SELECT area_code, any_value(area_name) AS area_name, period,
                any_value(period_start) AS period_start, any_value(period_end) AS period_end,
                measure, sex,
                CAST(CASE WHEN count(deaths) = count(*)
                    THEN sum(deaths ORDER BY ons_code) END AS INTEGER) AS deaths,
                CASE WHEN count(*) = 1 THEN any_value(rate) END AS rate_per_100k,
                CASE WHEN count(*) = 1 THEN any_value(ci_lower) END AS ci_lower,
                CASE WHEN count(*) = 1 THEN any_value(ci_upper) END AS ci_upper,
                count(*) = 1 AND any_value(low) AS rate_is_low_reliability,
                CASE WHEN count(*) > 1 THEN '{UNION_RATE_NOTE}'
                    WHEN any_value(rate) IS NULL AND any_value(rate_marker) = ':'
                        THEN 'not calculated by ONS (fewer than 10 deaths) or not available'
                    WHEN any_value(rate) IS NULL THEN 'blank in the source'
                    WHEN any_value(low) THEN 'unreliable: 10 to 19 deaths (ONS)'
                END AS rate_note,
                string_agg(ons_code, ';' ORDER BY ons_code) AS member_codes
            FROM per_member
            GROUP BY area_code, period, measure, sex
            ORDER BY area_code, period_start, measure, sex
            """
        ).df()
    finally:
        ctx.con.unregister("_members")


def england_is_sum_of_areas(ctx: BuildContext) -> list[CheckResult]:
    """Deaths: the council areas add up to the workbook's England row, every year and period.

    The workbook's England row counts residents, as its areas do (only England and Wales
    includes non-residents), so it is their sum; where a member is blank the sum is unknown
    and is reported, not compared.
    """
    rows = ctx.con.execute(
        """
        WITH deaths AS (
            SELECT area_code, year::VARCHAR AS period, 'persons' AS sex, 'poisoning' AS measure,
                deaths_drug_poisoning AS deaths FROM out.area_drug_deaths
            UNION ALL SELECT area_code, year::VARCHAR, 'persons', 'misuse', deaths_drug_misuse
                FROM out.area_drug_deaths
            UNION ALL SELECT area_code, period, sex, measure, deaths FROM out.area_drug_death_rates
        ),
        compared AS (
            SELECT period, sex, measure,
                any_value(deaths) FILTER (WHERE area_code = 'E92000001') AS england,
                sum(deaths ORDER BY area_code) FILTER (WHERE area_code <> 'E92000001') AS areas,
                count(*) FILTER (WHERE area_code <> 'E92000001' AND deaths IS NULL) AS unknown
            FROM deaths GROUP BY ALL
        )
        SELECT period, sex, measure, england, areas, unknown FROM compared ORDER BY ALL
        """
    ).fetchall()
    differ = [r for r in rows if r[3] != r[4]]
    partial = [r for r in rows if r[5]]
    return [
        CheckResult(
            "england_is_sum_of_areas",
            bool(rows) and not differ,
            "the council areas' deaths add up to the workbook's England row (residents, "
            "every registration year and pooled period, persons, males and females)",
            observed="; ".join(
                f"{p} {s} {m}: England {e}, areas {a} ({u} blank)"
                for p, s, m, e, a, u in differ[:5]
            )
            or f"{len(rows)} totals equal"
            + (
                "; where an area's figure is blank the sum is taken over those printed: "
                + ", ".join(f"{p} {s} {m}" for p, s, m, *_ in partial[:5])
                if partial
                else ""
            ),
        )
    ]


def every_area_present(table: str, period: str) -> callable:
    """A check: every council stable area has a row for every `period` of `table`."""

    def check(ctx: BuildContext) -> list[CheckResult]:
        missing = ctx.con.execute(
            f"""
            WITH areas AS (SELECT DISTINCT area_code FROM reference.stable_areas
                WHERE area_kind = 'council'),
            periods AS (SELECT DISTINCT {period} AS p FROM {table})
            SELECT a.area_code, p.p FROM areas AS a CROSS JOIN periods AS p
            ANTI JOIN {table} AS t ON t.area_code = a.area_code AND t.{period} = p.p
            ORDER BY ALL
            """
        ).fetchall()
        unknown = ctx.con.execute(
            f"SELECT DISTINCT area_code FROM {table} WHERE area_code <> 'E92000001' AND "
            "area_code NOT IN (SELECT area_code FROM reference.stable_areas "
            "WHERE area_kind = 'council') ORDER BY 1"
        ).fetchall()
        return [
            CheckResult(
                "every_council_area_present",
                not missing and not unknown,
                f"every council stable area has a row for every {period}, and every area code "
                "is a council stable area (or England)",
                observed=", ".join(f"{a} {p} missing" for a, p in missing[:5])
                + ", ".join(f"{a} unknown" for (a,) in unknown[:5])
                or "all present, all known",
            )
        ]

    return check
