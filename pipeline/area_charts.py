"""SVG charts for the council area pages, drawn with matplotlib from the rows of their CSVs.

Each function takes the rows a page's CSV holds (dicts keyed by the CSV's columns) and returns
the SVG text, so that a chart can only show what its CSV says. Every caveat is drawn on the
chart: a ring and a "?" on a suspect figure, and labels over the years where a figure is
missing, partial (not all of the area's councils reported) or includes an imputed record, a
dashed line where the area's councils were reorganised, and a caveat box under the axes that
spells each mark out for this area.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402 (the backend must be chosen first)
from matplotlib.ticker import StrMethodFormatter  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller files, crisp, searchable
        "svg.hashsalt": "spendtrack",  # the same data gives the same SVG bytes
        "font.family": "DejaVu Sans",
        "font.size": 9,
    }
)

CATEGORY_STYLE = {  # label, colour: the colours of the national report's charts
    "adults": ("All adult services (drugs + alcohol)", "#6a3d9a"),
    "drugs": ("Adult drug services", "#b2182b"),
    "alcohol": ("Adult alcohol services", "#2166ac"),
    "young_people": ("Young people's services", "#1b7837"),
}
SERIES_STYLE = {  # per-head series: label, colour, line style
    "area": ("this area", "#6a3d9a", "-"),
    "england": ("England (areas with a sound figure)", "#222222", "--"),
    "class_median": ("median of its class", "#999999", ":"),
}
CLASS_NAME = {  # one of them
    "SC": "county council",
    "UA": "unitary authority",
    "MD": "metropolitan district",
    "L": "London borough",
}
CLASS_NAMES = {
    "SC": "county councils",
    "UA": "unitary authorities",
    "MD": "metropolitan districts",
    "L": "London boroughs",
}
WIDTH_IN = 10.0
AXES_IN = 3.1  # height of the plotting area
TOP_IN = 0.55  # title
BOTTOM_IN = 1.35  # year labels and legend
LINE_IN = 0.16  # one caveat line
WRAP = 150  # characters per caveat line


@dataclass
class Caveats:
    """What a chart must say about its figures, year by year."""

    years: list[str]
    reorganisations: list[tuple[str, str]] = field(default_factory=list)  # (year, text)
    year_labels: dict[str, list[str]] = field(default_factory=dict)  # year -> short labels
    lines: list[str] = field(default_factory=list)  # the caveat box, in words

    def label(self, year: str, text: str) -> None:
        labels = self.year_labels.setdefault(year, [])
        if text not in labels:
            labels.append(text)


class AreaChart:
    """One figure reused for every area: axes, ticks and legend are built once, and each
    area only sets its data, limits and caveats before the figure is saved. Building a
    matplotlib figure costs several times what drawing it does, and there are 150 areas."""

    def __init__(self, years: list[str], panels: tuple[tuple[str, str], ...]) -> None:
        self.years = years
        self.fig = Figure(figsize=(WIDTH_IN, 5.0))
        # one or two panels side by side: (left, width) in figure fractions
        self.slots = [(0.075, 0.91)] if len(panels) == 1 else [(0.075, 0.41), (0.575, 0.41)]
        self.axes = [self.fig.add_axes((left, 0.3, width, 0.6)) for left, width in self.slots]
        self.title = self.fig.suptitle("", fontsize=11, va="top")
        self.box = self.fig.text(
            0.02, 0.1, "", fontsize=7.5, va="top", ha="left", color="#5a3a06", linespacing=1.25
        )
        self.panels = panels
        for ax, (ylabel, subtitle) in zip(self.axes, panels, strict=True):
            ax.set_xlim(-0.6, len(years) - 0.4)
            ax.set_xticks(range(len(years)), years, rotation=45, ha="right", fontsize=8)
            ax.set_ylabel(ylabel)
            ax.set_title(subtitle, fontsize=9, loc="left")
            ax.grid(axis="y", alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
            # no tick marks: the grid and the labels say it, and each mark is a line to draw
            ax.tick_params(axis="both", which="both", bottom=False, left=False)
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        self.rings = [
            ax.plot(
                [], [], ls="none", marker="o", ms=12, mfc="none", mec="#d95f02", mew=1.4, zorder=4
            )[0]
            for ax in self.axes
        ]
        self._dynamic: list = []  # the last area's caveat artists, removed before the next

    def lines(self, style: dict, label: str | None) -> tuple[list, list]:
        """A budget line and an outturn-diamond series on each panel."""
        budget = [
            ax.plot([], [], marker="o", ms=3.5, lw=1.6, **style, label=label if i == 0 else None)[0]
            for i, ax in enumerate(self.axes)
        ]
        outturn = [
            ax.plot(
                [],
                [],
                ls="none",
                marker="D",
                ms=5,
                mec="white",
                mew=0.6,
                color=style["color"],
                zorder=3,
            )[0]
            for ax in self.axes
        ]
        return budget, outturn

    def legend(self, ncols: int) -> None:
        ax = self.axes[0]
        ax.plot([], [], color="grey", marker="o", ms=3.5, label="budget (RA): lines")
        ax.plot([], [], color="grey", ls="none", marker="D", ms=5, label="outturn (RO3): diamonds")
        ax.plot(
            [],
            [],
            ls="none",
            marker="o",
            ms=11,
            mfc="none",
            mec="#d95f02",
            mew=1.4,
            label="? suspect figure (see below)",
        )
        self.legend_artist = ax.legend(
            fontsize=7.5,
            loc="upper left",
            bbox_to_anchor=(0.0, -0.2),
            ncols=ncols,
            frameon=False,
            columnspacing=1.2,
        )

    def plot(self, rows: list[dict], key: str) -> list[list[tuple[int, float]]]:
        """Put each series' budget (line) and outturn (markers) on every panel; return the
        suspect points per panel. `key` names the row field that picks the series."""
        x = {y: i for i, y in enumerate(self.years)}
        suspects: list[list[tuple[int, float]]] = [[] for _ in self.axes]
        for name, (budget, outturn) in self.series.items():
            for panel, column in enumerate(self.COLUMNS):
                for basis, artist in (("budget", budget[panel]), ("outturn", outturn[panel])):
                    mine = [
                        r
                        for r in rows
                        if r[key] == name and r["basis"] == basis and r[column] is not None
                    ]
                    pts = {x[r["financial_year"]]: r[column] for r in mine}
                    if basis == "budget":
                        self.set_series(artist, pts)
                    else:
                        artist.set_data(list(pts), list(pts.values()))
                    suspects[panel] += [
                        (x[r["financial_year"]], r[column]) for r in mine if r["is_suspect"]
                    ]
        return suspects

    def set_series(self, artists: list, values: dict[int, float]) -> None:
        """Budget lines break at a missing year instead of bridging it."""
        n = len(self.years)
        artists.set_data(range(n), [values.get(i, float("nan")) for i in range(n)])

    def render(
        self, title: str, caveats: Caveats, top: float, suspects: list[list[tuple[int, float]]]
    ) -> str:
        for artist in self._dynamic:
            artist.remove()
        self._dynamic = []
        n_lines = _line_count(caveats)
        height = TOP_IN + AXES_IN + BOTTOM_IN + LINE_IN * n_lines + 0.15
        self.fig.set_size_inches(WIDTH_IN, height)
        bottom = (BOTTOM_IN + LINE_IN * n_lines + 0.15) / height
        upper = 1 - TOP_IN / height
        for ax, (left, width) in zip(self.axes, self.slots, strict=True):
            ax.set_position((left, bottom, width, upper - bottom))
            ax.set_ylim(0, top)
        self.title.set_text(title)
        self.title.set_y(1 - 0.12 / height)
        self.box.set_text(
            "\n".join(
                wrapped for line in caveats.lines for wrapped in textwrap.wrap(line, WRAP) or [""]
            )
        )
        self.box.set_y((LINE_IN * n_lines + 0.1) / height)
        for ax, ring, points in zip(self.axes, self.rings, suspects, strict=True):
            ring.set_data([p[0] for p in points], [p[1] for p in points])
            for px, py in points:
                self._dynamic.append(
                    ax.annotate(
                        "?",
                        (px, py),
                        xytext=(5, 4),
                        textcoords="offset points",
                        fontsize=9,
                        fontweight="bold",
                        color="#d95f02",
                    )
                )
            self._dynamic.extend(self._frame(ax, caveats))
        return _svg(self.fig)

    def _frame(self, ax, caveats: Caveats) -> list:
        """The caveat labels over their years, reorganisations as dashed lines."""
        years = self.years
        over = blended_transform_factory(ax.transData, ax.transAxes)
        made = []
        for year, labels in caveats.year_labels.items():
            if year in years:
                made.append(
                    ax.text(
                        years.index(year),
                        0.985,
                        "\n".join(labels),
                        transform=over,
                        ha="center",
                        va="top",
                        fontsize=6.5,
                        color="#8c510a",
                        linespacing=1.1,
                    )
                )
        for year, _text in caveats.reorganisations:
            if year in years:
                x = years.index(year) - 0.5
                made.append(ax.axvline(x, color="#8c510a", ls="--", lw=0.9))
                made.append(
                    ax.text(
                        x - 0.08,
                        0.5,
                        "reorganised",
                        transform=over,
                        rotation=90,
                        ha="right",
                        va="center",
                        fontsize=7,
                        color="#8c510a",
                    )
                )
        return made


def short_price_base(price_base: str) -> str:
    """'2024-25 prices (hmt_2026_03)' -> '2024-25 prices' (the panel title names the series)."""
    return price_base.split(" (", 1)[0]


def deflated(price_base: str) -> str:
    """'2024-25 prices (hmt_2026_03)' -> '2024-25 prices (GDP deflator hmt_2026_03)'."""
    return price_base.replace(" (", " (GDP deflator ", 1)


def _line_count(caveats: Caveats) -> int:
    return sum(max(1, len(textwrap.wrap(line, WRAP))) for line in caveats.lines)


def _top(values: list[float | None]) -> float:
    """Headroom above the highest value for the caveat labels."""
    highest = max((v for v in values if v is not None), default=0.0)
    return 1.32 * highest if highest > 0 else 1.0


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


class SpendChart(AreaChart):
    """Budget (lines) and outturn (diamonds) by category: cash beside 2024-25 prices."""

    COLUMNS = ("value_gbp_thousands", "value_real_gbp_thousands")

    def __init__(self, years: list[str], price_base: str) -> None:
        prices = short_price_base(price_base)
        super().__init__(
            years,
            (
                ("£ thousand, cash", "Cash (as the files print it)"),
                (f"£ thousand, {prices}", f"Real terms: {deflated(price_base)}"),
            ),
        )
        self.series = {
            c: self.lines({"color": colour}, label) for c, (label, colour) in CATEGORY_STYLE.items()
        }
        self.legend(ncols=3)

    def draw(self, rows: list[dict], caveats: Caveats, title: str) -> str:
        suspects = self.plot(rows, "category")
        top = _top([r[c] for r in rows for c in self.COLUMNS])
        return self.render(title, caveats, top, suspects)


class PerHeadChart(AreaChart):
    """The area's adult spend per resident against England and its class median, in real
    terms only: over a decade only real terms compare (cash is on the spend chart)."""

    COLUMNS = ("spend_per_head_real_gbp",)

    def __init__(self, years: list[str], price_base: str) -> None:
        prices = short_price_base(price_base)
        super().__init__(
            years, ((f"£ per resident, {prices}", f"Real terms: {deflated(price_base)}"),)
        )
        self.series = {
            s: self.lines({"color": colour, "ls": style}, label)
            for s, (label, colour, style) in SERIES_STYLE.items()
        }
        self.legend(ncols=4)
        self.median_entry = self.legend_artist.get_texts()[2]

    def draw(self, rows: list[dict], caveats: Caveats, title: str, class_label: str) -> str:
        self.median_entry.set_text(f"median of {class_label}")
        suspects = self.plot(rows, "series")
        top = _top([r[c] for r in rows for c in self.COLUMNS])
        return self.render(title, caveats, top, suspects)


def treatment_chart(rows: list[dict]) -> str:
    """England's people in treatment: adults, and young people on each basis, never joined."""
    years = sorted({r["financial_year"] for r in rows})
    x = {y: i for i, y in enumerate(years)}
    fig = Figure(figsize=(WIDTH_IN, 4.0))
    ax = fig.add_axes((0.09, 0.3, 0.88, 0.58))
    styles = {
        ("adults", "ndtms"): ("adults (all substances)", "#6a3d9a", "-"),
        ("young_people", "original"): ("under-18s, original basis (to 2018-19)", "#1b7837", "-"),
        ("young_people", "revised"): ("under-18s, revised basis (from 2018-19)", "#1b7837", "--"),
    }
    for (cohort, basis), (label, colour, style) in styles.items():
        pts = [
            (x[r["financial_year"]], r["people"])
            for r in rows
            if r["cohort"] == cohort and r["basis"] == basis and r["people"] is not None
        ]
        if pts:
            ax.plot(*zip(*pts, strict=True), color=colour, ls=style, marker="o", ms=3, label=label)
    ax.set_xticks(range(len(years)), years, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("people in treatment in the year")
    ax.set_ylim(0, 1.1 * max(r["people"] for r in rows))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, loc="center right", frameon=False)
    fig.suptitle(
        "People in drug and alcohol treatment, ENGLAND (NDTMS): no per-council "
        "treatment counts are held",
        fontsize=11,
        y=0.97,
    )
    return _svg(fig)
