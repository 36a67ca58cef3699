"""Council area pages: writes one HTML page per council stable area, and an index, for readers
who will not write SQL.

`write_area_pages(con, reports_dir)` writes `<reports>/areas/index.html` and, for every council
area in `out.area_spend_trends`, `<reports>/areas/<area_code>.html` with its charts beside the
CSV of exactly what each chart plots and the SQL that produced that CSV
(`<reports>/areas/<area_code>/<chart>.{svg,csv,sql}`; the data in `area_data`, the caveats in
`area_caveats`, the charts in `area_charts`, the pages from `templates/area.html` and
`templates/areas_index.html`). The five other bodies that reported public health spend (a
mayoral authority, combined authorities, a police and crime commissioner, a national park)
are not councils and get no page; the index says so.
Charts are drawn in worker processes (matplotlib is the cost; 2 cores halve it).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.reports.area_caveats import (
    CLASS_NAME,
    CLASS_NAMES,
    index_note,
    lede_kind,
    per_head_caveats,
    plain_note,
    spend_caveats,
)
from pipeline.reports.area_data import (
    QUERIES,
    TREATMENT_SQL,
    Area,
    area_query,
    csv_text,
    load_areas,
    other_bodies,
    price_base,
    read_query,
    rows_of,
    spend_years,
)
from pipeline.reports.render import render, write

CHANGE_FIELDS = (  # what the index shows of out.la_disinvestment (None where an area has none)
    "first_year",
    "first_value_gbp_thousands",
    "latest_year",
    "latest_value_gbp_thousands",
    "change_pct",
    "change_real_pct",
)
_CHARTS: dict[tuple, tuple] = {}  # per process: the reused figures (see AreaChart)


def write_area(args: tuple) -> Path:
    """Worker: one area's page, its two charts and their CSV and SQL files; returns the page."""
    area, years, prices, out = args
    folder = out / area.code
    for chart, svg in zip(QUERIES, draw_area(area, years, prices), strict=True):
        cols, rows = area.charts[chart]
        write(folder / f"{chart}.svg", svg)
        write(folder / f"{chart}.csv", csv_text(cols, rows))
        write(folder / f"{chart}.sql", area_query(QUERIES[chart], area.code))
    return write(out / f"{area.code}.html", area_page(area))


def draw_area(area: Area, years: list[str], prices: str) -> tuple[str, str]:
    """The spend and per-head charts of one area, as SVG text."""
    from pipeline.reports.area_charts import PerHeadChart, SpendChart

    key = (tuple(years), prices)
    if key not in _CHARTS:
        _CHARTS[key] = (SpendChart(years, prices), PerHeadChart(years, prices))
    spend_chart, per_head_chart = _CHARTS[key]
    spend = spend_chart.draw(
        area.charts["spend"][1],
        spend_caveats(area, years),
        f"{area.name}: substance misuse spend, budget and outturn, £ thousand",
    )
    per_head = per_head_chart.draw(
        area.charts["per_head"][1],
        per_head_caveats(area, years),
        f"{area.name}: adult drug and alcohol spend per resident, against England and its class",
        CLASS_NAMES.get(area.area_class, area.area_class),
    )
    return spend, per_head


def area_page(area: Area) -> str:
    return render(
        "area.html",
        area=area,
        lede=lede_kind(area, area.code),
        councils=[
            m["la_name"]
            for m in area.members
            if not m["rule"].startswith(("district", "abolished"))
        ],
        headline_note=plain_note(area.change) if area.change else "",
        class_name=CLASS_NAMES.get(area.area_class, area.area_class),
    )


def index_page(areas: list[Area], others: list[tuple[str, str]]) -> str:
    rows = [
        {
            "area": a,
            "kind": CLASS_NAME.get(a.area_class, ""),
            "change": {f: (a.change or {}).get(f) for f in CHANGE_FIELDS},
            "note": index_note(a.change or {}),
        }
        for a in areas
    ]
    prices = next((a.change["price_base"] for a in areas if a.change), "2024-25 prices")
    return render("areas_index.html", areas=areas, rows=rows, others=others, price_base=prices)


def write_area_pages(con, reports_dir: Path, workers: int | None = None) -> list[Path]:
    """Write the index and every council area's page; return the pages' paths (index first)."""
    # area_charts sets matplotlib's global style (fonts, SVG text) when imported: imported
    # here, not with this module, so that the national report's PNGs drawn before keep theirs
    from pipeline.reports.area_charts import treatment_chart

    out = reports_dir / "areas"
    areas = load_areas(con)
    years = spend_years(con)
    columns, treatment = rows_of(con, read_query(TREATMENT_SQL))
    write(out / "england_treatment.csv", csv_text(columns, treatment))
    write(out / "england_treatment.sql", read_query(TREATMENT_SQL))
    write(out / "england_treatment.svg", treatment_chart(treatment))

    workers = workers or min(len(areas), os.cpu_count() or 1)
    # Each worker writes whole areas (page, charts, CSV, SQL): the files are written in
    # parallel too, and only the areas' rows go to the workers, not the SVG back.
    jobs = [(a, years, price_base(con), out) for a in areas]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            pages = list(pool.map(write_area, jobs, chunksize=2))
    else:
        pages = [write_area(j) for j in jobs]
    index = write(out / "index.html", index_page(areas, other_bodies(con)))
    return [index, *pages]
