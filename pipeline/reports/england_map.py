"""A map of England's council areas as SVG, one `<path>` per stable area, coloured by a value.

The boundaries are ONS's Counties and Unitary Authorities (May 2023, ultra generalised, British
National Grid metres), read with pyshp. They carry the April 2023 councils, so a stable area
that is a union (Northamptonshire, Cumbria, Dorset with BCP) is drawn as the union of its
members' shapes: the lookup from boundary code to stable area is the one the money uses
(`reference.stable_areas`, `stable_area_merges.csv`, `reorganisations.csv`), never a list of
special cases here. Coordinates are rounded to a grid (100 m by default), which keeps shared
borders shared, and a union drops the borders inside it (edges its members share cancel).
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pipeline.errors import SpendtrackError

ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data (c) Crown copyright and database right 2023."
)
CODE_FIELD = "CTYUA23CD"
XMLNS = ' xmlns="http://www.w3.org/2000/svg"'
NO_FIGURE = "#d9d9d9"  # grey: no comparable figure
# sequential, light to dark (ColorBrewer Blues, 5 classes)
PALETTE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")

Point = tuple[int, int]
Ring = list[Point]


class MapError(SpendtrackError):
    """The boundaries, the areas or the values given to the map do not fit together."""

    exit_code = 5


def read_boundaries(shp: Path, shx: Path, dbf: Path, *, grid_m: int = 100) -> dict[str, list]:
    """English areas of the boundary file: code -> rings, in grid units (`grid_m` metres),
    each ring's consecutive repeats dropped and rings collapsed by rounding left out."""
    import shapefile  # pyshp

    shapes: dict[str, list[Ring]] = {}
    with (
        shp.open("rb") as s,
        shx.open("rb") as x,
        dbf.open("rb") as d,
        shapefile.Reader(shp=s, shx=x, dbf=d, encoding="utf-8") as reader,
    ):
        names = [f.name for f in reader.fields[1:]]
        if CODE_FIELD not in names:
            raise MapError(f"no {CODE_FIELD} field (fields: {', '.join(names)})", file=shp.name)
        at = names.index(CODE_FIELD)
        for shape_rec in reader.iterShapeRecords():
            code = str(shape_rec.record[at]).strip()
            if not code.startswith("E"):
                continue
            if code in shapes:
                raise MapError(f"{code} has two features", file=shp.name)
            shape = shape_rec.shape
            parts = [*shape.parts, len(shape.points)]
            rings = []
            for a, b in zip(parts, parts[1:], strict=False):
                ring = _rounded(shape.points[a:b], grid_m)
                if len(ring) >= 3:
                    rings.append(ring)
            shapes[code] = rings
    return shapes


def _rounded(points: Sequence, grid_m: int) -> Ring:
    ring: Ring = []
    for x, y in points:
        p = (round(x / grid_m), round(y / grid_m))
        if not ring or ring[-1] != p:
            ring.append(p)
    while len(ring) > 1 and ring[-1] == ring[0]:
        ring.pop()
    return ring


def dissolve(rings: list[Ring]) -> list[Ring]:
    """The outline of rings drawn together: an edge met in both directions is inside the
    union (a shared border, or a spike rounding made) and goes; the rest are chained again."""
    edges: dict[Point, list[Point]] = defaultdict(list)
    count: dict[tuple[Point, Point], int] = defaultdict(int)
    for ring in rings:
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
            count[(a, b)] += 1
    for (a, b), n in count.items():
        n -= min(n, count.get((b, a), 0))  # each reverse edge cancels one
        edges[a].extend([b] * n)
    out: list[Ring] = []
    for start in sorted(edges):
        while edges[start]:
            ring, at = [start], edges[start].pop()
            while at != start:
                if not edges[at]:
                    raise MapError(f"the outline does not close at {at} (grid units)")
                ring.append(at)
                at = edges[at].pop()
            if len(ring) >= 3:
                out.append(ring)
    return out


def area_shapes(
    boundaries: Mapping[str, list[Ring]], area_of: Mapping[str, str], areas: set[str]
) -> dict[str, list[Ring]]:
    """One outline per stable area: every boundary code must map to one of `areas`, and every
    one of `areas` must have a shape."""
    members: dict[str, list[str]] = defaultdict(list)
    for code in sorted(boundaries):
        area = area_of.get(code)
        if area is None or area not in areas:
            raise MapError(f"boundary {code} is in no council stable area ({area or 'unmapped'})")
        members[area].append(code)
    missing = sorted(areas - set(members))
    if missing:
        raise MapError(f"stable areas with no boundary: {', '.join(missing)}")
    return {
        area: dissolve([r for c in codes for r in boundaries[c]]) if len(codes) > 1 else
        [list(r) for r in boundaries[codes[0]]]
        for area, codes in members.items()
    }  # fmt: skip


def _path(rings: list[Ring], top: int, left: int) -> str:
    """SVG path data: y grows downwards, so northings are flipped; relative steps are short."""
    out = []
    for ring in rings:
        x0, y0 = ring[0][0] - left, top - ring[0][1]
        steps = [f"M{x0} {y0}"]
        px, py = x0, y0
        for x, y in ring[1:]:
            x, y = x - left, top - y
            steps.append(f"l{x - px} {y - py}")
            px, py = x, y
        out.append("".join(steps) + "z")
    return "".join(out)


def breaks(values: Sequence[float], classes: int) -> list[float]:
    """Quantile class limits (at most classes - 1, no two equal) of the values with a figure."""
    ordered = sorted(values)
    if not ordered:
        return []
    n = len(ordered)
    limits = {ordered[min(n - 1, (n * k) // classes)] for k in range(1, classes)}
    # a limit at the lowest value would make an empty first class
    return sorted(limits - {ordered[0]})


def england_map_svg(
    shapes: Mapping[str, list[Ring]],
    values: Mapping[str, float | None],
    *,
    names: Mapping[str, str] | None = None,
    link: Callable[[str], str] | None = None,
    title: str = "",
    key_label: str = "",
    fmt: Callable[[float], str] = lambda v: f"{v:,.1f}",
    palette: Sequence[str] = PALETTE,
    width_px: int = 560,
    standalone: bool = True,
) -> str:
    """The map as one SVG document.

    `shapes`: area code -> outline (from `area_shapes`); `values`: area code -> figure, None
    (or absent, or not finite) where no comparable figure exists, drawn grey; a code in
    `values` that is not a mapped area is an error. `link(area_code)` gives each area's
    address; `names` its name for the tooltip. Colours are quantile classes shown in a key.
    `standalone=False` leaves out the namespace, for an SVG written inside an HTML page
    (where the HTML parser gives it its namespace).
    """
    unknown = sorted(set(values) - set(shapes))
    if unknown:
        raise MapError(f"values for areas not on the map: {', '.join(unknown[:10])}")
    figures = {
        a: float(v)
        for a, v in values.items()
        if v is not None and isinstance(v, int | float) and math.isfinite(v)
    }
    limits = breaks(list(figures.values()), len(palette))

    def colour(area: str) -> str:
        if area not in figures:
            return NO_FIGURE
        return palette[sum(figures[area] >= b for b in limits)]

    xs = [x for rings in shapes.values() for r in rings for x, _ in r]
    ys = [y for rings in shapes.values() for r in rings for _, y in r]
    left, top = min(xs), max(ys)
    width, height = max(xs) - left, top - min(ys)
    key_w = width * 0.42
    parts = [
        f'<svg{XMLNS if standalone else ""} viewBox="0 0 {width + key_w:.0f} {height}" '
        f'width="{width_px}" role="img" aria-label="{html.escape(title or "map of England")}">',
        f"<title>{html.escape(title)}</title><desc>{html.escape(ATTRIBUTION)}</desc>",
        '<g stroke="#ffffff" stroke-width="3" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    for area in sorted(shapes):
        name = (names or {}).get(area, area)
        shown = fmt(figures[area]) if area in figures else "no comparable figure"
        path = (
            f'<path id="{area}" data-area="{area}" fill="{colour(area)}" '
            f'd="{_path(shapes[area], top, left)}"><title>{html.escape(name)}: '
            f"{html.escape(shown)}</title></path>"
        )
        if link is not None:
            path = f'<a href="{html.escape(link(area), quote=True)}">{path}</a>'
        parts.append(path)
    parts.append("</g>")
    classes = palette[: len(limits) + 1] if figures else ()
    parts.append(_key(limits, classes, fmt, key_label, x=width + key_w * 0.08, size=height / 28))
    parts.append("</svg>")
    return "\n".join(parts)


def _key(limits: list[float], palette: Sequence[str], fmt, label: str, *, x: float, size: float):
    bounds = [None, *limits, None]
    rows = []
    for k, fill in enumerate(palette):
        lo, hi = bounds[k], bounds[k + 1]
        if lo is None and hi is None:
            text = "all areas"
        elif lo is None:
            text = f"under {fmt(hi)}"
        elif hi is None:
            text = f"{fmt(lo)} or more"
        else:
            text = f"{fmt(lo)} to under {fmt(hi)}"
        rows.append((fill, text))
    rows.append((NO_FIGURE, "no comparable figure"))
    y0 = size * 2
    out = [
        f'<g class="key" font-family="sans-serif" font-size="{size * 0.8:.0f}">',
        f'<text x="{x:.0f}" y="{y0 - size * 0.6:.0f}">{html.escape(label)}</text>',
    ]
    for i, (fill, text) in enumerate(rows):
        y = y0 + i * size * 1.3
        out.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{size:.0f}" height="{size:.0f}" '
            f'fill="{fill}" stroke="#737373"/><text x="{x + size * 1.4:.0f}" '
            f'y="{y + size * 0.8:.0f}">{html.escape(text)}</text>'
        )
    out.append("</g>")
    return "".join(out)
