"""The England map: dissolving unions, the SVG's paths, colours, key and links, on small
made-up shapes and on the real May 2023 boundaries."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import duckdb
import pytest

from assets.outcome_areas import area_of_codes
from pipeline.reports import england_map as m
from tests.conftest import archived

SVG = "{http://www.w3.org/2000/svg}"
# two unit squares side by side sharing the edge x = 1, and a third apart
LEFT = [(0, 0), (0, 1), (1, 1), (1, 0)]
RIGHT = [(1, 0), (1, 1), (2, 1), (2, 0)]
APART = [(5, 5), (5, 6), (6, 6), (6, 5)]


def _edges(ring):
    return list(zip(ring, ring[1:] + ring[:1], strict=True))


def _shoelace(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in _edges(ring)) / 2


def test_a_union_drops_the_shared_border_and_keeps_its_area():
    rings = m.dissolve([LEFT, RIGHT])
    assert len(rings) == 1
    edges = set(_edges(rings[0]))
    assert ((1, 0), (1, 1)) not in edges and ((1, 1), (1, 0)) not in edges
    assert abs(_shoelace(rings[0])) == 2
    assert len(m.dissolve([LEFT, APART])) == 2  # apart: both outlines kept


def test_shapes_follow_the_stable_areas_and_every_area_must_have_one():
    boundaries = {"E06000061": [LEFT], "E06000062": [RIGHT], "E06000009": [APART]}
    area_of = {"E06000061": "E10000021", "E06000062": "E10000021", "E06000009": "E06000009"}
    shapes = m.area_shapes(boundaries, area_of, {"E10000021", "E06000009"})
    assert set(shapes) == {"E10000021", "E06000009"} and len(shapes["E10000021"]) == 1
    with pytest.raises(m.MapError, match="E06000099"):
        m.area_shapes(boundaries, area_of, {"E10000021", "E06000009", "E06000099"})
    with pytest.raises(m.MapError, match="boundary E06000009 is in no council stable area"):
        m.area_shapes(boundaries, {**area_of, "E06000009": None}, {"E10000021"})


def _parse(svg: str):
    return ET.fromstring(svg)


def test_each_area_is_a_path_with_its_code_its_link_and_its_colour():
    shapes = {"A1": [LEFT], "A2": [RIGHT], "A3": [APART]}
    svg = m.england_map_svg(
        shapes,
        {"A1": 1.0, "A2": 9.0, "A3": None},
        link=lambda a: f"areas/{a}.html",
        names={"A1": "One & only"},
        palette=("#111111", "#222222"),
    )
    root = _parse(svg)
    paths = {p.get("id"): p for p in root.iter(f"{SVG}path")}
    assert set(paths) == {"A1", "A2", "A3"}
    assert all(p.get("data-area") == code for code, p in paths.items())
    links = {a.find(f"{SVG}path").get("id"): a.get("href") for a in root.iter(f"{SVG}a")}
    assert links == {c: f"areas/{c}.html" for c in shapes}
    assert paths["A1"].get("fill") == "#111111" and paths["A2"].get("fill") == "#222222"
    assert paths["A3"].get("fill") == m.NO_FIGURE
    key = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "no comparable figure" in key
    assert "One &amp; only" in svg and m.ATTRIBUTION in root.find(f"{SVG}desc").text


def test_an_unknown_area_in_the_values_is_an_error_and_nan_is_no_figure():
    shapes = {"A1": [LEFT], "A2": [RIGHT]}
    with pytest.raises(m.MapError, match="ZZ"):
        m.england_map_svg(shapes, {"A1": 1.0, "ZZ": 2.0})
    svg = m.england_map_svg(shapes, {"A1": float("nan")})
    fills = {p.get("id"): p.get("fill") for p in _parse(svg).iter(f"{SVG}path")}
    assert fills == {"A1": m.NO_FIGURE, "A2": m.NO_FIGURE}


def test_the_attribution_names_ons_and_os():
    assert "Office for National Statistics" in m.ATTRIBUTION
    assert "Contains OS data" in m.ATTRIBUTION and "2023" in m.ATTRIBUTION


@pytest.mark.real
def test_the_real_map_has_every_english_stable_area_once_and_is_small(mirror_lake):
    boundaries = m.read_boundaries(
        *(archived(f"ons_ctyua_may_2023_buc_{part}") for part in ("shp", "shx", "dbf"))
    )
    assert len(boundaries) == 153 and {"E06000061", "E06000066"} <= set(boundaries)
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        areas = dict(
            con.execute(
                "SELECT DISTINCT area_code, area_name FROM reference.stable_areas "
                "WHERE area_kind = 'council'"
            ).fetchall()
        )
        shapes = m.area_shapes(boundaries, area_of_codes(con), set(areas))
    svg = m.england_map_svg(shapes, {"E06000009": 1.0}, names=areas, link=lambda a: f"#{a}")
    ids = re.findall(r'<path id="([^"]+)"', svg)
    assert sorted(ids) == sorted(areas) and len(ids) == len(set(ids)) == len(areas)
    assert len(svg.encode()) < 400_000
    # the unions are one outline each, without their members' shared border
    for union, members in (
        ("E10000021", ("E06000061", "E06000062")),
        ("E10000006", ("E06000063", "E06000064")),
    ):
        points = sum(len(r) for r in shapes[union])
        assert points < sum(len(r) for c in members for r in boundaries[c])
