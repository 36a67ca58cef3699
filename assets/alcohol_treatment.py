"""UK SDG indicator 3.5.1: adults in alcohol treatment, dependent drinkers and met need per council.

A derived ONS table (from NDTMS and Fingertips), 2010/11 to 2018/19. Councils with a GeoCode are
matched by it; those without (the county councils, a few unitaries) by their printed name
through `pipeline/layouts/sdg_alcohol_area_names.csv`, where an unmatched name is an error.
Rows with a deprivation decile are aggregates; the row with neither name nor code is England.
On the stable areas a union adds its counts and recomputes met need from the sums.
"""

from __future__ import annotations

import csv

import pandas as pd

from assets.outcome_areas import ENGLAND, area_of_codes, council_areas, gss_role
from pipeline.errors import LayoutError
from pipeline.extract.layouts import normalise, read_table
from pipeline.model import BuildContext, CheckResult
from pipeline.sources.fetch import Resolved

SOURCE_ID = "ons_sdg_3_5_1_2023_04"
NAMES = "sdg_alcohol_area_names.csv"
COLUMNS = ("Year", "Series", "Units", "Local Authority", "Deprivation decile", "GeoCode", "Value")


def _financial_year(text: str, file: str, where: str) -> tuple[str, int]:
    start, _, end = text.partition("/")
    if not (start.isdigit() and end.isdigit() and int(end) == (int(start) + 1) % 100):
        raise LayoutError(f"Year {text!r} is not 'YYYY/YY'", file=file, cell=where)
    return f"{start}-{end}", int(start)


def alcohol_treatment(resolved: Resolved) -> pd.DataFrame:
    """raw.ons__sdg_alcohol_treatment: every row of the file, with what it stands for."""
    file = resolved.source.file_name
    series = {row["series"]: row for row in read_table("sdg_alcohol_series.csv")}
    names = {normalise(row["printed_name"]): row for row in read_table(NAMES)}
    with resolved.path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise LayoutError(f"columns {missing} not in the header", file=file, cell="row 1")
        rows = []
        for i, rec in enumerate(reader, start=2):
            where = f"row {i}"
            fy, fy_start = _financial_year(rec["Year"].strip(), file, where)
            kind = series.get(rec["Series"].strip())
            if kind is None or kind["unit"] != rec["Units"].strip():
                raise LayoutError(
                    f"series {rec['Series']!r} in {rec['Units']!r} is not in "
                    "pipeline/layouts/sdg_alcohol_series.csv",
                    file=file,
                    cell=where,
                )
            name, code = rec["Local Authority"].strip(), rec["GeoCode"].strip()
            decile = rec["Deprivation decile"].strip()
            status, codes = "council", code
            if decile:
                status, codes = "deprivation_decile", ""
            elif not name and not code:
                status, codes = "england", ENGLAND
            elif code:
                if gss_role(code, file=file, where=f"{where}, GeoCode") != "council":
                    raise LayoutError(f"GeoCode {code} is not a council", file=file, cell=where)
            else:
                match = names.get(normalise(name))
                if match is None:
                    raise LayoutError(
                        f"council {name!r} has no GeoCode and no row in pipeline/layouts/{NAMES}",
                        file=file,
                        cell=where,
                    )
                status, codes = match["status"], match["ons_codes"]
            text = rec["Value"].strip()
            try:
                value = float(text) if text else None
            except ValueError:
                raise LayoutError(
                    f"Value {text!r} is not a number", file=file, cell=where
                ) from None
            rows.append(
                (i, fy, fy_start, rec["Series"].strip(), kind["measure"], name, decile, code,
                 codes, status, value)
            )  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=[
            "row_number", "financial_year", "fy_start", "series", "measure", "local_authority",
            "deprivation_decile", "geo_code", "ons_codes", "row_kind", "value",
        ],
    )  # fmt: skip
    keyed = frame[frame.row_kind == "council"]
    dupes = keyed[keyed.duplicated(["financial_year", "measure", "ons_codes"], keep=False)]
    if not dupes.empty:
        first = dupes.iloc[0]
        raise LayoutError(
            f"{len(dupes)} rows repeat a council, year and series, e.g. "
            f"{first.local_authority or first.geo_code} {first.financial_year} {first.series}",
            file=file,
            cell=f"row {first.row_number}",
        )
    # England's own rows may repeat: flagged, never picked
    frame["is_duplicate"] = frame.duplicated(
        ["financial_year", "measure", "ons_codes", "deprivation_decile"], keep=False
    ) & (frame.row_kind == "england")
    frame.insert(0, "source_id", resolved.source.id)
    return frame


def _members(ctx: BuildContext) -> pd.DataFrame:
    """Each council code of the file with its stable area; a joint row names every area it
    covers (it belongs to none alone)."""
    con = ctx.con
    areas = area_of_codes(con)
    rows = []
    for codes, kind, row in con.execute(
        "SELECT ons_codes, row_kind, min(row_number) FROM raw.ons__sdg_alcohol_treatment "
        "WHERE row_kind IN ('council', 'joint') GROUP BY ALL ORDER BY 1"
    ).fetchall():
        for code in codes.split(";"):
            if code not in areas:
                raise LayoutError(
                    f"council {code} has no stable area (reference.stable_areas, "
                    "stable_area_merges.csv, reorganisations.csv)",
                    file=ctx.source(SOURCE_ID).source.file_name,
                    cell=f"row {row}",
                )
            rows.append((codes, areas[code], kind))
    return pd.DataFrame(rows, columns=["ons_codes", "area_code", "row_kind"])


def area_alcohol_treatment(ctx: BuildContext) -> pd.DataFrame:
    """out.area_alcohol_treatment: per stable area and year, with alcohol spend beside."""
    con = ctx.con
    con.register("_members", _members(ctx))
    con.register(
        "_areas", pd.DataFrame(list(council_areas(con).items()), columns=["area_code", "name"])
    )
    try:
        return con.execute(
            """
            WITH cells AS (
                SELECT m.area_code, r.ons_codes, r.financial_year, r.fy_start, r.measure,
                    r.value, r.local_authority
                FROM raw.ons__sdg_alcohol_treatment AS r
                JOIN _members AS m ON m.ons_codes = r.ons_codes AND m.row_kind = 'council'
                WHERE r.row_kind = 'council'
            ),
            expected AS (  -- an area's members: every code of the file that maps to it
                SELECT area_code, count(DISTINCT ons_codes) AS n,
                    string_agg(DISTINCT ons_codes, ';' ORDER BY ons_codes) AS member_codes
                FROM cells GROUP BY area_code
            ),
            per_member AS (
                SELECT area_code, ons_codes, financial_year, any_value(fy_start) AS fy_start,
                    any_value(value) FILTER (WHERE measure = 'people_in_treatment') AS people,
                    any_value(value) FILTER (WHERE measure = 'dependent_drinkers_estimate')
                        AS drinkers,
                    any_value(value) FILTER (WHERE measure = 'met_need_pct') AS met
                FROM cells GROUP BY ALL
            ),
            per_area AS (
                SELECT p.area_code, p.financial_year, any_value(p.fy_start) AS fy_start,
                    any_value(e.n) AS members_expected, count(*) AS members_in_file,
                    -- a sum only when every member of the area printed the figure
                    CASE WHEN count(p.people) = any_value(e.n)
                        THEN sum(p.people ORDER BY p.ons_codes) END AS people,
                    CASE WHEN count(p.drinkers) = any_value(e.n)
                        THEN sum(p.drinkers ORDER BY p.ons_codes) END AS drinkers,
                    any_value(p.met) AS met, any_value(e.member_codes) AS member_codes
                FROM per_member AS p JOIN expected AS e USING (area_code)
                GROUP BY p.area_code, p.financial_year
            ),
            joint AS (
                SELECT m.area_code, string_agg(DISTINCT r.local_authority, '; ') AS printed
                FROM raw.ons__sdg_alcohol_treatment AS r
                JOIN _members AS m ON m.ons_codes = r.ons_codes AND m.row_kind = 'joint'
                GROUP BY m.area_code
            ),
            years AS (SELECT DISTINCT financial_year, fy_start
                FROM raw.ons__sdg_alcohol_treatment),
            spend AS (
                SELECT area_code, financial_year, basis, value_gbp_thousands
                FROM out.area_spend_trends WHERE category = 'alcohol' AND is_complete
            )
            SELECT a.area_code, a.name AS area_name, y.financial_year, y.fy_start,
                CAST(v.people AS BIGINT) AS people_in_treatment,
                v.drinkers AS dependent_drinkers_estimate,
                CASE WHEN v.members_expected = 1 THEN v.met
                    WHEN v.drinkers > 0 THEN 100 * v.people / v.drinkers END AS met_need_pct,
                coalesce(v.members_expected > 1, false) AS met_need_is_recomputed,
                coalesce(v.member_codes, j.printed) AS member_codes,
                coalesce(v.members_in_file, 0) AS members_in_file,
                CASE WHEN j.printed IS NOT NULL
                    THEN 'printed only jointly with another council as ''' || j.printed
                        || ''': the figure belongs to neither area alone'
                    WHEN v.area_code IS NULL THEN 'not in the file this year'
                END AS note,
                o.value_gbp_thousands AS alcohol_outturn_gbp_thousands,
                1000 * o.value_gbp_thousands / nullif(v.people, 0)
                    AS outturn_gbp_per_adult_in_alcohol_treatment,
                b.value_gbp_thousands AS alcohol_budget_gbp_thousands,
                1000 * b.value_gbp_thousands / nullif(v.people, 0)
                    AS budget_gbp_per_adult_in_alcohol_treatment
            FROM _areas AS a CROSS JOIN years AS y
            LEFT JOIN per_area AS v
                ON v.area_code = a.area_code AND v.financial_year = y.financial_year
            LEFT JOIN joint AS j ON j.area_code = a.area_code
            LEFT JOIN spend AS o ON o.area_code = a.area_code
                AND o.financial_year = y.financial_year AND o.basis = 'outturn'
            LEFT JOIN spend AS b ON b.area_code = a.area_code
                AND b.financial_year = y.financial_year AND b.basis = 'budget'
            ORDER BY a.area_code, y.fy_start
            """
        ).df()
    finally:
        con.unregister("_members")
        con.unregister("_areas")


def every_area_matched(ctx: BuildContext) -> list[CheckResult]:
    """Every council stable area has figures from the file, or a note saying why not."""
    missing = ctx.con.execute(
        """
        SELECT area_code FROM out.area_alcohol_treatment GROUP BY area_code
        HAVING max(members_in_file) = 0 AND NOT bool_or(note LIKE 'printed only jointly%')
        ORDER BY 1
        """
    ).fetchall()
    areas = ctx.con.execute(
        "SELECT count(DISTINCT area_code) FROM out.area_alcohol_treatment"
    ).fetchone()[0]
    expected = len(council_areas(ctx.con))
    return [
        CheckResult(
            "every_council_area_present",
            not missing and areas == expected,
            "every council stable area is in the table and matched to the file (by GeoCode "
            "or name), or printed only jointly with another, which the note says",
            observed=", ".join(a for (a,) in missing[:10])
            or f"{areas} areas of {expected}, all matched",
        )
    ]
