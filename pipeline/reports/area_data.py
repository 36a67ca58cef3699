"""The council area pages' data: each chart's SQL (in `sql/reports/`: spend, per head and the
outcomes beside them), run once over all areas and split per area, and every council area with
its members, headline change and suspect figures, read from the published database.

Each chart's per-area SQL file is the all-areas query with its area filter filled in
(`area_query`), so running it gives that chart's CSV (`csv_text`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from pipeline.config import SQL_DIR

AREA_FILTER = "TRUE  -- area filter"
QUERIES = {  # chart name -> the SQL under sql/reports/ whose rows it plots, in page order
    "spend": "reports/area_spend.sql",
    "per_head": "reports/area_per_head.sql",
    "drug_deaths": "reports/area_drug_deaths.sql",
    "drug_death_rates": "reports/area_drug_death_rates.sql",
    "alcohol_treatment": "reports/area_alcohol_treatment.sql",
}
X_AXES = {  # outcome chart -> the column its x axis runs over
    "drug_deaths": "year",
    "drug_death_rates": "period",
    "alcohol_treatment": "financial_year",
}
TREATMENT_SQL = "reports/england_treatment.sql"


def read_query(relative: str) -> str:
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def area_query(relative: str, area_code: str) -> str:
    """The query of one area: the all-areas query with its area filter filled in."""
    sql = read_query(relative)
    if AREA_FILTER not in sql:
        raise ValueError(f"{relative}: no '{AREA_FILTER}' line to put the area filter on")
    quoted = area_code.replace("'", "''")
    return sql.replace(AREA_FILTER, f"area_code = '{quoted}'  -- area filter")


def rows_of(con, sql: str) -> tuple[list[str], list[dict]]:
    """A query's column names and its rows as dicts."""
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    return columns, [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]


def csv_text(columns: list[str], rows: list[dict]) -> str:
    """CSV with full precision (repr of floats), NULL as an empty field."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return out.getvalue()


@dataclass
class Area:
    code: str
    name: str
    area_class: str
    members: list[dict]
    change: dict | None  # out.la_disinvestment, budget, adults
    suspects: list[dict]
    charts: dict[str, tuple[list[str], list[dict]]]  # name -> (columns, rows)


def load_areas(con) -> list[Area]:
    """Every council area with its chart rows, members, headline change and suspect figures."""
    names = con.execute(
        "SELECT area_code, any_value(area_name), any_value(area_class) "
        "FROM out.area_spend_trends WHERE area_kind = 'council' GROUP BY 1 ORDER BY 2"
    ).fetchall()
    charts: dict[str, dict[str, list[dict]]] = {code: {} for code, _, _ in names}
    columns: dict[str, list[str]] = {}
    for chart, relative in QUERIES.items():
        cols, rows = rows_of(con, read_query(relative))
        columns[chart] = cols
        for row in rows:
            if row["area_code"] not in charts:
                raise ValueError(f"{relative}: {row['area_code']} is not a council area")
            charts[row["area_code"]].setdefault(chart, []).append(row)
    _, members = rows_of(
        con,
        "SELECT area_code, ecode, ons_code, la_name, la_class, first_year, last_year, rule "
        "FROM reference.stable_areas WHERE area_kind = 'council' ORDER BY area_code, "
        "first_year, la_name",
    )
    _, changes = rows_of(
        con,
        "SELECT * FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults'",
    )
    _, suspects = rows_of(
        con,
        "SELECT area_code, financial_year, basis, la_name, category, canonical_line, "
        "value_gbp_thousands, string_agg(rule, ', ' ORDER BY rule) AS rules, "
        "string_agg(reason, '; ' ORDER BY rule) AS reasons FROM out.suspect_values AS s "
        # a rule the outturn witness withdrew marks nothing suspect (out.area_suspects)
        "WHERE NOT EXISTS (SELECT 1 FROM checks.suspect_rule_agreement AS a "
        "WHERE a.rule = s.rule AND a.basis = s.basis AND a.verdict = 'withdrawn') "
        "GROUP BY ALL ORDER BY area_code, basis, financial_year, category, canonical_line, la_name",
    )
    member_map, suspect_map = _by_area(members, charts), _by_area(suspects, charts)
    change_map = {r["area_code"]: r for r in changes}
    return [
        Area(
            code=code,
            name=name,
            area_class=area_class,
            members=member_map[code],
            change=change_map.get(code),
            suspects=suspect_map[code],
            charts={c: (columns[c], charts[code].get(c, [])) for c in QUERIES},
        )
        for code, name, area_class in names
    ]


def _by_area(rows: list[dict], areas) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {code: [] for code in areas}
    for r in rows:
        if r["area_code"] in out:
            out[r["area_code"]].append(r)
    return out


def outcome_axes(areas: list[Area]) -> dict[str, list[str]]:
    """Each outcome chart's x axis: every year or period any area's rows hold, in order."""
    return {
        chart: sorted({str(r[column]) for a in areas for r in a.charts[chart][1]})
        for chart, column in X_AXES.items()
    }


def spend_years(con) -> list[str]:
    """The financial years of the area series, in order: every spend chart's x axis."""
    return [
        y
        for (y,) in con.execute(
            "SELECT DISTINCT financial_year FROM out.area_spend_trends ORDER BY 1"
        ).fetchall()
    ]


def price_base(con) -> str:
    return con.execute(
        "SELECT any_value(price_base) FROM out.area_spend_trends WHERE price_base IS NOT NULL"
    ).fetchone()[0]


def other_bodies(con) -> list[tuple[str, str]]:
    """The bodies in the area series that are not councils (and get no page): code, name."""
    return con.execute(
        "SELECT DISTINCT area_code, area_name FROM out.area_spend_trends "
        "WHERE area_kind <> 'council' ORDER BY 2"
    ).fetchall()
