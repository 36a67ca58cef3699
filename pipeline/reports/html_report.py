"""`spendtrack report`: the national report, one self-contained HTML page with charts, from the
published database.

Writes `<lake>/reports/index.html` (from `templates/national.html`) beside the PNG charts
(`pipeline/reports/charts.py`). Every number on the page is read from `out` tables at the time
of writing; nothing is typed in.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.reports.render import render, write

STATUS_CLASS = {"reproduced": "ok", "differs": "warn", "not_reproducible": "na"}
STATUS_ORDER = ["reproduced", "differs", "not_reproducible"]


def _reproduction(con, secondary: bool) -> dict:
    """The State of the Sector rows (no `definition`), or the other publications' rows, and
    how many of each status, in words."""
    rows = con.execute(
        "SELECT claim_id, quote, published_value, computed_value, difference, status, reason "
        "FROM out.reproduction WHERE (definition <> '') = ? ORDER BY rowid",
        [secondary],
    ).fetchall()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[5]] = counts.get(row[5], 0) + 1
    words = ", ".join(
        f"{counts[s]} {s.replace('_', ' ')}" for s in sorted(counts, key=STATUS_ORDER.index)
    )
    return {
        "counts": words,
        "rows": [
            {
                "claim": claim,
                "quote": quote,
                "published": pub,
                "ours": ours,
                "difference": diff,
                "status": status,
                "status_class": STATUS_CLASS.get(status, ""),
                "reason": reason,
            }
            for claim, quote, pub, ours, diff, status, reason in rows
        ],
    }


def _headline(con) -> dict[str, dict]:
    year, value, change, pct = con.execute(
        "SELECT financial_year, value_gbp_millions, change_since_2013_14_gbp_millions, "
        "change_since_2013_14_pct FROM out.spend_trends WHERE basis = 'budget' "
        "AND category = 'adults' ORDER BY fy_start DESC LIMIT 1"
    ).fetchone()
    p_year, people, p_pct = con.execute(
        "SELECT financial_year, people, change_since_2013_14_pct FROM out.treatment_trends "
        "WHERE cohort = 'adults' AND substance_group = 'total' ORDER BY fy_start DESC LIMIT 1"
    ).fetchone()
    n_falls, n_councils, threshold = con.execute(
        "SELECT count(*) FILTER (is_large_fall), count(*), any_value(large_fall_threshold_pct) "
        "FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults' "
        "AND is_comparable"
    ).fetchone()
    return {
        "adults": {"year": year, "value": value, "change": change, "pct": pct},
        "people": {"year": p_year, "people": people, "pct": p_pct},
        "falls": {"n": n_falls, "councils": n_councils, "threshold": threshold},
    }


def write_html_report(con, reports_dir: Path) -> Path:
    """Write the charts and `index.html`; return the page's path."""
    from pipeline.reports.charts import CHARTS

    reports_dir.mkdir(parents=True, exist_ok=True)
    for name, draw in CHARTS.items():
        draw(con, reports_dir / name)
    largest = con.execute(
        "SELECT fall_rank, area_name, first_value_gbp_thousands, latest_value_gbp_thousands, "
        "change_pct FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults' "
        "AND fall_rank <= 10 ORDER BY fall_rank"
    ).fetchall()
    (n_sources,) = con.execute("SELECT count(*) FROM reference.sources").fetchone()
    built = con.execute("SELECT max(run_id) FROM checks.validation_results").fetchone()[0]
    checks_run, checks_passed = con.execute(
        "SELECT count(*), count(*) FILTER (success) FROM checks.validation_results"
    ).fetchone()
    page = render(
        "national.html",
        built=built,
        n_sources=n_sources,
        checks_run=checks_run,
        checks_passed=checks_passed,
        largest=largest,
        primary=_reproduction(con, secondary=False),
        secondary=_reproduction(con, secondary=True),
        **_headline(con),
    )
    return write(reports_dir / "index.html", page)
