"""`spendtrack report`: one self-contained HTML page with charts, from the published database.

Writes `<lake>/reports/index.html` beside the PNG charts (`pipeline/reports/charts.py`) and the
Markdown reproduction table. Every number on the page is read from `out` tables at the time
of writing; nothing is typed in.
"""

from __future__ import annotations

import html
from pathlib import Path

STATUS_CLASS = {"reproduced": "ok", "differs": "warn", "not_reproducible": "na"}

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1000px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; font-size: 1.25rem; }
.lede { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; margin: 1.2rem 0; }
.card { flex: 1 1 200px; border: 1px solid #ddd; border-radius: 6px; padding: 0.7rem 0.9rem; }
.card .n { font-size: 1.5rem; font-weight: 600; } .card .l { color: #555; font-size: 0.85rem; }
img { max-width: 100%; border: 1px solid #eee; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin-top: 0.6rem; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.3rem 0.45rem; text-align: left;
         vertical-align: top; }
th { background: #f6f6f6; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ok { color: #1b7837; font-weight: 600; } .warn { color: #b35806; font-weight: 600; }
.na { color: #777; font-weight: 600; }
.note { color: #555; font-size: 0.85rem; }
"""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return html.escape(str(value))


def _signed_millions(value: float) -> str:
    """-87.3 -> '−£87m' (a true minus sign, the pound sign after it)."""
    return f"{'−' if value < 0 else '+'}£{abs(value):,.0f}m"


def _table(columns: list[str], rows: list[tuple], *, numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_cell(v)}</td>' if i in numeric else f"<td>{_cell(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _reproduction(con, secondary: bool) -> tuple[str, dict[str, int]]:
    """The State of the Sector rows (no `definition`), or the other publications' rows."""
    rows = con.execute(
        "SELECT claim_id, quote, published_value, computed_value, difference, status, reason "
        "FROM out.reproduction WHERE (definition <> '') = ? ORDER BY rowid",
        [secondary],
    ).fetchall()
    counts: dict[str, int] = {}
    body = []
    for claim, quote, pub, ours, diff, status, reason in rows:
        counts[status] = counts.get(status, 0) + 1
        diff_text = "" if diff is None else f"{diff:+,.2f}"
        body.append(
            "<tr>"
            f"<td>{html.escape(claim)}</td><td>{html.escape(quote)}</td>"
            f'<td class="num">{_cell(pub)}</td><td class="num">{_cell(ours)}</td>'
            f'<td class="num">{diff_text}</td>'
            f'<td class="{STATUS_CLASS.get(status, "")}">{html.escape(status)}</td>'
            f'<td class="note">{_cell(reason)}</td></tr>'
        )
    head = "".join(
        f"<th>{c}</th>"
        for c in ("claim", "published text", "published", "ours", "difference", "status", "why")
    )
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>",
        counts,
    )


def _headline(con) -> dict[str, object]:
    adults = con.execute(
        "SELECT financial_year, value_gbp_millions, change_since_2013_14_gbp_millions, "
        "change_since_2013_14_pct FROM out.spend_trends WHERE basis = 'budget' "
        "AND category = 'adults' ORDER BY fy_start DESC LIMIT 1"
    ).fetchone()
    people = con.execute(
        "SELECT financial_year, people, change_since_2013_14_pct FROM out.treatment_trends "
        "WHERE cohort = 'adults' AND substance_group = 'total' ORDER BY fy_start DESC LIMIT 1"
    ).fetchone()
    falls = con.execute(
        "SELECT count(*) FILTER (is_large_fall), count(*), any_value(large_fall_threshold_pct) "
        "FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults' "
        "AND is_comparable"
    ).fetchone()
    return {"adults": adults, "people": people, "falls": falls}


def write_html_report(con, reports_dir: Path) -> Path:
    """Write the charts and `index.html`; return the page's path."""
    from pipeline.reports.charts import CHARTS

    reports_dir.mkdir(parents=True, exist_ok=True)
    for name, draw in CHARTS.items():
        draw(con, reports_dir / name)
    reproduction, counts = _reproduction(con, secondary=False)
    secondary, secondary_counts = _reproduction(con, secondary=True)
    head = _headline(con)
    (a_year, a_value, a_change, a_pct) = head["adults"]
    (p_year, p_people, p_pct) = head["people"]
    (n_falls, n_councils, threshold) = head["falls"]
    largest = con.execute(
        "SELECT fall_rank, area_name, first_value_gbp_thousands, latest_value_gbp_thousands, "
        "change_pct FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults' "
        "AND fall_rank <= 10 ORDER BY fall_rank"
    ).fetchall()
    sources = con.execute(
        "SELECT count(*), count(DISTINCT publisher) FROM reference.sources"
    ).fetchone()
    built = con.execute("SELECT max(run_id) FROM checks.validation_results").fetchone()[0]
    checks = con.execute(
        "SELECT count(*), count(*) FILTER (success) FROM checks.validation_results"
    ).fetchone()
    order = ["reproduced", "differs", "not_reproducible"]

    def status_text(counts: dict[str, int]) -> str:
        return ", ".join(
            f"{counts[s]} {s.replace('_', ' ')}" for s in sorted(counts, key=order.index)
        )

    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spendtrack: substance misuse spend by English local government</title>
<style>{CSS}</style></head>
<body>
<h1>Substance misuse spend by English local government</h1>
<p class="lede">Drug, alcohol and young people's substance misuse services, from the MHCLG
revenue spreadsheets (RA budgets, RO3 outturn) since councils took over public health in
2013-14, set against NDTMS treatment numbers. Build {html.escape(str(built))}:
{sources[0]} sources, {checks[1]} of {checks[0]} checks passed.</p>

<div class="cards">
<div class="card"><div class="n">£{a_value:,.0f}m</div><div class="l">adult drug and alcohol
budget, {a_year}</div></div>
<div class="card"><div class="n">{_signed_millions(a_change)} ({
        a_pct:+.1f}%)</div><div class="l">since
2013-14, cash</div></div>
<div class="card"><div class="n">{p_people:,}</div><div class="l">adults in treatment,
{p_year} ({p_pct:+.1f}% since 2013-14)</div></div>
<div class="card"><div class="n">{n_falls} of {n_councils}</div><div class="l">councils cut
adult spend by {-threshold:.0f}% or more</div></div>
</div>

<h2>National spend by category</h2>
<img src="national_spend.png" alt="England substance misuse spend by category, budget and
outturn, in cash and in 2024-25 prices">
<p class="note">Net current expenditure, £ million: cash on the left, 2024-25 prices on the right
(HM Treasury GDP deflator; <code>real_terms(value, year, base_year)</code> re-bases).
Budgets (RA) every year but 2022-23, which is not held; outturn (RO3) for 2013-14 and from
2022-23. 2023-24 budget is the sum of councils (that file has no ENGLAND row).</p>

<h2>Treatment numbers against spend</h2>
<img src="treatment_against_spend.png" alt="Index of spend and people in treatment">
<p class="note">Adults in treatment: NDTMS ViewIt export to 2021-22, annual reports after.
Young people: the original NDTMS basis only (to 2018-19); the revised basis is a separate
series in <code>out.treatment_trends</code> and is never joined to it.</p>

<h2>How councils changed</h2>
<img src="council_changes.png" alt="Distribution of council changes in adult spend">
{
        _table(
            ["rank", "council", "first year £k", "latest year £k", "change %"],
            largest,
            numeric={0, 2, 3, 4},
        )
    }
<p class="note">Council areas with a figure in every budget year and no suspect figure at either
end; reorganised councils are compared as their stable areas (Dorset with BCP,
Northamptonshire, Cumbria), and an area whose early figures a rule flags is compared from its
first unflagged year and not ranked (<code>out.la_disinvestment</code>,
<code>out.suspect_values</code>).</p>

<h2>Reproducing <i>State of the Sector 2017</i></h2>
<p>{html.escape(status_text(counts))}.</p>
{reproduction}

<h2>Figures from other publications</h2>
<p>{html.escape(status_text(secondary_counts))}. Each is compared with the nearest figure we
hold, in the same years and prices; the reason says what ours is and how theirs differs.</p>
{secondary}

<p class="note">Sources: MHCLG local authority revenue expenditure and financing (Open
Government Licence v3.0); OHID/PHE NDTMS; ONS mid-year estimates; Ministry of Justice figures
from parliamentary answers. Query the same figures: <code>spendtrack query</code>, the Parquet
files in <code>data_lake/parquet/</code>, or <code>spendtrack describe</code>.</p>
</body></html>
"""
    path = reports_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
