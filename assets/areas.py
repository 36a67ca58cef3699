"""Stable areas: one unbroken place per council series, whatever reorganisations did to codes.

Every authority that ever printed a public health figure (E-code and ONS code) is mapped to one
stable area by rules, in this order:
1. a member of a boundary change (`pipeline/layouts/stable_area_merges.csv`): the merged area;
2. a code change over the same area (`reorganisations.csv`, `same_area` true): its successor's
   area (Buckinghamshire 2020, North Yorkshire and Somerset 2023);
3. an upper-tier council on April 2023 boundaries (the ONS lookup): itself;
4. a lower-tier district: its upper-tier council's area (its money is in the county's place);
   the lookup gives the county of a district that still exists, and MHCLG's E-codes give it
   for one abolished before April 2023: a district's code shares its county's area number
   (E0931 Allerdale, E0920 Cumbria). The two are checked against each other where both exist;
5. another body (class O: the GLA, say): an area of its own, never a council;
anything else is an error naming the code. Money is summed exactly, never apportioned.
"""

from __future__ import annotations

import pandas as pd

from pipeline.errors import LayoutError, ValidationError
from pipeline.extract.layouts import read_table
from pipeline.model import BuildContext, CheckResult

MERGES = "stable_area_merges.csv"


def merged_areas() -> dict[str, tuple[str, str]]:
    """member ONS code -> (area code, area name); checked against the reorganisations."""
    members: dict[str, tuple[str, str]] = {}
    for row in read_table(MERGES):
        for code in row["member_ons_codes"].split(";"):
            if code in members:
                raise LayoutError(f"{code} is a member of two merged areas", file=MERGES)
            members[code] = (row["area_code"], row["area_name"])
    for reorg in read_table("reorganisations.csv"):
        successors = reorg["successor_ons_codes"].split(";")
        if reorg["same_area"] == "true":
            if len(successors) != 1:
                raise LayoutError(
                    f"{reorg['ons_code']} has same_area true but {len(successors)} successors",
                    file="reorganisations.csv",
                )
            continue
        areas = {members.get(c, (None,))[0] for c in [reorg["ons_code"], *successors]}
        if len(areas) != 1 or None in areas:
            raise LayoutError(
                f"{reorg['name']} ({reorg['ons_code']}) changed boundaries: it and its "
                f"successors {successors} must be members of one merged area in {MERGES}",
                file="reorganisations.csv",
            )
    return members


def stable_areas(ctx: BuildContext) -> pd.DataFrame:
    """reference.stable_areas: every authority that printed a public health figure -> area."""
    con = ctx.con
    authorities = con.execute(
        """
        WITH reported AS (
            SELECT DISTINCT r.ecode
            FROM raw.mhclg__revenue_cells AS r
            JOIN reference.service_lines AS s ON s.label_key = r.label_key AND s.status = 'mapped'
            WHERE r.row_kind = 'authority' AND r.value <> 0
        )
        SELECT ecode, arg_max(ons_code, fy_start) AS ons_code, arg_max(la_name, fy_start),
            arg_max(la_class, fy_start), min(financial_year), max(financial_year),
            count(DISTINCT ons_code) AS ons_codes
        FROM core.la_substance_misuse_spend
        WHERE ecode IN (SELECT ecode FROM reported)
        GROUP BY ecode ORDER BY ecode
        """
    ).fetchall()
    lookup = con.execute(
        "SELECT ltla_code, utla_code, utla_name FROM raw.ons__ltla_utla_lookup_2023"
    ).fetchall()
    upper = {u: n for _l, u, n in lookup}
    district_of = {lt: u for lt, u, _n in lookup if lt != u}
    county_by_area = {
        ecode[:3]: ons_code for ecode, ons_code, _n, la_class, *_ in authorities if la_class == "SC"
    }
    reorgs = {r["ons_code"]: r for r in read_table("reorganisations.csv")}
    merges = merged_areas()

    def area_of(code: str, seen: tuple[str, ...] = ()) -> tuple[str, str, str]:
        if code in merges:
            return (*merges[code], "merged")
        reorg = reorgs.get(code)
        if reorg and reorg["same_area"] == "true" and code not in seen:
            area_code, name, _rule = area_of(reorg["successor_ons_codes"], (*seen, code))
            return area_code, name, "code_change"
        if code in upper:
            return code, upper[code], "unchanged"
        if code in district_of:
            area_code, name, _rule = area_of(district_of[code], (*seen, code))
            return area_code, name, "district_in_upper_tier"
        raise KeyError(code)

    def abolished_district(ecode: str, la_class: str) -> tuple[str, str, str]:
        county = county_by_area.get(ecode[:3]) if la_class == "SD" else None
        if county is None:
            raise KeyError(ecode)
        area_code, name, _rule = area_of(county)
        return area_code, name, "abolished_district_in_county"

    # The E-code rule must agree with the lookup wherever a district is on both.
    for ecode, ons_code, name, la_class, *_ in authorities:
        if la_class == "SD" and ons_code in district_of and ecode[:3] in county_by_area:
            by_lookup = area_of(district_of[ons_code])[0]
            by_ecode = area_of(county_by_area[ecode[:3]])[0]
            if by_lookup != by_ecode:
                raise ValidationError(
                    f"reference.stable_areas: district {ecode} {ons_code} ({name}) is in "
                    f"{by_lookup} by the ONS lookup but in {by_ecode} by its E-code"
                )

    rows = []
    for ecode, ons_code, name, la_class, first, last, n_codes in authorities:
        if n_codes > 1:
            raise ValidationError(
                f"reference.stable_areas: authority {ecode} ({name}) has {n_codes} ONS codes"
            )
        try:
            if ons_code is None:
                raise KeyError(ecode)
            try:
                area_code, area_name, rule = area_of(ons_code)
            except KeyError:
                area_code, area_name, rule = abolished_district(ecode, la_class)
            kind = "council"
        except KeyError:
            if la_class != "O":
                raise ValidationError(
                    f"reference.stable_areas: authority {ecode} {ons_code or '(no ONS code)'} "
                    f"({name}, class {la_class}, {first} to {last}) reported public health "
                    f"spend but has no stable area: it is not an upper-tier council or district "
                    f"on the April 2023 lookup, not in pipeline/layouts/reorganisations.csv, not "
                    f"a district with a county of the same E-code area and not an other body"
                ) from None
            area_code, area_name, rule, kind = ons_code or ecode, name, "other_body", "other_body"
        rows.append(
            {
                "ecode": ecode,
                "ons_code": ons_code,
                "la_name": name,
                "la_class": la_class,
                "first_year": first,
                "last_year": last,
                "area_code": area_code,
                "area_name": area_name,
                "area_kind": kind,
                "rule": rule,
            }
        )
    return pd.DataFrame(rows)


def money_conserved(ctx: BuildContext) -> list[CheckResult]:
    """The sum over areas equals the sum over authorities, every year, basis and category."""
    rows = ctx.con.execute(
        """
        WITH areas AS (
            SELECT financial_year, basis, category, sum(value_gbp_thousands) AS v
            FROM out.area_spend_trends GROUP BY ALL),
        lines AS (
            SELECT financial_year, basis, category, sum(value_gbp_thousands) AS v
            FROM core.la_substance_misuse_spend
            WHERE measure = 'net_current_expenditure' GROUP BY ALL),
        authorities AS (
            SELECT * FROM lines
            UNION ALL SELECT financial_year, basis, 'adults', sum(v) FROM lines
                WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
            UNION ALL SELECT financial_year, basis, 'all_substance_misuse', sum(v) FROM lines
                GROUP BY ALL)
        SELECT financial_year, basis, category, a.v, b.v
        FROM authorities AS b FULL JOIN areas AS a USING (financial_year, basis, category)
        WHERE a.v IS DISTINCT FROM b.v AND abs(coalesce(a.v, 0) - coalesce(b.v, 0)) > 1e-6
        ORDER BY ALL
        """
    ).fetchall()
    compared = ctx.con.execute(
        "SELECT count(DISTINCT (financial_year, basis, category)) FROM out.area_spend_trends"
    ).fetchone()[0]
    return [
        CheckResult(
            "money_conserved",
            not rows,
            "the sum over stable areas equals the sum over authorities for every year, basis "
            "and category",
            observed="; ".join(
                f"{y} {b} {c}: areas {a} vs authorities {v}" for y, b, c, a, v in rows[:5]
            )
            or f"{compared} year-basis-category totals equal",
        )
    ]
