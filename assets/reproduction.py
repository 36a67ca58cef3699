"""out.reproduction: every published figure we can check, re-computed, with the difference.

The claims are data (`expectations/published_figures.csv`, quotes from
`data_raw/published/state_of_the_sector_2017_claims.csv` and `secondary_claims.csv`); this
module only knows how to compute each metric from our own tables, in cash or in 2024-25
prices, and how to compare it at the published precision. Where a publication's definition
is not one we hold, the row computes the nearest one, names it (`definition`) and may give a
second, alternative definition's figure beside it; the definitions are chosen from what the
publication says, never until a figure matches.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pandas as pd

from pipeline.config import DATA_RAW_DIR, EXPECTATIONS_DIR
from pipeline.model import BuildContext, CheckResult

FIGURES_CSV = EXPECTATIONS_DIR / "published_figures.csv"
CLAIMS_CSV = DATA_RAW_DIR / "published" / "state_of_the_sector_2017_claims.csv"
SECONDARY_CLAIMS = "published_secondary_claims"  # source id of the other publications' claims
EPSILON = 1e-9

# Where each series' yearly values come from: (table, value column, filter column, filter value).
SPEND_CATEGORIES = ("drugs", "alcohol", "adults", "young_people", "all_substance_misuse")
# Series that are sums of canonical lines (England, net current expenditure).
LINE_SERIES = {"adult_treatment": ("drug_treatment", "alcohol_treatment")}
UNITS = {"change_gbp_millions": "£m", "level_gbp_millions": "£m", "change_pct": "%"}
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


def series_values(
    con, series: str, basis: str, metric: str, prices: str = "cash"
) -> dict[str, float] | str:
    """{financial_year: value}, or a reason string when the series has no source table.

    `prices` is "cash" or "real" (2024-25 prices, the default deflator).
    """
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
        column = "value_real_gbp_millions" if prices == "real" else "value_gbp_millions"
        table, sql, params = (
            "out.spend_trends",
            f"SELECT financial_year, {column} FROM out.spend_trends "
            "WHERE basis = ? AND category = ?",
            [basis, series],
        )
    elif series in LINE_SERIES:
        lines = LINE_SERIES[series]
        total = "sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands))"
        if prices == "real":
            total = f"real_terms({total}, financial_year, '2024-25')"
        table, sql, params = (
            "core.england_substance_misuse_spend",
            f"SELECT financial_year, {total} / 1000 FROM core.england_substance_misuse_spend "
            "WHERE basis = ? AND measure = 'net_current_expenditure' "
            f"AND canonical_line IN ({', '.join('?' for _ in lines)}) "
            "GROUP BY financial_year HAVING count(*) = ?",  # every line held that year
            [basis, *lines, len(lines)],
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


def _with_unit(value: float | str | None, metric: str) -> str:
    text = _text(value)
    unit = UNITS.get(metric, "")
    if not text or not unit:
        return text or "none held"
    if unit == "%":
        return f"{text}%"
    return f"-£{text[1:]}m" if text.startswith("-") else f"£{text}m"


def our_figure(con, fig: dict[str, str], prefix: str = "") -> tuple[float | str | None, str]:
    """The figure for a definition (`series`, `basis`, `prices` under `prefix`), or a reason."""
    values = series_values(
        con,
        fig[f"{prefix}series"],
        fig[f"{prefix}basis"],
        fig["metric"],
        fig.get(f"{prefix}prices") or "cash",
    )
    if isinstance(values, str):
        return None, values
    return compute(fig["metric"], values, fig["from_year"], fig["to_year"]), ""


def explain(fig: dict[str, str], outcome: Outcome, alternative: float | str | None) -> str:
    """A reason that gives the numbers: ours (and what it is), theirs, then why they differ."""
    if outcome.status == "reproduced" or not fig.get("definition"):
        return outcome.reason
    metric = fig["metric"]
    parts = [
        f"ours, {fig['definition']}: {_with_unit(outcome.computed, metric)}",
        f"theirs: {_with_unit(float(fig['published_value']), metric)}",
    ]
    if fig.get("alt_definition"):
        parts.append(f"{fig['alt_definition']}: {_with_unit(alternative, metric)}")
    reason = outcome.reason[:1].upper() + outcome.reason[1:]
    return "; ".join(parts) + (f". {reason}" if reason else "")


def claim_quotes(ctx: BuildContext) -> dict[str, str]:
    """Each claim's quote: State of the Sector 2017 and the secondary publications."""
    quotes = {}
    secondary = ctx.source(SECONDARY_CLAIMS).path
    for path in (CLAIMS_CSV, secondary):
        with path.open(newline="", encoding="utf-8") as fh:
            quotes.update({r["claim_id"]: r["quote"] for r in csv.DictReader(fh)})
    return quotes


def reproduction_table(ctx: BuildContext) -> pd.DataFrame:
    with FIGURES_CSV.open(newline="", encoding="utf-8") as fh:
        figures = list(csv.DictReader(fh))
    quotes = claim_quotes(ctx)
    rows = []
    for fig in figures:
        if fig["claim_id"] not in quotes:
            raise ValueError(f"{FIGURES_CSV.name}: claim {fig['claim_id']!r} has no quote")
        computed, missing = our_figure(ctx.con, fig)
        if missing:
            outcome = (
                compare(fig, None)
                if fig["not_reproducible_reason"]
                else Outcome(None, "not_reproducible", missing)
            )
        else:
            outcome = compare(fig, computed)
        alternative = our_figure(ctx.con, fig, "alt_")[0] if fig.get("alt_series") else None
        published_number = _number(
            None if fig["metric"] == "peak_year" else float(fig["published_value"])
        )
        computed_number = _number(outcome.computed)
        rows.append(
            {
                "claim_id": fig["claim_id"],
                "quote": quotes[fig["claim_id"]],
                "metric": fig["metric"],
                "series": fig["series"],
                "basis": fig["basis"],
                "prices": fig["prices"],
                "definition": fig["definition"],
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
                "reason": explain(fig, outcome, alternative),
                "must_reproduce": fig["must_reproduce"] == "true",
                "citation": fig["citation"],
            }
        )
    frame = pd.DataFrame(rows)
    frame["difference"] = frame["difference"].astype("Float64")
    return frame


def reproduction_check(ctx: BuildContext) -> list[CheckResult]:
    """Figures whose method is the publication's own must reproduce; any other difference
    must carry its reason."""
    con = ctx.con
    lg = con.execute(
        "SELECT claim_id, status FROM out.reproduction WHERE must_reproduce "
        "AND status NOT IN ('reproduced', 'not_reproducible')"
    ).fetchall()
    unexplained = con.execute(
        "SELECT claim_id FROM out.reproduction WHERE reason LIKE 'unexplained%'"
    ).fetchall()
    return [
        CheckResult(
            "local_government_figures_reproduce",
            not lg,
            "every figure whose method is the publication's own (must_reproduce: the State of "
            "the Sector 2017 local government figures) is reproduced",
            observed=", ".join(f"{c}: {s}" for c, s in lg) or "all reproduced",
        ),
        CheckResult(
            "differences_explained",
            not unexplained,
            "every difference from a published figure has a recorded reason",
            observed=", ".join(c for (c,) in unexplained) or "none unexplained",
        ),
    ]
