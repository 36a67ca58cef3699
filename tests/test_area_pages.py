"""Council area pages on the real mirror: every page, its CSVs against the database, its SQL,
its charts' caveats, the outcomes beside the spend, the index's map, and the index and three
pages rendered in headless Chromium."""

from __future__ import annotations

import csv
import os
import re
import shutil
import statistics
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from pipeline.reports.area_data import QUERIES, area_query
from pipeline.reports.england_map import ATTRIBUTION, NO_FIGURE
from pipeline.reports.outcomes import UNION_NO_RATE

pytestmark = pytest.mark.real
MERGED = "E10000021"  # Northamptonshire: the county, then North and West Northamptonshire
SUSPECT = "E09000011"  # Greenwich: its early adult drug budget printed on the wrong line


@pytest.fixture(scope="module")
def areas_dir(mirror_report) -> Path:
    return mirror_report.reports_dir / "areas"


@pytest.fixture(scope="module")
def con(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        yield con


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _same(text: str, value: object) -> bool:
    """A CSV field against the database's value: NULL is empty, floats to full precision."""
    if value is None:
        return text == ""
    if isinstance(value, float):
        return text != "" and abs(float(text) - value) <= 1e-9 * max(1.0, abs(value))
    return text == str(value)


def test_a_page_for_every_council_area_and_none_for_other_bodies(areas_dir, con):
    councils = {
        code
        for (code,) in con.execute(
            "SELECT DISTINCT area_code FROM out.area_spend_trends WHERE area_kind = 'council'"
        ).fetchall()
    }
    others = con.execute(
        "SELECT DISTINCT area_code, area_name FROM out.area_spend_trends "
        "WHERE area_kind <> 'council'"
    ).fetchall()
    pages = {p.stem for p in areas_dir.glob("*.html")} - {"index"}
    assert pages == councils and len(pages) >= 150
    index = (areas_dir / "index.html").read_text(encoding="utf-8")
    assert set(re.findall(r'href="([^"]+)\.html"', index)) == councils
    for code, name in others:  # named on the index as having no page
        assert code in index and name.split()[0] in index
    for code in councils:
        for chart in QUERIES:
            for suffix in ("svg", "csv", "sql"):
                assert (areas_dir / code / f"{chart}.{suffix}").stat().st_size > 0


def test_each_csv_is_what_its_sql_gives(areas_dir, con):
    """Running the SQL file beside a chart on the database gives that chart's CSV exactly."""
    for page in sorted(areas_dir.glob("*.html")):
        if page.stem == "index":
            continue
        for chart in QUERIES:
            sql = (areas_dir / page.stem / f"{chart}.sql").read_text(encoding="utf-8")
            assert sql == area_query(QUERIES[chart], page.stem)
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description]
            rows = cur.fetchall()
            written = _csv(areas_dir / page.stem / f"{chart}.csv")
            assert len(written) == len(rows) > 0, (page.stem, chart)
            for got, want in zip(written, rows, strict=True):
                assert list(got) == columns
                for column, value in zip(columns, want, strict=True):
                    assert _same(got[column], value), (page.stem, chart, column, got, want)


def test_spend_csv_numbers_equal_the_area_series(areas_dir, con):
    """Every plotted spend figure is out.area_spend_trends' figure, and nothing is left out."""
    want = {
        (r[0], r[1], r[2], r[3]): (r[4], r[5])
        for r in con.execute(
            "SELECT area_code, financial_year, basis, category, value_gbp_thousands, "
            "value_real_gbp_thousands FROM out.area_spend_trends WHERE area_kind = 'council' "
            "AND category IN ('drugs', 'alcohol', 'adults', 'young_people')"
        ).fetchall()
    }
    got = {}
    for path in areas_dir.glob("*/spend.csv"):
        for r in _csv(path):
            got[(r["area_code"], r["financial_year"], r["basis"], r["category"])] = r
    assert set(got) == set(want)
    for key, (cash, real) in want.items():
        assert _same(got[key]["value_gbp_thousands"], cash), key
        assert _same(got[key]["value_real_gbp_thousands"], real), key


def test_per_head_england_and_class_median_recomputed(areas_dir, con):
    """England and the class median, computed here from the area series and the flags."""
    rows = con.execute(
        "SELECT area_code, area_class, financial_year, basis, value_real_gbp_thousands, "
        "population, spend_per_head_real_gbp, is_complete FROM out.area_spend_trends "
        "WHERE area_kind = 'council' AND category = 'adults'"
    ).fetchall()
    flags: dict[tuple, set[tuple[str, str]]] = {}
    for area, year, basis, category, rule in con.execute(
        "SELECT area_code, financial_year, basis, category, rule FROM out.suspect_values s "
        "WHERE category IN ('drugs', 'alcohol', 'young_people') AND (rule, basis) NOT IN "
        "(SELECT (rule, basis) FROM checks.suspect_rule_agreement WHERE verdict = 'withdrawn')"
    ).fetchall():
        flags.setdefault((area, year, basis), set()).add((category, rule))

    def suspect(area: str, year: str, basis: str) -> bool:
        found = flags.get((area, year, basis), set())
        swapped = {c for c, r in found if r == "swapped_lines"}
        # a swap between drugs and alcohol leaves their sum right; any other flag counts
        return any(
            c in ("drugs", "alcohol")
            and not (r == "swapped_lines" and swapped == {"drugs", "alcohol"})
            for c, r in found
        )

    counted = [r for r in rows if r[7] and r[6] is not None and not suspect(r[0], r[2], r[3])]
    checked = 0
    for path in (areas_dir / MERGED / "per_head.csv", areas_dir / SUSPECT / "per_head.csv"):
        area_class = next(r[1] for r in rows if r[0] == path.parent.name)
        for line in _csv(path):
            key = (line["financial_year"], line["basis"])
            pool = [r for r in counted if (r[2], r[3]) == key]
            if line["series"] == "england":
                value = 1000 * sum(r[4] for r in pool) / sum(r[5] for r in pool) if pool else None
            elif line["series"] == "class_median":
                pool = [r for r in pool if r[1] == area_class]
                value = statistics.median(r[6] for r in pool) if pool else None
            else:
                value = next(r[6] for r in rows if r[0] == path.parent.name and (r[2], r[3]) == key)
                pool = None
            if pool is not None:
                assert line["areas_counted"] == str(len(pool)), (path, line)
            assert _same(line["spend_per_head_real_gbp"], value), (path, line, value)
            checked += 1
    assert checked >= 2 * 3 * 11


def test_a_reorganised_area_is_described_by_its_councils_over_time(areas_dir, con):
    """The county until it was abolished, then its unitaries: from the members' own years."""
    (county_last,) = con.execute(
        "SELECT max(last_year) FROM reference.stable_areas WHERE area_code = ? AND la_class = 'SC'",
        [MERGED],
    ).fetchone()
    (unitary_first,) = con.execute(
        "SELECT min(first_year) FROM reference.stable_areas WHERE area_code = ? "
        "AND la_class = 'UA'",
        [MERGED],
    ).fetchone()
    page = (areas_dir / f"{MERGED}.html").read_text(encoding="utf-8")
    assert county_last and unitary_first and county_last < unitary_first
    lede = f"County council to {county_last}, then unitary authorities from {unitary_first}"
    assert lede in page


def test_caveats_are_on_the_charts(areas_dir, con):
    merged = (areas_dir / MERGED / "spend.svg").read_text(encoding="utf-8")
    assert merged.startswith("<?xml") and "<svg" in merged
    assert "reorganised" in merged and "North Northamptonshire" in merged
    assert "£ thousand, cash" in merged and "£ thousand, 2024-25 prices" in merged
    suspect = (areas_dir / SUSPECT / "spend.svg").read_text(encoding="utf-8")
    n_flagged = con.execute(
        "SELECT count(DISTINCT (financial_year, basis)) FROM out.suspect_values "
        "WHERE area_code = ?",
        [SUSPECT],
    ).fetchone()[0]
    assert n_flagged > 0 and "Suspect figure" in suspect and ">?<" in suspect
    # a year whose council printed no figures is named over that year, not drawn as zero
    (year,) = con.execute(
        "SELECT min(financial_year) FROM out.area_spend_trends WHERE area_code = ? "
        "AND basis = 'budget' AND category = 'adults' AND value_gbp_thousands IS NULL",
        [SUSPECT],
    ).fetchone()
    # (the label over the year is set a word a line: "no", then "budget")
    over_year = re.search(r">no</text>\s*<text[^>]*>budget</text>", suspect)
    assert year and over_year and f"{year} budget" in suspect
    per_head = (areas_dir / SUSPECT / "per_head.svg").read_text(encoding="utf-8")
    assert "£ per resident, 2024-25 prices" in per_head and "London boroughs" in per_head


# --- outcomes beside the spend -------------------------------------------------------------


def _pages(areas_dir: Path) -> list[str]:
    return sorted(p.stem for p in areas_dir.glob("*.html") if p.stem != "index")


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_outcome_numbers_recomputed_from_the_database(areas_dir, con):
    """Each page's drug deaths, drug death rates and alcohol treatment CSVs hold the outcome
    tables' figures for that area (and England's beside them), missing as empty, never 0."""
    deaths = {
        (r[0], str(r[1])): (r[2], r[3])
        for r in con.execute(
            "SELECT area_code, year, deaths_drug_poisoning, deaths_drug_misuse "
            "FROM out.area_drug_deaths"
        ).fetchall()
    }
    rates = {
        (r[0], r[1], r[2]): r[3:]
        for r in con.execute(
            "SELECT area_code, period, measure, rate_per_100k, ci_lower, ci_upper, deaths "
            "FROM out.area_drug_death_rates WHERE sex = 'persons'"
        ).fetchall()
    }
    alcohol = {
        (r[0], r[1]): r[2:]
        for r in con.execute(
            "SELECT area_code, financial_year, people_in_treatment, met_need_pct "
            "FROM out.area_alcohol_treatment"
        ).fetchall()
    }
    england_need: dict[str, list[float]] = {}
    for year, value in con.execute(
        "SELECT financial_year, value FROM raw.ons__sdg_alcohol_treatment "
        "WHERE row_kind = 'england' AND measure = 'met_need_pct'"
    ).fetchall():
        england_need.setdefault(year, []).append(value)
    checked = 0
    for code in _pages(areas_dir):
        folder = areas_dir / code
        got = {r["year"]: r for r in _csv(folder / "drug_deaths.csv")}
        want = {y: v for (a, y), v in deaths.items() if a == code}
        assert set(got) == set(want) and want, code
        for year, (poisoning, misuse) in want.items():
            assert _number(got[year]["deaths_drug_poisoning"]) == poisoning, (code, year)
            assert _number(got[year]["deaths_drug_misuse"]) == misuse, (code, year)
            checked += 1
        got_rates = _csv(folder / "drug_death_rates.csv")
        assert {r["series"] for r in got_rates} == {"area", "england"}
        for r in got_rates:
            owner = code if r["series"] == "area" else "E92000001"
            rate, low, high, n = rates[(owner, r["period"], r["measure"])]
            assert _same(r["rate_per_100k"], rate) and _same(r["ci_lower"], low), (code, r)
            assert _same(r["ci_upper"], high) and _same(r["deaths"], n), (code, r)
            checked += 1
        assert len(got_rates) == 2 * len({k for k in rates if k[0] == code}), code
        for r in _csv(folder / "alcohol_treatment.csv"):
            year = r["financial_year"]
            if r["series"] == "area":
                people, need = alcohol[(code, year)]
                assert _same(r["people_in_treatment"], people), (code, r)
            else:  # England's met need as the file prints it: none where printed twice
                printed = england_need[year]
                need = printed[0] if len(printed) == 1 else None
            assert _same(r["met_need_pct"], need), (code, r)
            checked += 1
    assert checked >= 150 * (29 + 76 + 18)


def test_a_union_without_a_rate_says_so_in_words(areas_dir, con):
    """The union wording is on exactly the pages of areas that are unions of councils in the
    drug deaths workbook and have no rate; their rates are empty, never made up."""
    unions = {
        code
        for code, members, rates in con.execute(
            "SELECT area_code, max(len(string_split(member_codes, ';'))), "
            "count(rate_per_100k) FROM out.area_drug_death_rates GROUP BY 1"
        ).fetchall()
        if members > 1 and rates == 0
    }
    assert MERGED in unions
    for code in _pages(areas_dir):
        page = (areas_dir / f"{code}.html").read_text(encoding="utf-8")
        says = " ".join(page.split()).count(UNION_NO_RATE)
        assert says == (1 if code in unions else 0), code
        if code in unions:
            own = [r for r in _csv(areas_dir / code / "drug_death_rates.csv")]
            own = [r for r in own if r["series"] == "area"]
            assert own and all(r["rate_per_100k"] == "" for r in own), code
            chart = (areas_dir / code / "drug_death_rates.svg").read_text(encoding="utf-8")
            assert "No rate: a union of councils" in chart, code


def test_each_outcome_series_states_its_source_and_period(areas_dir, con):
    titles = dict(
        con.execute(
            "SELECT basis, title FROM reference.sources WHERE basis LIKE 'outcome_%'"
        ).fetchall()
    )
    first, last = con.execute("SELECT min(year), max(year) FROM out.area_drug_deaths").fetchone()
    page = " ".join((areas_dir / f"{SUSPECT}.html").read_text(encoding="utf-8").split())
    assert "Outcomes beside the spend" in page
    assert f"Registrations {first} to {last}" in page
    assert page.count(titles["outcome_deaths"]) == 2 and titles["outcome_treatment"] in page
    # a figure the file does not print is a gap named over its year, not a zero
    (year,) = con.execute(
        "SELECT year FROM out.area_drug_deaths WHERE area_code = 'E09000001' "
        "AND deaths_drug_poisoning IS NULL"
    ).fetchone()
    chart = (areas_dir / "E09000001" / "drug_deaths.svg").read_text(encoding="utf-8")
    assert f"{year} drug poisoning" in chart and re.search(
        r">no</text>\s*<text[^>]*>figure<", chart
    )


def test_the_index_map_links_every_council_area_to_its_page(areas_dir):
    index = (areas_dir / "index.html").read_text(encoding="utf-8")
    svg = re.search(r"<svg.*?</svg>", index, re.S).group(0)
    assert "xmlns" not in svg  # inline: the page needs no namespace (and names no address)
    root = ET.fromstring(svg)
    links = [(a.get("href"), [p.get("id") for p in a.iter("path")]) for a in root.iter("a")]
    paths = [p.get("id") for p in root.iter("path")]
    pages = _pages(areas_dir)
    assert sorted(paths) == pages and len(set(paths)) == len(paths)
    assert sorted(ids[0] for _href, ids in links) == pages
    for href, ids in links:
        assert ids == [href.removesuffix(".html")] and (areas_dir / href).is_file(), href
    values = {r["area_code"]: r["map_value"] for r in _csv(areas_dir / "england_map.csv")}
    assert sorted(values) == pages
    for p in root.iter("path"):
        assert (p.get("fill") == NO_FIGURE) == (values[p.get("id")] == ""), p.get("id")
    assert ATTRIBUTION in " ".join(index.split())


# --- headless Chromium -------------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(page: Path, shot: Path, profile: Path) -> list[str]:
    """Screenshot `page`; return the console lines Chromium logged (any is an error here)."""
    proc = subprocess.run(
        [
            _chromium() or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1100,2400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]


def blank(shot: Path) -> bool:
    """True when the screenshot is (nearly) one colour."""
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    ink = (pixels.mean(axis=2) < 0.9).mean()
    return ink < 0.01 or float(pixels.std()) < 0.02


@pytest.fixture(scope="module")
def chromium():
    if _chromium() is None:
        if os.environ.get("SPENDTRACK_REQUIRE_CHROMIUM") == "1":
            pytest.fail("chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    return _chromium()


def test_the_console_check_and_blank_check_can_fail(chromium, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><p>x</p><script>undefinedFunction();</script>")
    assert any(
        "undefinedFunction" in line for line in render(bad, tmp_path / "b.png", tmp_path / "p")
    )
    empty = tmp_path / "empty.html"
    empty.write_text("<!doctype html><title>t</title>")
    assert render(empty, tmp_path / "e.png", tmp_path / "p") == []
    assert blank(tmp_path / "e.png")


def test_index_and_three_pages_render_cleanly(chromium, areas_dir, tmp_path):
    """The index with its map, the union's page with its outcomes, and two others."""
    index = areas_dir / "index.html"
    assert "<svg" in index.read_text(encoding="utf-8")
    assert "Outcomes beside the spend" in (areas_dir / f"{MERGED}.html").read_text("utf-8")
    third = sorted(p for p in areas_dir.glob("E08*.html"))[0]  # a metropolitan district
    for page in (index, areas_dir / f"{MERGED}.html", areas_dir / f"{SUSPECT}.html", third):
        html_text = page.read_text(encoding="utf-8")
        for src in re.findall(r'(?:src|href)="([^":#]+)"', html_text):
            assert (page.parent / src).exists(), (page.name, src)
        assert "http://" not in html_text and "https://" not in html_text  # no network, no CDN
        shot = tmp_path / f"{page.stem}.png"
        assert render(page, shot, tmp_path / "profile") == [], page.name
        assert not blank(shot), page.name
    assert map_ink(tmp_path / "index.png") > 20_000  # the map is drawn: its blue areas


def map_ink(shot: Path) -> int:
    """How many pixels of the screenshot are the map's blues."""
    from matplotlib.image import imread

    pixels = imread(shot)[..., :3]
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return int(((b > 0.6) & (b - r > 0.2) & (b > g)).sum())
