"""The report's charts, drawn from the published database into PNG files with matplotlib.

Each function takes an open read-only DuckDB connection and the output path, reads only `out`
tables, and returns the path. matplotlib is imported here (Agg, no screen) so that no other
command pays for it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)

CATEGORY_STYLE = {  # label, colour: the same colour for a category on every chart
    "drugs": ("Adult drug services", "#b2182b"),
    "alcohol": ("Adult alcohol services", "#2166ac"),
    "young_people": ("Young people's services", "#1b7837"),
    "adults": ("All adult services", "#6a3d9a"),
}
DPI = 110


def _years(rows: list[tuple]) -> list[str]:
    return sorted({r[0] for r in rows})


def _finish(fig, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _series(con, table: str, value: str, where: str) -> dict[str, float]:
    """financial_year -> value from one of the out tables."""
    return dict(
        con.execute(f"SELECT financial_year, {value} FROM {table} WHERE {where}").fetchall()
    )


def national_spend(con, path: Path) -> Path:
    """England spend by category, budget (lines) and outturn (markers): cash beside real terms."""
    rows = con.execute(
        "SELECT financial_year, basis, category, value_gbp_millions, value_real_gbp_millions, "
        "price_base FROM out.spend_trends "
        "WHERE category IN ('drugs', 'alcohol', 'young_people', 'adults') ORDER BY fy_start"
    ).fetchall()
    years = _years(rows)
    x = {y: i for i, y in enumerate(years)}
    price_base = next(r[5] for r in rows if r[5])
    top = 1.3 * max(max(r[3], r[4] or 0) for r in rows)  # headroom for the legend
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, column, unit in (
        (axes[0], 3, "£ million, cash"),
        (axes[1], 4, f"£ million, {price_base}"),
    ):
        for category, (label, colour) in CATEGORY_STYLE.items():
            budget = [(x[r[0]], r[column]) for r in rows if r[2] == category and r[1] == "budget"]
            outturn = [(x[r[0]], r[column]) for r in rows if r[2] == category and r[1] == "outturn"]
            if budget:
                ax.plot(*zip(*budget, strict=True), color=colour, marker="o", ms=3, label=label)
            if outturn:
                ax.scatter(*zip(*outturn, strict=True), color=colour, marker="D", s=28, zorder=3)
        ax.set_xticks(range(len(years)), years, rotation=45, ha="right")
        ax.set_ylabel(unit)
        ax.set_ylim(0, top)
        ax.grid(axis="y", alpha=0.3)
        ax.yaxis.set_tick_params(labelleft=True)
    axes[0].set_title("Cash (as the files print it)", fontsize=10)
    axes[1].set_title(f"Real terms: {price_base}", fontsize=10)
    axes[0].scatter([], [], color="grey", marker="D", s=28, label="outturn (RO3), same colours")
    axes[0].legend(fontsize=8, loc="upper left", ncols=2)
    fig.suptitle("Local authority substance misuse spend, England: budget (lines) and outturn")
    return _finish(fig, path)


def treatment_against_spend(con, path: Path) -> Path:
    """Adults: spend and people in treatment, each as an index with 2013-14 = 100."""
    spend = _series(
        con, "out.spend_trends", "value_gbp_millions", "basis = 'budget' AND category = 'adults'"
    )
    people = _series(
        con, "out.treatment_trends", "people", "cohort = 'adults' AND substance_group = 'total'"
    )
    young_spend = _series(
        con,
        "out.spend_trends",
        "value_gbp_millions",
        "basis = 'budget' AND category = 'young_people'",
    )
    young = _series(
        con, "out.treatment_trends", "people", "cohort = 'young_people' AND basis = 'original'"
    )
    years = sorted(set(spend) | set(people) | set(young))
    years = [y for y in years if y >= "2013-14"]
    x = {y: i for i, y in enumerate(years)}

    def index(series: dict[str, float]) -> tuple[list[int], list[float]]:
        base = series["2013-14"]
        pts = [(x[y], 100 * v / base) for y, v in sorted(series.items()) if y in x]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig, ax = plt.subplots(figsize=(9, 5.4))
    ax.plot(*index(spend), color="#6a3d9a", marker="o", ms=3, label="adult spend (budget, cash)")
    ax.plot(*index(people), color="#6a3d9a", ls="--", marker="s", ms=3, label="adults in treatment")
    ax.plot(*index(young_spend), color="#1b7837", marker="o", ms=3, label="young people's spend")
    ax.plot(
        *index(young),
        color="#1b7837",
        ls="--",
        marker="s",
        ms=3,
        label="young people in treatment (original basis, to 2018-19)",
    )
    ax.axhline(100, color="grey", lw=0.8)
    ax.set_xticks(range(len(years)), years, rotation=45, ha="right")
    ax.set_ylabel("index, 2013-14 = 100")
    ax.set_title("Spend and people in treatment, England (2013-14 = 100)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=2, frameon=False)
    return _finish(fig, path)


def council_changes(con, path: Path) -> Path:
    """Distribution of councils' change in adult spend, first to latest budget year."""
    rows = con.execute(
        "SELECT change_pct, large_fall_threshold_pct, first_year, latest_year "
        "FROM out.la_disinvestment WHERE basis = 'budget' AND category = 'adults' "
        "AND is_comparable"
    ).fetchall()
    changes = [r[0] for r in rows]
    threshold, first, latest = rows[0][1], rows[0][2], rows[0][3]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    # A few councils with tiny 2013-14 budgets grew many times over: they share one last bin
    # so that the bulk of the distribution stays readable.
    cap = 100
    low = 5 * (int(min(changes)) // 5 - 1)
    clipped = [min(c, cap + 2.5) for c in changes]
    ax.hist(clipped, bins=range(low, cap + 10, 5), color="#6a3d9a", alpha=0.8, edgecolor="white")
    over = sum(c > cap for c in changes)
    if over:
        ax.annotate(
            f"{over} over +{cap}%\n(max +{max(changes):,.0f}%)",
            xy=(cap + 2.5, over),
            xytext=(cap - 25, 8),
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "grey"},
        )
    ax.axvline(0, color="black", lw=0.8)
    ax.axvline(threshold, color="#b2182b", ls="--", label=f"large fall: {threshold:.0f}% or more")
    falls = sum(c <= threshold for c in changes)
    ax.set_xlabel(f"change in adult substance misuse budget, {first} to {latest}, % (cash)")
    ax.set_ylabel("councils")
    ax.set_title(
        f"{len(changes)} comparable council areas: {sum(c < 0 for c in changes)} cut, "
        f"{falls} by a quarter or more"
    )
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


CHARTS = {
    "national_spend.png": national_spend,
    "treatment_against_spend.png": treatment_against_spend,
    "council_changes.png": council_changes,
}
