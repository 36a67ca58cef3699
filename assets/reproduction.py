"""out.reproduction: every published figure we can check, re-computed, with the difference.

The claims are data (`expectations/published_figures.csv`, quotes from
`data_raw/published/state_of_the_sector_2017_claims.csv`); this module only knows how to
compute each metric from our own tables and how to compare it at the published precision.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pandas as pd

from pipeline.config import DATA_RAW_DIR, EXPECTATIONS_DIR
from pipeline.graph import BuildContext, CheckResult

FIGURES_CSV = EXPECTATIONS_DIR / "published_figures.csv"
CLAIMS_CSV = DATA_RAW_DIR / "published" / "state_of_the_sector_2017_claims.csv"
EPSILON = 1e-9

# Where each series' yearly values come from: (table, value column, filter column, filter value).
SPEND_CATEGORIES = ("drugs", "alcohol", "adults", "young_people", "all_substance_misuse")
TREATMENT_GROUPS = {
    "adults_in_treatment": "total",
    "alcohol_only_in_treatment": "alcohol_only",
    "non_opiate_and_alcohol_in_treatment": "non_opiate_and_alcohol",
}


@dataclass(frozen=True)
class Outcome:
    computed: float | str | None
    status: str
    reason: str


def series_values(con, series: str, basis: str, metric: str) -> dict[str, float] | str:
    """{financial_year: value}, or a reason string when the series has no source table."""
    tables = {
        r[0]
        for r in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables()"
        ).fetchall()
    }
    if metric == "share_pct":
        table, sql, params = (
            "out.share_of_public_health",
            "SELECT financial_year, share_pct FROM out.share_of_public_health WHERE basis = ?",
            [basis],
        )
    elif series in SPEND_CATEGORIES:
        table, sql, params = (
            "out.spend_trends",
            "SELECT financial_year, value_gbp_millions FROM out.spend_trends "
            "WHERE basis = ? AND category = ?",
            [basis, series],
        )
    elif series in TREATMENT_GROUPS:
        table, sql, params = (
            "core.adults_in_treatment",
            "SELECT financial_year, people FROM core.adults_in_treatment WHERE substance_group = ?",
            [TREATMENT_GROUPS[series]],
        )
    elif series == "prisons":
        table, sql, params = (
            "out.prison_substance_misuse",
            "SELECT financial_year, substance_misuse_spend_gbp_millions "
            "FROM out.prison_substance_misuse",
            [],
        )
    else:
        return f"no table holds the series {series!r}"
    if table not in tables:
        return f"{table} is not built"
    return {fy: float(v) for fy, v in con.execute(sql, params).fetchall() if v is not None}


def compute(metric: str, values: dict[str, float], start: str, end: str) -> float | str | None:
    if metric == "peak_year":
        window = {fy: v for fy, v in values.items() if start <= fy <= end}
        return max(window, key=window.get) if window else None
    if metric in ("level_gbp_millions", "level_people", "share_pct"):
        return values.get(end)
    if start not in values or end not in values:
        return None
    change = values[end] - values[start]
    return change if metric == "change_gbp_millions" else 100 * change / values[start]


def compare(fig: dict[str, str], computed: float | str | None) -> Outcome:
    if fig["not_reproducible_reason"]:
        return Outcome(computed, "not_reproducible", fig["not_reproducible_reason"])
    if computed is None:
        return Outcome(None, "differs", "unexplained: a year this figure needs is missing")
    kind = fig["comparison"]
    if kind == "exact":
        ok = str(computed) == fig["published_value"]
    elif kind == "round":
        ok = abs(computed - float(fig["published_value"])) <= float(fig["tolerance"]) / 2 + EPSILON
    elif kind == "range":
        ok = float(fig["lower"]) <= computed <= float(fig["upper"])
    elif kind == "upper_bound":
        ok = computed < float(fig["upper"])
    else:
        raise ValueError(f"unknown comparison {kind!r} for {fig['claim_id']}")
    if ok:
        return Outcome(computed, "reproduced", "")
    if fig["known_difference"]:
        return Outcome(computed, "differs", fig["known_difference"])
    return Outcome(computed, "differs", "unexplained: outside the published precision")


def _number(value: float | str | None) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _text(value: float | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def reproduction_table(ctx: BuildContext) -> pd.DataFrame:
    with FIGURES_CSV.open(newline="", encoding="utf-8") as fh:
        figures = list(csv.DictReader(fh))
    with CLAIMS_CSV.open(newline="", encoding="utf-8") as fh:
        quotes = {r["claim_id"]: r["quote"] for r in csv.DictReader(fh)}
    rows = []
    for fig in figures:
        values = series_values(ctx.con, fig["series"], fig["basis"], fig["metric"])
        if isinstance(values, str):
            computed = None
            outcome = (
                compare(fig, None)
                if fig["not_reproducible_reason"]
                else Outcome(None, "not_reproducible", values)
            )
        else:
            computed = compute(fig["metric"], values, fig["from_year"], fig["to_year"])
            outcome = compare(fig, computed)
        published_number = _number(
            None if fig["metric"] == "peak_year" else float(fig["published_value"])
        )
        computed_number = _number(outcome.computed)
        rows.append(
            {
                "claim_id": fig["claim_id"],
                "quote": quotes.get(fig["claim_id"], ""),
                "metric": fig["metric"],
                "series": fig["series"],
                "basis": fig["basis"],
                "from_year": fig["from_year"],
                "to_year": fig["to_year"],
                "published_value": fig["published_value"],
                "computed_value": _text(outcome.computed),
                "difference": (
                    computed_number - published_number
                    if computed_number is not None and published_number is not None
                    else None
                ),
                "tolerance": fig["tolerance"]
                or (
                    f"{fig['lower']} to {fig['upper']}"
                    if fig["lower"]
                    else f"< {fig['upper']}"
                    if fig["upper"]
                    else "exact"
                ),
                "status": outcome.status,
                "reason": outcome.reason,
                "citation": fig["citation"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["difference"] = frame["difference"].astype("Float64")
    return frame


def reproduction_check(ctx: BuildContext) -> list[CheckResult]:
    """Local government figures must reproduce; any other difference must carry its reason."""
    con = ctx.con
    lg = con.execute(
        "SELECT claim_id, status FROM out.reproduction WHERE basis IN ('budget', 'outturn') "
        "AND status NOT IN ('reproduced', 'not_reproducible')"
    ).fetchall()
    unexplained = con.execute(
        "SELECT claim_id FROM out.reproduction WHERE reason LIKE 'unexplained%'"
    ).fetchall()
    return [
        CheckResult(
            "local_government_figures_reproduce",
            not lg,
            "every State of the Sector local government figure is reproduced",
            observed=", ".join(f"{c}: {s}" for c, s in lg) or "all reproduced",
        ),
        CheckResult(
            "differences_explained",
            not unexplained,
            "every difference from a published figure has a recorded reason",
            observed=", ".join(c for (c,) in unexplained) or "none unexplained",
        ),
    ]
