"""Published figures, re-computed: the one evaluation behind `out.reproduction` and
`spendtrack check --claims`.

A figure's definition comes from `expectations/published_figures.csv` (chosen from what the
publication says, never until a figure matches). Spending figures are computed by
`pipeline.figures.answer.answer`; people in treatment, the share of public health and prison
spending from their own tables here. A claims file of the user's own (one row per figure, with the
fields of `spendtrack check`'s options) runs through `pipeline.figures.answer.answer` directly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import EXPECTATIONS_DIR
from pipeline.errors import SpendtrackError, UsageError
from pipeline.figures.answer import (
    ADULT_TREATMENT,
    CATEGORIES,
    EPSILON,
    Question,
    answer,
)

FIGURES_CSV = EXPECTATIONS_DIR / "published_figures.csv"
SPEND_SERIES = (*CATEGORIES, ADULT_TREATMENT)
STATISTIC_OF_METRIC = {
    "level_gbp_millions": "level",
    "change_gbp_millions": "change",
    "change_pct": "pct_change",
    "peak_year": "peak_year",
}
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


def load_figures(path: Path = FIGURES_CSV) -> list[dict[str, str]]:
    """The reference definitions. A known difference must record the value we expect to
    compute (so a drift in ours is caught), and a figure that must reproduce cannot also be
    declared not reproducible."""
    with path.open(newline="", encoding="utf-8") as fh:
        figures = list(csv.DictReader(fh))
    for line, fig in enumerate(figures, start=2):
        where = f"{path.name}, row {line} ({fig['claim_id']})"
        if fig["known_difference"] and not fig.get("expected_value"):
            raise SpendtrackError(
                f"{where}: a known difference needs expected_value, the figure we compute"
            )
        if fig["must_reproduce"] == "true" and fig["not_reproducible_reason"]:
            raise SpendtrackError(
                f"{where}: must_reproduce is true but a not_reproducible_reason is given"
            )
    return figures


def figure_question(fig: dict[str, str], prefix: str = "") -> Question | None:
    """The `check` question a spending figure asks (None for other series)."""
    series = fig[f"{prefix}series"]
    statistic = STATISTIC_OF_METRIC.get(fig["metric"])
    if series not in SPEND_SERIES or statistic is None:
        return None
    one_year = statistic == "level"
    return Question(
        category=series,
        basis=fig[f"{prefix}basis"],
        statistic=statistic,
        year=fig["to_year"] if one_year else None,
        from_year=None if one_year else fig["from_year"],
        to_year=None if one_year else fig["to_year"],
        prices=fig.get(f"{prefix}prices") or "cash",
    )


def series_values(con, series: str, basis: str, metric: str) -> dict[str, float] | str:
    """{financial_year: value} of a series that is not spending, or why there is none."""
    if metric == "share_pct":
        table, sql, params = (
            "out.share_of_public_health",
            "SELECT financial_year, share_pct FROM out.share_of_public_health WHERE basis = ?",
            [basis],
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
    schema, _, name = table.partition(".")
    held = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, name],
    ).fetchone()[0]
    if not held:
        return f"{table} is not built"
    return {fy: float(v) for fy, v in con.execute(sql, params).fetchall() if v is not None}


def compute(metric: str, values: dict[str, float], start: str, end: str) -> float | None:
    if metric in ("level_people", "share_pct", "level_gbp_millions"):
        return values.get(end)
    if start not in values or end not in values:
        return None
    change = values[end] - values[start]
    return change if metric == "change_gbp_millions" else 100 * change / values[start]


def our_figure(con, fig: dict[str, str], prefix: str = "") -> tuple[float | str | None, str]:
    """A figure's value under its definition (or the alternative one, `prefix` 'alt_'), or
    None and why it cannot be computed."""
    question = figure_question(fig, prefix)
    if question is not None:
        try:
            return answer(con, question, alternatives=False, detail=False).value, ""
        except UsageError:
            return None, ""  # a year this definition does not hold
        except SpendtrackError as exc:
            return None, exc.message  # a table not built
    values = series_values(con, fig[f"{prefix}series"], fig[f"{prefix}basis"], fig["metric"])
    if isinstance(values, str):
        return None, values
    return compute(fig["metric"], values, fig["from_year"], fig["to_year"]), ""


def _drifted(fig: dict[str, str], computed: float | str) -> bool:
    """Whether ours has moved from the value recorded with a known difference by more than
    the published precision allows."""
    expected = fig["expected_value"].replace(",", "")
    if fig["comparison"] != "round" or isinstance(computed, str):
        return str(computed) != expected
    return abs(computed - float(expected)) > float(fig["tolerance"]) / 2 + EPSILON


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
        if _drifted(fig, computed):
            return Outcome(
                computed,
                "differs",
                f"unexplained: ours is {_text(computed)}, no longer the {fig['expected_value']} "
                f"recorded with the known difference ({fig['known_difference']})",
            )
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


def evaluate_figure(con, fig: dict[str, str]) -> dict:
    """One reference figure's row of `out.reproduction` (without its quote)."""
    computed, missing = our_figure(con, fig)
    if missing and not fig["not_reproducible_reason"]:
        # a table that is not built: fails the build if the figure must reproduce
        outcome = Outcome(None, "not_reproducible", missing)
    else:
        outcome = compare(fig, computed)
    alternative = our_figure(con, fig, "alt_")[0] if fig.get("alt_series") else None
    published = _number(None if fig["metric"] == "peak_year" else float(fig["published_value"]))
    ours = _number(outcome.computed)
    return {
        "claim_id": fig["claim_id"],
        "metric": fig["metric"],
        "series": fig["series"],
        "basis": fig["basis"],
        "prices": fig["prices"],
        "definition": fig["definition"],
        "from_year": fig["from_year"],
        "to_year": fig["to_year"],
        "published_value": fig["published_value"],
        "computed_value": _text(outcome.computed),
        "difference": ours - published if ours is not None and published is not None else None,
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
