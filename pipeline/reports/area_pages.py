"""Council area pages: one HTML page per council stable area, and an index, for readers who
will not write SQL.

`write_area_pages(con, reports_dir)` writes `<reports>/areas/index.html` and, for every council
area in `out.area_spend_trends`, `<reports>/areas/<area_code>.html` with its charts beside the
CSV of exactly what each chart plots and the SQL that produced that CSV
(`<reports>/areas/<area_code>/<chart>.{svg,csv,sql}`). The SQL lives in `sql/reports/`; each
query runs once over all areas and is split per area, and the per-area file is the same query
with its area filter filled in, so running it gives that CSV. The five other bodies that
reported public health spend (a mayoral authority, combined authorities, a police and crime
commissioner, a national park) are not councils and get no page; the index says so.
Charts are drawn in worker processes (matplotlib is the cost; 2 cores halve it).
"""

from __future__ import annotations

import csv
import html
import io
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import SQL_DIR

AREA_FILTER = "TRUE  -- area filter"
QUERIES = {  # chart name -> the SQL under sql/reports/ whose rows it plots
    "spend": "reports/area_spend.sql",
    "per_head": "reports/area_per_head.sql",
}
TREATMENT_SQL = "reports/england_treatment.sql"
CATEGORY_WORDS = {
    "drugs": "adult drugs",
    "alcohol": "adult alcohol",
    "adults": "all adult",
    "young_people": "young people",
}


def read_query(relative: str) -> str:
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def area_query(relative: str, area_code: str) -> str:
    """The query of one area: the all-areas query with its area filter filled in."""
    sql = read_query(relative)
    if AREA_FILTER not in sql:
        raise ValueError(f"{relative}: no '{AREA_FILTER}' line to put the area filter on")
    quoted = area_code.replace("'", "''")
    return sql.replace(AREA_FILTER, f"area_code = '{quoted}'  -- area filter")


def _rows(con, sql: str) -> tuple[list[str], list[dict]]:
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


# --- what the charts must say ---------------------------------------------------------------


def _reorganisations(members: list[dict]) -> list[tuple[str, str]]:
    """(first year, words) for each year councils of the area started or changed code."""
    councils = [m for m in members if m["rule"] in ("merged", "code_change", "unchanged")]
    if not councils:
        return []
    start = min(m["first_year"] for m in councils)
    events = []
    for year in sorted({m["first_year"] for m in councils if m["first_year"] > start}):
        new = sorted(m["la_name"] for m in councils if m["first_year"] == year)
        old = sorted(m["la_name"] for m in councils if m["last_year"] < year)
        events.append(
            (
                year,
                f"from {year} the area is {' + '.join(new)} (before: {' + '.join(old)}); "
                "their figures are summed, never apportioned",
            )
        )
    return events


def _year_span(years: list[str]) -> str:
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _coverage_line(rows: list[dict]) -> str:
    parts = []
    for basis, words in (("budget", "budget (RA)"), ("outturn", "outturn (RO3)")):
        years = sorted({r["financial_year"] for r in rows if r["basis"] == basis})
        if years:
            parts.append(f"{words} {', '.join(_runs(years))}")
    return "Years held for councils: " + "; ".join(parts) + "."


def _runs(years: list[str]) -> list[str]:
    """['2013-14', '2022-23', '2023-24'] -> ['2013-14', '2022-23 to 2023-24']."""
    runs: list[list[str]] = []
    for y in years:
        if runs and int(y[:4]) == int(runs[-1][-1][:4]) + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return [_year_span(r) for r in runs]


def spend_caveats(area: Area, years: list[str]):
    from pipeline.reports.area_charts import Caveats

    _, rows = area.charts["spend"]
    cav = Caveats(years=years, reorganisations=_reorganisations(area.members))
    cav.lines.append(_coverage_line(rows))
    for _year, words in cav.reorganisations:
        cav.lines.append(f"Reorganised (dashed line): {words}.")
    by_year: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_year.setdefault((r["financial_year"], r["basis"]), []).append(r)
    missing, partial, imputed = [], [], []
    for (year, basis), group in sorted(by_year.items()):
        first = group[0]
        if all(r["value_gbp_thousands"] is None for r in group):
            cav.label(year, f"no {basis}")
            why = (
                "its council's record has no figures"
                if first["members_in_file"]
                else "not in the file"
            )
            if first["has_imputed_member"]:
                why += " (the file marks it imputed)"
            missing.append(f"{year} {basis}: {why}")
        elif not first["is_complete"]:
            cav.label(year, f"{basis} partial")
            partial.append(
                f"{year} {basis} counts {first['members_reporting']} of "
                f"{first['members_in_file']} councils"
            )
        elif first["has_imputed_member"]:
            cav.label(year, f"{basis} imputed")
            imputed.append(f"{year} {basis}")
    if missing:
        cav.lines.append("No figure (gap in the line): " + "; ".join(missing) + ".")
    if partial:
        cav.lines.append(
            "Partial, not the whole area (the other councils printed no figure): "
            + "; ".join(partial)
            + "."
        )
    if imputed:
        cav.lines.append(
            "Includes a record the file marks as imputed (not the council's own return): "
            + ", ".join(imputed)
            + "."
        )
    flagged: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if r["is_suspect"]:
            flagged.setdefault((r["financial_year"], r["basis"]), []).append(
                f"{CATEGORY_WORDS[r['category']]} £{r['value_gbp_thousands']:,.0f}k"
            )
    if flagged:
        cav.lines.append(
            "? Suspect figure, shown as published (rules in out.suspect_values; reasons in the "
            "table below): "
            + "; ".join(f"{y} {b}: {', '.join(v)}" for (y, b), v in sorted(flagged.items()))
            + "."
        )
    return cav


def per_head_caveats(area: Area, years: list[str]):
    from pipeline.reports.area_charts import Caveats

    _, rows = area.charts["per_head"]
    cav = Caveats(years=years, reorganisations=_reorganisations(area.members))
    cav.lines.append(
        "Adult drug and alcohol services (drugs + alcohol), net current expenditure per "
        "resident (ONS mid-year estimate inside the financial year, April 2023 boundaries)."
    )
    own = [r for r in rows if r["series"] == "area"]
    no_pop = sorted(
        {
            r["financial_year"]
            for r in own
            if r["spend_per_head_real_gbp"] is None and r["is_complete"]
        }
    )
    for year in no_pop:
        cav.label(year, "no population")
    if no_pop:
        cav.lines.append(f"No population estimate is held for {', '.join(no_pop)}: no figure.")
    gaps = []
    for r in own:
        if not r["is_complete"]:
            cav.label(
                r["financial_year"],
                f"{r['basis']} partial"
                if r["spend_per_head_real_gbp"] is not None
                else f"no {r['basis']}",
            )
            gaps.append(f"{r['financial_year']} {r['basis']}")
    if gaps:
        cav.lines.append(
            "Not all of the area's councils reported (see the spend chart): "
            + ", ".join(gaps)
            + "."
        )
    flagged = [f"{r['financial_year']} {r['basis']}" for r in own if r["is_suspect"]]
    if flagged:
        cav.lines.append("? Suspect adult figure, shown as published: " + ", ".join(flagged) + ".")
    for _year, words in cav.reorganisations:
        cav.lines.append(f"Reorganised (dashed line): {words}.")
    cav.lines.append(
        "England and the class median leave out partial and suspect figures; the CSV says how "
        "many areas each covers."
    )
    return cav


_CHARTS: dict[tuple, tuple] = {}  # per process: the reused figures (see AreaChart)


def write_area(args: tuple) -> Path:
    """Worker: one area's page, its two charts and their CSV and SQL files; returns the page."""
    from pipeline.reports.area_charts import CLASS_NAMES

    area, years, price_base, out = args
    folder = out / area.code
    for chart, svg in zip(QUERIES, draw_area(area, years, price_base), strict=True):
        cols, rows = area.charts[chart]
        _write(folder / f"{chart}.svg", svg)
        _write(folder / f"{chart}.csv", csv_text(cols, rows))
        _write(folder / f"{chart}.sql", area_query(QUERIES[chart], area.code))
    page = out / f"{area.code}.html"
    _write(page, area_page(area, CLASS_NAMES.get(area.area_class, area.area_class)))
    return page


def draw_area(area: Area, years: list[str], price_base: str) -> tuple[str, str]:
    """The spend and per-head charts of one area, as SVG text."""
    from pipeline.reports.area_charts import CLASS_NAMES, PerHeadChart, SpendChart

    key = (tuple(years), price_base)
    if key not in _CHARTS:
        _CHARTS[key] = (SpendChart(years, price_base), PerHeadChart(years, price_base))
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


# --- reading the database --------------------------------------------------------------------


def load_areas(con) -> list[Area]:
    """Every council area with its chart rows, members, headline change and suspect figures."""
    names = con.execute(
        "SELECT area_code, any_value(area_name), any_value(area_class) "
        "FROM out.area_spend_trends WHERE area_kind = 'council' GROUP BY 1 ORDER BY 2"
    ).fetchall()
    charts: dict[str, dict[str, list[dict]]] = {code: {} for code, _, _ in names}
    columns: dict[str, list[str]] = {}
    for chart, relative in QUERIES.items():
        cols, rows = _rows(con, read_query(relative))
        columns[chart] = cols
        for row in rows:
            charts[row["area_code"]].setdefault(chart, []).append(row)
    _, members = _rows(
        con,
        "SELECT area_code, ecode, ons_code, la_name, la_class, first_year, last_year, rule "
        "FROM reference.stable_areas WHERE area_kind = 'council' ORDER BY area_code, "
        "first_year, la_name",
    )
    _, changes = _rows(
        con,
        "SELECT * FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults'",
    )
    _, suspects = _rows(
        con,
        "SELECT area_code, financial_year, basis, la_name, category, canonical_line, "
        "value_gbp_thousands, string_agg(rule, ', ' ORDER BY rule) AS rules, "
        "string_agg(reason, '; ' ORDER BY rule) AS reasons FROM out.suspect_values "
        "GROUP BY ALL ORDER BY area_code, basis, financial_year, category",
    )
    by_area = lambda rows: {  # noqa: E731
        code: [r for r in rows if r["area_code"] == code] for code in charts
    }
    member_map, suspect_map = by_area(members), by_area(suspects)
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


# --- writing ---------------------------------------------------------------------------------

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1040px; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; font-size: 1.2rem; }
.lede { color: #444; margin-top: 0; } .note { color: #555; font-size: 0.85rem; }
.headline { font-size: 1.1rem; border-left: 4px solid #6a3d9a; padding: 0.3rem 0.8rem;
            background: #f7f4fa; }
img { max-width: 100%; border: 1px solid #eee; }
.files { font-size: 0.85rem; } .files a { margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin-top: 0.6rem; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.3rem 0.45rem; text-align: left;
         vertical-align: top; }
th { background: #f6f6f6; } td.num { text-align: right; font-variant-numeric: tabular-nums;
         white-space: nowrap; }
th.sort { cursor: pointer; user-select: none; } th.sort:after { content: " \\2195"; color: #999; }
input[type=search] { font-size: 1rem; padding: 0.35rem 0.5rem; width: 22rem; max-width: 100%; }
td.yr { white-space: nowrap; } .fall { color: #b2182b; } .rise { color: #1b7837; }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _k(value: float | None) -> str:
    return "" if value is None else f"£{value:,.0f}k"


def _pct(value: float | None) -> str:
    if value is None:
        return ""
    cls = "fall" if value < 0 else "rise"
    return f'<span class="{cls}">{"−" if value < 0 else "+"}{abs(value):.1f}%</span>'


def _files(code: str, chart: str) -> str:
    return (
        f'<p class="files">Data: <a href="{code}/{chart}.csv">{chart}.csv</a> (exactly what the '
        f'chart plots) <a href="{code}/{chart}.sql">{chart}.sql</a> (the query that gives it: '
        f"<code>spendtrack query data_lake/reports/areas/{code}/{chart}.sql</code>)</p>"
    )


def plain_note(c: dict) -> str:
    """out.la_disinvestment's comparability note in words a reader needs, without rule ids."""
    if not c.get("baseline_moved"):
        return c.get("comparability_note") or ""
    note = (
        f"Compared from {c['first_year']}, the first year whose figure no rule flags: "
        "earlier figures look wrong in the source (see Figures to doubt)."
    )
    if c["latest_year"] and c["latest_year"] in (c.get("suspect_years") or ""):
        note += f" The latest figure ({c['latest_year']}) is flagged too."
    return note


def _headline(area: Area) -> str:
    c = area.change
    if not c or c["first_value_gbp_thousands"] is None:
        return "<p>No adult drug and alcohol budget figure is held for a comparison.</p>"
    text = (
        f"Adult drug and alcohol budget: {_k(c['first_value_gbp_thousands'])} in "
        f"{c['first_year']}, {_k(c['latest_value_gbp_thousands'])} in {c['latest_year']}: "
        f"{_pct(c['change_pct'])} in cash, {_pct(c['change_real_pct'])} in "
        f"{_e(c['price_base'])}."
    )
    note = f'<br><span class="note">{_e(plain_note(c))}</span>' if plain_note(c) else ""
    return f'<p class="headline">{text}{note}</p>'


def _members_table(area: Area) -> str:
    rows = "".join(
        f"<tr><td>{_e(m['la_name'])}</td><td>{_e(m['ons_code'])}</td><td>{_e(m['ecode'])}</td>"
        f"<td>{_e(m['la_class'])}</td><td>{_e(m['first_year'])} to {_e(m['last_year'])}</td>"
        f"<td>{_e(m['rule'].replace('_', ' '))}</td></tr>"
        for m in area.members
    )
    return (
        "<table><thead><tr><th>council</th><th>ONS code</th><th>E-code</th><th>class</th>"
        f"<th>figures</th><th>how it counts here</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _suspects_table(area: Area) -> str:
    if not area.suspects:
        return "<p>No figure of this area is flagged by the suspect-value rules.</p>"
    rows = "".join(
        f"<tr><td>{_e(s['financial_year'])}</td><td>{_e(s['basis'])}</td>"
        f"<td>{_e(s['la_name'])}</td><td>{_e(s['canonical_line'])}</td>"
        f'<td class="num">{_k(s["value_gbp_thousands"])}</td><td>{_e(s["rules"])}</td>'
        f'<td class="note">{_e(s["reasons"])}</td></tr>'
        for s in area.suspects
    )
    return (
        "<p>These figures are shown on the charts as published, ringed and marked ?; "
        "comparisons start after them (<code>out.la_disinvestment</code>).</p>"
        "<table><thead><tr><th>year</th><th>basis</th><th>council</th><th>line</th>"
        "<th>figure</th><th>rule</th><th>why</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _lede_kind(area: Area, code: str) -> str:
    """'Unitary authority area E06000001', or for an area whose councils changed kind,
    'County council to 2020-21, then unitary authorities from 2021-22 (area E10000021)'."""
    history = _class_history(area)
    if " then " in history or " and " in history:
        return f"{history[0].upper()}{history[1:]} (area {code})"
    return f"{history[0].upper()}{history[1:]} area {code}"


def _class_history(area: Area) -> str:
    """The area's kind of council, over time where it changed: 'county council to 2020-21,
    then unitary authorities from 2021-22' (from its members' printed classes and years)."""
    from pipeline.reports.area_charts import CLASS_NAME, CLASS_NAMES

    spans: dict[str, list[str]] = {}  # class -> [first year, last year, how many]
    for m in area.members:
        if m["rule"].startswith(("district", "abolished")) or not m["la_class"]:
            continue
        span = spans.setdefault(m["la_class"], [m["first_year"], m["last_year"], 0])
        span[0], span[1] = min(span[0], m["first_year"]), max(span[1], m["last_year"])
        span[2] += 1
    if len(spans) < 2:
        return CLASS_NAME.get(area.area_class, "council")
    ordered = sorted(spans.items(), key=lambda kv: kv[1][0])
    names = [(CLASS_NAMES if n > 1 else CLASS_NAME).get(c, c) for c, (_first, _last, n) in ordered]
    if any(b[1][0] <= a[1][1] for a, b in zip(ordered, ordered[1:], strict=False)):
        return " and ".join(names)  # side by side (Dorset's county and its unitaries)
    first, *later = list(zip(names, ordered, strict=True))
    text = f"{first[0]} to {first[1][1][1]}"
    for name, (_c, (since, _last, _n)) in later:
        text += f", then {name} from {since}"
    return text


def area_page(area: Area, class_name: str) -> str:

    code = html.escape(area.code)
    councils = [
        m["la_name"] for m in area.members if not m["rule"].startswith(("district", "abolished"))
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(area.name)}: drug and alcohol spending</title>
<style>{CSS}</style></head>
<body>
<p class="note"><a href="index.html">All council areas</a></p>
<h1>{_e(area.name)}</h1>
<p class="lede">{_e(_lede_kind(area, area.code))}: {_e(", ".join(councils))}. What the
council spent on drug, alcohol and young people's substance misuse services from 2013-14,
when councils took over public health, from the MHCLG revenue spreadsheets (RA budgets, RO3
outturn).</p>
{_headline(area)}

<h2>Spend by service</h2>
<img src="{code}/spend.svg" alt="{_e(area.name)}: budget and outturn by service, cash and
real terms, with caveats marked on the chart">
{_files(code, "spend")}

<h2>Spend per resident in real terms, against England and other {_e(class_name)}</h2>
<img src="{code}/per_head.svg" alt="{_e(area.name)}: adult spend per resident against England
and the median of {_e(class_name)}">
{_files(code, "per_head")}

<h2>People in treatment (England)</h2>
<p>No per-council treatment counts are held, so this is England's, for context only.</p>
<img src="england_treatment.svg" alt="People in drug and alcohol treatment in England">
{_files_treatment()}

<h2>Figures to doubt</h2>
{_suspects_table(area)}

<h2>Councils in this area</h2>
{_members_table(area)}
<p class="note">District councils' figures count in their county's area; reorganised councils
count as the exact union of what they became (<code>reference.stable_areas</code>). Figures
are net current expenditure in £ thousand as the files print them; real terms use HM
Treasury's GDP deflator. Source: MHCLG local authority revenue expenditure and financing
(Open Government Licence v3.0); population: ONS mid-year estimates.</p>
</body></html>
"""


def _files_treatment() -> str:
    return (
        '<p class="files">Data: <a href="england_treatment.csv">england_treatment.csv</a> '
        '<a href="england_treatment.sql">england_treatment.sql</a></p>'
    )


INDEX_SCRIPT = """
const table = document.getElementById('areas');
const body = table.tBodies[0];
document.getElementById('search').addEventListener('input', (e) => {
  const q = e.target.value.trim().toLowerCase();
  let shown = 0;
  for (const row of body.rows) {
    const hit = row.dataset.name.includes(q);
    row.hidden = !hit;
    if (hit) shown += 1;
  }
  document.getElementById('shown').textContent = shown;
});
table.querySelectorAll('th.sort').forEach((th, i) => {
  th.addEventListener('click', () => {
    const col = th.cellIndex;
    const numeric = th.dataset.type === 'num';
    const dir = th.dataset.dir === 'asc' ? -1 : 1;
    table.querySelectorAll('th.sort').forEach((h) => { delete h.dataset.dir; });
    th.dataset.dir = dir === 1 ? 'asc' : 'desc';
    const key = (row) => row.cells[col].dataset.v;
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      if (numeric) {
        if (x === '' && y === '') return 0;
        if (x === '') return 1;
        if (y === '') return -1;
        return dir * (parseFloat(x) - parseFloat(y));
      }
      return dir * x.localeCompare(y);
    });
    rows.forEach((r) => body.appendChild(r));
  });
});
"""


def index_page(areas: list[Area], others: list[tuple[str, str]]) -> str:
    from pipeline.reports.area_charts import CLASS_NAME

    def num(value: float | None, text: str) -> str:
        v = "" if value is None else f"{value:.6g}"
        return f'<td class="num" data-v="{v}">{text}</td>'

    rows = []
    for a in areas:
        c = a.change or {}
        note = ""
        if c.get("baseline_moved"):
            note = "early figures doubtful: compared from the first sound year"
            if c.get("latest_year") and c["latest_year"] in (c.get("suspect_years") or ""):
                note += "; latest figure doubtful"
        elif c.get("comparability_note"):
            note = c["comparability_note"]
        if c.get("is_reorganised"):
            note += "; reorganised" if note else "reorganised"
        rows.append(
            f'<tr data-name="{_e(a.name.lower())} {_e(a.code.lower())}">'
            f'<td data-v="{_e(a.name)}"><a href="{_e(a.code)}.html">{_e(a.name)}</a></td>'
            f'<td data-v="{_e(a.area_class)}">{_e(CLASS_NAME.get(a.area_class, ""))}</td>'
            f'<td class="yr" data-v="{_e(c.get("first_year"))}">{_e(c.get("first_year"))}</td>'
            + num(c.get("first_value_gbp_thousands"), _k(c.get("first_value_gbp_thousands")))
            + f'<td class="yr" data-v="{_e(c.get("latest_year"))}">{_e(c.get("latest_year"))}</td>'
            + num(c.get("latest_value_gbp_thousands"), _k(c.get("latest_value_gbp_thousands")))
            + num(c.get("change_pct"), _pct(c.get("change_pct")))
            + num(c.get("change_real_pct"), _pct(c.get("change_real_pct")))
            + f'<td class="note" data-v="{_e(note)}">{_e(note)}</td></tr>'
        )
    price_base = next((a.change["price_base"] for a in areas if a.change), "2024-25 prices")
    other_text = "; ".join(f"{_e(name)} ({_e(code)})" for code, name in others)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drug and alcohol spending by council area</title>
<style>{CSS}</style></head>
<body>
<h1>Drug and alcohol spending by council area</h1>
<p class="lede">{len(areas)} council areas in England, each with its own page: budget and
outturn for adult drug, adult alcohol and young people's services since 2013-14, spend per
resident against England and similar councils, and every caveat. The change below is the
adult drug and alcohol budget from the first year with a sound figure (2013-14 unless a
rule flags it) to the latest, in cash and in {_e(price_base)}.</p>
<p><label for="search">Find a council: </label><input id="search" type="search"
placeholder="name or code, e.g. Greenwich"> <span class="note"><span id="shown">{len(areas)}
</span> shown; click a column heading to sort.</span></p>
<table id="areas"><thead><tr>
<th class="sort">area</th><th class="sort">type</th><th class="sort">from</th>
<th class="sort" data-type="num">adult budget then</th><th class="sort">to</th>
<th class="sort" data-type="num">adult budget latest</th>
<th class="sort" data-type="num">change, cash</th>
<th class="sort" data-type="num">change, real terms</th><th class="sort">note</th>
</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
<p class="note">Also in <code>out.area_spend_trends</code> but without a page, because they
are not councils: {other_text}. Reorganised councils are shown as the areas they cover over
the whole period (<code>reference.stable_areas</code>); districts count in their county. Data:
<code>out.la_disinvestment</code> (basis budget, category adults).</p>
<script>{INDEX_SCRIPT}</script>
</body></html>
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_area_pages(con, reports_dir: Path, workers: int | None = None) -> list[Path]:
    """Write the index and every council area's page; return the pages' paths (index first)."""
    from pipeline.reports.area_charts import treatment_chart

    out = reports_dir / "areas"
    areas = load_areas(con)
    years = [
        y
        for (y,) in con.execute(
            "SELECT DISTINCT financial_year FROM out.area_spend_trends ORDER BY 1"
        ).fetchall()
    ]
    others = con.execute(
        "SELECT DISTINCT area_code, area_name FROM out.area_spend_trends "
        "WHERE area_kind <> 'council' ORDER BY 2"
    ).fetchall()
    columns, treatment = _rows(con, read_query(TREATMENT_SQL))
    _write(out / "england_treatment.csv", csv_text(columns, treatment))
    _write(out / "england_treatment.sql", read_query(TREATMENT_SQL))
    _write(out / "england_treatment.svg", treatment_chart(treatment))

    workers = workers or min(len(areas), os.cpu_count() or 1)
    price_base = con.execute(
        "SELECT any_value(price_base) FROM out.area_spend_trends WHERE price_base IS NOT NULL"
    ).fetchone()[0]
    # Each worker writes whole areas (page, charts, CSV, SQL): the files are written in
    # parallel too, and only the areas' rows go to the workers, not the SVG back.
    jobs = [(a, years, price_base, out) for a in areas]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            pages = list(pool.map(write_area, jobs, chunksize=2))
    else:
        pages = [write_area(j) for j in jobs]
    _write(out / "index.html", index_page(areas, others))
    return [out / "index.html", *pages]
