"""Council area pages: writes one HTML page per council stable area, and an index, for readers
who will not write SQL.

`write_area_pages(con, reports_dir)` writes `<reports>/areas/index.html` and, for every council
area in `out.area_spend_trends`, `<reports>/areas/<area_code>.html` with its charts beside the
CSV of exactly what each chart plots and the SQL that produced that CSV
(`<reports>/areas/<area_code>/<chart>.{svg,csv,sql}`): spend, spend per head and, beside
them, the area's outcomes (drug deaths, drug death rates, alcohol treatment). The data is in
`area_data`, what the charts and pages must say in `area_caveats` and `outcomes`, the charts in
`area_charts` and `outcome_charts`, the index's map in `area_map`, and the pages come from
`templates/area.html` and `templates/areas_index.html`. The five other bodies that reported
public health spend (a mayoral authority, combined authorities, a police and crime
commissioner, a national park) are not councils and get no page; the index says so.
Charts are drawn in worker processes (matplotlib is the cost; 2 cores halve it).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from markupsafe import Markup

from pipeline.config import Settings
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
    outcome_axes,
    price_base,
    read_query,
    rows_of,
    spend_years,
)
from pipeline.reports.area_map import MAP_SQL, IndexMap, index_map
from pipeline.reports.outcomes import (
    OutcomeContext,
    alcohol_notes,
    deaths_notes,
    outcome_context,
    outcome_words,
    rates_notes,
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
    """Worker: one area's page, its charts and their CSV and SQL files; returns the page."""
    area, frame, out = args
    folder = out / area.code
    for chart, svg in draw_area(area, frame).items():
        cols, rows = area.charts[chart]
        write(folder / f"{chart}.svg", svg)
        write(folder / f"{chart}.csv", csv_text(cols, rows))
        write(folder / f"{chart}.sql", area_query(QUERIES[chart], area.code))
    return write(out / f"{area.code}.html", area_page(area, frame["context"]))


def draw_area(area: Area, frame: dict) -> dict[str, str]:
    """Every chart of one area, as SVG text, in page order."""
    from pipeline.reports.area_charts import PerHeadChart, SpendChart
    from pipeline.reports.outcome_charts import AlcoholChart, DeathsChart, RatesChart

    years, prices, axes = frame["years"], frame["price_base"], frame["axes"]
    key = (tuple(years), prices, tuple(tuple(v) for v in axes.values()))
    if key not in _CHARTS:
        _CHARTS[key] = (
            SpendChart(years, prices),
            PerHeadChart(years, prices),
            DeathsChart(axes["drug_deaths"]),
            RatesChart(axes["drug_death_rates"]),
            AlcoholChart(axes["alcohol_treatment"]),
        )
    spend_chart, per_head_chart, deaths_chart, rates_chart, alcohol_chart = _CHARTS[key]
    names = frame["context"].names
    rows = {chart: area.charts[chart][1] for chart in QUERIES}
    span = {chart: f"{axis[0]} to {axis[-1]}" for chart, axis in axes.items()}
    return {
        "spend": spend_chart.draw(
            rows["spend"],
            spend_caveats(area, years),
            f"{area.name}: substance misuse spend, budget and outturn, £ thousand",
        ),
        "per_head": per_head_chart.draw(
            rows["per_head"],
            per_head_caveats(area, years),
            f"{area.name}: adult drug and alcohol spend per resident, against England and its "
            "class",
            CLASS_NAMES.get(area.area_class, area.area_class),
        ),
        "drug_deaths": deaths_chart.draw(
            rows["drug_deaths"],
            deaths_notes(rows["drug_deaths"], names),
            f"{area.name}: deaths related to drugs, registered {span['drug_deaths']}",
        ),
        "drug_death_rates": rates_chart.draw(
            rows["drug_death_rates"],
            rates_notes(rows["drug_death_rates"], names),
            f"{area.name}: drug death rates against England, {span['drug_death_rates']}",
        ),
        "alcohol_treatment": alcohol_chart.draw(
            rows["alcohol_treatment"],
            alcohol_notes(rows["alcohol_treatment"], names),
            f"{area.name}: adults in alcohol treatment and met need, {span['alcohol_treatment']}",
        ),
    }


def area_page(area: Area, context: OutcomeContext) -> str:
    return render(
        "area.html",
        area=area,
        outcomes=outcome_words(area.charts, context),
        lede=lede_kind(area, area.code),
        councils=[
            m["la_name"]
            for m in area.members
            if not m["rule"].startswith(("district", "abolished"))
        ],
        headline_note=plain_note(area.change) if area.change else "",
        class_name=CLASS_NAMES.get(area.area_class, area.area_class),
    )


def index_page(areas: list[Area], others: list[tuple[str, str]], england: IndexMap) -> str:
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
    return render(
        "areas_index.html",
        areas=areas,
        rows=rows,
        others=others,
        price_base=prices,
        map=england,
        map_svg=Markup(england.svg),  # drawn by england_map, which escapes every text in it
    )


def write_area_pages(
    con, reports_dir: Path, workers: int | None = None, settings: Settings | None = None
) -> list[Path]:
    """Write the index and every council area's page; return the pages' paths (index first).
    `settings` says where the map's boundary files are resolved from (the environment's by
    default, as `spendtrack report` has no options of its own)."""
    # area_charts sets matplotlib's global style (fonts, SVG text) when imported: imported
    # here, not with this module, so that the national report's PNGs drawn before keep theirs
    from pipeline.reports.area_charts import treatment_chart

    settings = settings or Settings.from_env()
    out = reports_dir / "areas"
    areas = load_areas(con)
    columns, treatment = rows_of(con, read_query(TREATMENT_SQL))
    write(out / "england_treatment.csv", csv_text(columns, treatment))
    write(out / "england_treatment.sql", read_query(TREATMENT_SQL))
    write(out / "england_treatment.svg", treatment_chart(treatment))
    england = index_map(con, settings, {a.code: a.name for a in areas})
    write(out / "england_map.csv", csv_text(england.columns, england.rows))
    write(out / "england_map.sql", read_query(MAP_SQL))

    frame = {  # what every area's charts and page share
        "years": spend_years(con),
        "price_base": price_base(con),
        "axes": outcome_axes(areas),
        "context": outcome_context(con),
    }
    workers = workers or min(len(areas), os.cpu_count() or 1)
    # Each worker writes whole areas (page, charts, CSV, SQL): the files are written in
    # parallel too, and only the areas' rows go to the workers, not the SVG back.
    jobs = [(a, frame, out) for a in areas]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            pages = list(pool.map(write_area, jobs, chunksize=2))
    else:
        pages = [write_area(j) for j in jobs]
    index = write(out / "index.html", index_page(areas, other_bodies(con), england))
    return [index, *pages]
