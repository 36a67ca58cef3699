"""`spendtrack report`: the rendering every page shares, and on the real mirror the national
page, its charts and its numbers."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipeline.reports.render import TEMPLATES, environment

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def page(mirror_report) -> str:
    return (mirror_report.reports_dir / "index.html").read_text(encoding="utf-8")


@pytest.mark.real
def test_every_chart_the_page_shows_is_a_png(mirror_lake, page):
    images = re.findall(r'<img src="([^"]+)"', page)
    assert images == ["national_spend.png", "treatment_against_spend.png", "council_changes.png"]
    for name in images:
        data = (mirror_lake.reports_dir / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name


@pytest.mark.real
def test_page_numbers_come_from_the_database(mirror_lake, page):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        counts = dict(
            con.execute("SELECT status, count(*) FROM out.reproduction GROUP BY 1").fetchall()
        )
        sections = con.execute(
            "SELECT definition <> '', status, count(*) FROM out.reproduction GROUP BY ALL"
        ).fetchall()
        value = con.execute(
            "SELECT value_gbp_millions FROM out.spend_trends WHERE basis = 'budget' "
            "AND category = 'adults' ORDER BY fy_start DESC LIMIT 1"
        ).fetchone()[0]
        falls = con.execute(
            "SELECT count(*) FILTER (is_large_fall), count(*) FROM out.la_disinvestment "
            "WHERE basis = 'budget' AND category = 'adults' AND is_comparable"
        ).fetchone()
    for _secondary, status, n in sections:  # each section counts its own rows
        assert f"{n} {status.replace('_', ' ')}" in page
    assert "Figures from other publications" in page
    assert f"£{value:,.0f}m" in page
    assert f"{falls[0]} of {falls[1]}" in page
    assert page.count('class="ok">reproduced<') == counts["reproduced"]


@pytest.mark.real
def test_page_has_no_missing_values_or_markup_leaks(page):
    body = page.split("</style>", 1)[1]
    words = re.sub(r"<[^>]+>", " ", body).split()
    for bad in ("None", "nan", "NaN"):
        assert bad not in words, bad
    assert "{" not in body and "}" not in body  # no unfilled template field
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")


def test_templates_escape_text_and_leave_missing_empty():
    env = environment()
    assert env.autoescape is True
    page = env.from_string("<p>{{ name }}|{{ missing }}|{{ v|k }}|{{ n|k }}|{{ d|pct }}</p>")
    text = page.render(name="<b>A & B</b>", missing=None, v=1234.6, n=None, d=-3.04)
    assert text == ('<p>&lt;b&gt;A &amp; B&lt;/b&gt;||£1,235k||<span class="fall">−3.0%</span></p>')


@pytest.mark.real
def test_every_page_has_the_one_stylesheet_and_the_index_its_script(mirror_report):
    """The national page, the area index and an area page inline the same stylesheet, the one
    in templates/; the index's script is templates/areas_index.js."""
    css = (TEMPLATES / "spendtrack.css").read_text(encoding="utf-8").strip()
    reports = mirror_report.reports_dir
    index = (reports / "areas" / "index.html").read_text(encoding="utf-8")
    pages = [reports / "index.html", reports / "areas" / "index.html"]
    pages.append(next(p for p in sorted((reports / "areas").glob("E*.html"))))
    for page in pages:
        styles = re.findall(r"<style>(.*?)</style>", page.read_text(encoding="utf-8"), re.S)
        assert [s.strip() for s in styles] == [css], page.name
    script = (TEMPLATES / "areas_index.js").read_text(encoding="utf-8").strip()
    assert [s.strip() for s in re.findall(r"<script>(.*?)</script>", index, re.S)] == [script]
