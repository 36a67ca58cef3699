"""The council area index's map of England: each area coloured by its adult drug and alcohol
budget per resident in the latest year (`sql/reports/england_map.sql`), linked to its page.

The boundaries are the registry's shapefile (the sources whose basis is `boundaries`),
resolved to verified bytes through `pipeline.sources.fetch` like every other source; the
areas are put on the map with the council-code lookup the outcome sources use
(`assets.outcome_areas.area_of_codes`), and drawn by `england_map`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import SourceError
from pipeline.reports.area_data import read_query, rows_of
from pipeline.reports.england_map import ATTRIBUTION, area_shapes, england_map_svg, read_boundaries
from pipeline.sources.fetch import resolve
from pipeline.sources.registry import load_sources

MAP_SQL = "reports/england_map.sql"
PARTS = ("shp", "shx", "dbf")  # what pyshp reads: geometry, its index, the attributes


@dataclass
class IndexMap:
    svg: str  # inline: no XML declaration, no namespace attribute
    columns: list[str]
    rows: list[dict]  # what the map colours (the CSV beside it)
    title: str
    year: str
    shown: int  # areas with a comparable figure
    attribution: str = ATTRIBUTION


def boundary_files(settings: Settings) -> list[Path]:
    """The shapefile's parts (.shp, .shx, .dbf), verified, from the source registry."""
    found: dict[str, list] = {}
    for src in load_sources(settings.sources_path):
        if src.basis == "boundaries" and src.kind in PARTS:
            found.setdefault(src.kind, []).append(src)
    if sorted(found) != sorted(PARTS) or any(len(v) != 1 for v in found.values()):
        held = ", ".join(f"{k}: {len(v)}" for k, v in sorted(found.items())) or "none"
        raise SourceError(
            f"the map needs one boundaries source of each kind {', '.join(PARTS)} (held: {held})",
            file=str(settings.sources_path),
        )
    return [
        resolve(
            found[kind][0],
            cache_dir=settings.cache_dir,
            mirror_dir=settings.mirror_dir,
            allow_download=settings.allow_download,
            archive_root=settings.archive_root,
        ).path
        for kind in PARTS
    ]


def index_map(con, settings: Settings, names: dict[str, str]) -> IndexMap:
    """The map of the council areas in `names` (area code -> name), each linking to
    `<area code>.html` beside the index."""
    from assets.outcome_areas import area_of_codes

    columns, rows = rows_of(con, read_query(MAP_SQL))
    unknown = sorted({r["area_code"] for r in rows} - set(names))
    if unknown:
        raise ValueError(f"{MAP_SQL}: areas with no page: {', '.join(unknown)}")
    year = rows[0]["financial_year"]
    prices = rows[0]["price_base"].split(" (", 1)[0]
    title = f"Adult drug and alcohol budget per resident, {year}, £ in {prices}"
    shapes = area_shapes(read_boundaries(*boundary_files(settings)), area_of_codes(con), set(names))
    svg = england_map_svg(
        shapes,
        {r["area_code"]: r["map_value"] for r in rows},
        names=names,
        link=lambda code: f"{code}.html",
        title=title,
        key_label=f"£ per resident, {year}",
        fmt=lambda v: f"£{v:,.0f}",
        standalone=False,
    )
    shown = sum(r["map_value"] is not None for r in rows)
    return IndexMap(svg, columns, rows, title, year, shown)
