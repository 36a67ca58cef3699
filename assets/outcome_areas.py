"""Which stable area a council's ONS code belongs to, for the outcome sources.

The outcomes (drug deaths, alcohol treatment) are published per council under that council's
code of the time, so they are put on the project's stable areas by the same data the money
uses: `reference.stable_areas` (every council that printed a public health figure and its
area), `pipeline/layouts/stable_area_merges.csv` and `reorganisations.csv`. What kind of place
a code is (council, district, region, country) comes from its GSS entity prefix
(`pipeline/layouts/gss_entities.csv`); an unknown prefix or an unmapped council is an error.
"""

from __future__ import annotations

from functools import cache

from pipeline.errors import LayoutError
from pipeline.extract.layouts import read_table

ENGLAND = "E92000001"
GSS_ENTITIES = "gss_entities.csv"
# the reference.stable_areas rules under which a council code stands for its own area
COUNCIL_RULES = ("unchanged", "merged", "code_change")


@cache
def _roles() -> dict[str, str]:
    return {row["prefix"]: row["role"] for row in read_table(GSS_ENTITIES)}


def gss_role(code: str, *, file: str, where: str = "") -> str:
    """council | district | aggregate | england | outside_england, from the code's prefix."""
    roles = _roles()
    role = roles.get(code[:3])
    if role is None:
        raise LayoutError(
            f"area code {code!r} has an entity prefix not in pipeline/layouts/{GSS_ENTITIES} "
            f"(expected one of {', '.join(sorted(roles))})",
            file=file,
            cell=where or None,
        )
    return role


def council_areas(con) -> dict[str, str]:
    """Every council stable area: area code -> area name."""
    rows = con.execute(
        "SELECT DISTINCT area_code, area_name FROM reference.stable_areas "
        "WHERE area_kind = 'council' ORDER BY area_code"
    ).fetchall()
    return dict(rows)


def area_of_codes(con) -> dict[str, str]:
    """Council ONS code (any code a council has had since 2013) -> stable area code, as the
    money has it (the map uses it too): reference.stable_areas,
    then the merges and the same-area code changes for a code no spending file printed."""
    areas = dict(
        con.execute(
            "SELECT DISTINCT ons_code, area_code FROM reference.stable_areas "
            f"WHERE area_kind = 'council' AND rule IN {COUNCIL_RULES} AND ons_code IS NOT NULL"
        ).fetchall()
    )
    # a council area is its own code's area, even where only its districts printed figures
    for (area,) in con.execute(
        "SELECT DISTINCT area_code FROM reference.stable_areas WHERE area_kind = 'council'"
    ).fetchall():
        areas.setdefault(area, area)
    for row in read_table("stable_area_merges.csv"):
        for code in row["member_ons_codes"].split(";"):
            areas.setdefault(code, row["area_code"])
    for reorg in read_table("reorganisations.csv"):
        successor = reorg["successor_ons_codes"]
        if reorg["same_area"] == "true" and successor in areas:
            areas.setdefault(reorg["ons_code"], areas[successor])
    return areas
