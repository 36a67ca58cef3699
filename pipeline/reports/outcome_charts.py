"""SVG charts of the outcomes beside an area's spend, drawn with matplotlib from the rows of
their CSVs: drug deaths registered each year, drug death rates against England's, and adults
in alcohol treatment with met need against England's.

As with the spend charts (`area_charts`, whose style and helpers these share), each kind of
chart is one figure per process reused for every area: only its data, title, labels and
caveat box change. A missing figure is a gap in the line with its reason over the year (never
a zero), and a panel with no figure at all says why in its middle.
"""

from __future__ import annotations

import textwrap

from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, StrMethodFormatter
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from pipeline.reports.area_charts import (
    LEGEND_COLUMN_GAP_IN,
    LEGEND_HANDLE_IN,
    LEGEND_LEFT_IN,
    LEGEND_PT,
    LEGEND_ROW_IN,
    LEGEND_TEXT_GAP_IN,
    LINE_IN,
    WIDTH_IN,
    WRAP,
    caveat_label,
    headroom,
    label_offset_in,
    no_tick_boxes,
    panel_figure,
    svg_text,
    text_width_in,
)
from pipeline.reports.outcomes import Notes, unreliable

TOP_IN = 0.55  # title
AXES_IN = 2.6  # height of the plotting area
KEY_TOP_IN = 0.42  # the key's first row, below the year labels
NAN = float("nan")
MISUSE, POISONING, ALCOHOL, ENGLAND = "#b2182b", "#6a3d9a", "#2166ac", "#222222"
AREA_LINE = {"lw": 1.6, "marker": "o", "ms": 3.5}
ENGLAND_LINE = {"lw": 1.2, "ls": "--", "marker": "o", "ms": 2.5}
SHAKY = {"ls": "none", "marker": "o", "ms": 5, "mfc": "white", "mec": "#444444", "mew": 1.1}


class OutcomeChart:
    """One or two panels over a run of years or periods, labelled every `step`-th ending
    with the latest, a key under the first panel and a caveat box under that."""

    def __init__(self, xs: list[str], panels: tuple[tuple[str, str], ...], step: int) -> None:
        self.xs = xs
        self.fig, self.slots, self.axes, self.title, self.box = panel_figure(4.0, len(panels))
        ticks = list(range((len(xs) - 1) % step, len(xs), step))
        for ax, (ylabel, subtitle) in zip(self.axes, panels, strict=True):
            ax.set_xlim(-0.6, len(xs) - 0.4)
            ax.set_xticks(ticks, [xs[i] for i in ticks], fontsize=8)
            ax.set_ylabel(ylabel)
            ax.set_title(subtitle, fontsize=9, loc="left", y=1.0)
            ax.xaxis.set_label_coords(0.5, 0.0)
            for axis in (ax.xaxis, ax.yaxis):  # placed by hand (see area_charts.AreaChart)
                axis._get_ticklabel_bboxes = no_tick_boxes
            ax.grid(axis="y", alpha=0.3)
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(axis="both", which="both", bottom=False, left=False)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # fewer labels
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        self._dynamic: list = []
        self.bottom_in = KEY_TOP_IN  # x labels and key: set with the key

    def line(self, panel: int, style: dict) -> Line2D:
        return self.axes[panel].plot([], [], **style)[0]

    def key(self, entries: list[tuple[dict, str]], ncols: int) -> None:
        """The key under the first panel, column by column, laid out once by hand (a
        matplotlib legend lays itself out again at every save; see AreaChart.legend). An
        entry is a line style, or {"band": colour} for a shaded band, and its text."""
        # inches from the panel's lower-left corner, which moves with each area's height
        inches = self.fig.dpi_scale_trans + ScaledTranslation(0, 0, self.axes[0].transAxes)
        rows = -(-len(entries) // ncols)
        self.bottom_in = KEY_TOP_IN + rows * LEGEND_ROW_IN + 0.05  # x labels and key
        x = LEGEND_LEFT_IN
        for first in range(0, len(entries), rows):
            column = entries[first : first + rows]
            for row, (style, label) in enumerate(column):
                y = -KEY_TOP_IN - row * LEGEND_ROW_IN
                if "band" in style:
                    handle = Rectangle(
                        (x, y - 0.04), LEGEND_HANDLE_IN, 0.08, transform=inches, lw=0,
                        color=style["band"], alpha=0.3,
                    )  # fmt: skip
                elif style.get("ls") == "none":  # a marker alone, in the middle
                    handle = Line2D([x + LEGEND_HANDLE_IN / 2], [y], transform=inches, **style)
                else:  # a line: its markers show only on a point alone (set_line)
                    line = {k: v for k, v in style.items() if k not in ("marker", "ms")}
                    ends = [x, x + LEGEND_HANDLE_IN]
                    handle = Line2D(ends, [y] * 2, transform=inches, **line)
                self.fig.add_artist(handle)
                self.fig.text(
                    x + LEGEND_HANDLE_IN + LEGEND_TEXT_GAP_IN, y, label, transform=inches,
                    fontsize=LEGEND_PT, va="center",
                )  # fmt: skip
            widest = max(text_width_in(label) for _style, label in column)
            x += LEGEND_HANDLE_IN + LEGEND_TEXT_GAP_IN + widest + LEGEND_COLUMN_GAP_IN

    @staticmethod
    def set_line(artist: Line2D, values: list[float]) -> None:
        """A line over the x axis, broken where a value is missing; a point with no neighbour
        on either side gets its marker (it would not show as a line), the others none."""
        n = len(values)
        alone = [
            i
            for i, v in enumerate(values)
            if v == v
            and (i == 0 or values[i - 1] != values[i - 1])
            and (i == n - 1 or values[i + 1] != values[i + 1])
        ]
        artist.set_data(range(n), values)
        artist.set_markevery(alone)

    def values(self, rows: list[dict], x: str, column: str) -> list[float]:
        """The column's values over the x axis, NaN where missing: the line breaks there."""
        at = {str(r[x]): r[column] for r in rows}
        return [NAN if at.get(v) is None else at[v] for v in self.xs]

    def clear(self) -> None:
        """Remove the last area's labels, messages and bands (each draw starts with it)."""
        for artist in self._dynamic:
            artist.remove()
        self._dynamic = []

    def render(self, title: str, notes: Notes, tops: list[float | None]) -> str:
        """`tops`: each panel's y limit, None for a panel with no figure at all (its axis
        then has no numbers)."""
        wrapped = [w for line in notes.lines for w in textwrap.wrap(line, WRAP) or [""]]
        height = TOP_IN + AXES_IN + self.bottom_in + LINE_IN * len(wrapped) + 0.15
        self.fig.set_size_inches(WIDTH_IN, height)
        bottom = (self.bottom_in + LINE_IN * len(wrapped) + 0.15) / height
        upper = 1 - TOP_IN / height
        for ax, (left, width), top in zip(self.axes, self.slots, tops, strict=True):
            ax.set_position((left, bottom, width, upper - bottom))
            ax.set_ylim(0, top or 1.0)
            ax.yaxis.set_tick_params(labelleft=top is not None)
            offset = label_offset_in(ax, top) if top else 0.1
            ax.yaxis.set_label_coords(-offset / (width * WIDTH_IN), 0.5)
        self.title.set_text(title)
        self.title.set_y(1 - 0.12 / height)
        self.box.set_text("\n".join(wrapped))
        self.box.set_y((LINE_IN * len(wrapped) + 0.1) / height)
        for ax, labels, empty in zip(self.axes, notes.labels, notes.empty, strict=True):
            over = blended_transform_factory(ax.transData, ax.transAxes)
            for x, texts in labels.items():
                words = [w for text in texts for w in text.split()]
                self._dynamic.append(caveat_label(ax, self.xs.index(x), 0.985, words, over))
            if empty:
                self._dynamic.append(
                    ax.text(
                        0.5,
                        0.55,
                        "\n".join(textwrap.wrap(empty, 60)),
                        transform=ax.transAxes,
                        ha="center",
                        va="center",
                        fontsize=9,
                        color="#8c510a",
                    )
                )
        return svg_text(self.fig)


class DeathsChart(OutcomeChart):
    """Deaths related to drug poisoning and, of them, to drug misuse, registered each year."""

    def __init__(self, years: list[str]) -> None:
        super().__init__(
            years, (("deaths registered in the year", "Registrations, residents (ONS)"),), 4
        )
        poisoning = AREA_LINE | {"color": POISONING, "ms": 3}
        misuse = AREA_LINE | {"color": MISUSE, "ms": 3}
        self.poisoning, self.misuse = self.line(0, poisoning), self.line(0, misuse)
        self.key(
            [
                (poisoning, "deaths related to drug poisoning (all)"),
                (misuse, "of which related to drug misuse"),
            ],
            ncols=2,
        )

    def draw(self, rows: list[dict], notes: Notes, title: str) -> str:
        self.clear()
        poisoning = self.values(rows, "year", "deaths_drug_poisoning")
        misuse = self.values(rows, "year", "deaths_drug_misuse")
        self.set_line(self.poisoning, poisoning)
        self.set_line(self.misuse, misuse)
        return self.render(title, notes, [_top(poisoning + misuse)])


class RatesChart(OutcomeChart):
    """The area's age-standardised drug misuse and drug poisoning death rates with their
    confidence intervals, against England's."""

    def __init__(self, periods: list[str]) -> None:
        super().__init__(
            periods,
            (("deaths per 100,000, age-standardised", "Three registration years pooled"),),
            2,
        )
        self.lines = {}
        entries = []
        for series, base, where in (
            ("area", AREA_LINE, "this area"),
            ("england", ENGLAND_LINE, "England"),
        ):
            for measure, colour in (("poisoning", POISONING), ("misuse", MISUSE)):
                style = base | {"color": colour}
                self.lines[(measure, series)] = self.line(0, style)
                entries.append((style, f"drug {measure}, {where}"))
        self.shaky = self.line(0, SHAKY | {"zorder": 4})
        entries += [
            ({"band": "#999999"}, "95% confidence interval"),
            (SHAKY, "unreliable (fewer than 20 deaths)"),
        ]
        self.key(entries, ncols=3)

    def draw(self, rows: list[dict], notes: Notes, title: str) -> str:
        self.clear()
        xs = range(len(self.xs))
        highest: list[float] = []
        shaky: list[tuple[int, float]] = []
        for (measure, series), artist in self.lines.items():
            mine = [r for r in rows if r["measure"] == measure and r["series"] == series]
            rates = self.values(mine, "period", "rate_per_100k")
            self.set_line(artist, rates)
            highest += _finite(rates)
            if series != "area":
                continue
            upper = self.values(mine, "period", "ci_upper")
            highest += _finite(upper)
            self._dynamic.append(
                self.axes[0].fill_between(
                    xs,
                    self.values(mine, "period", "ci_lower"),
                    upper,
                    color=artist.get_color(),
                    alpha=0.15,
                    lw=0,
                )
            )
            shaky += [
                (self.xs.index(r["period"]), r["rate_per_100k"]) for r in mine if unreliable(r)
            ]
        self.shaky.set_data([p[0] for p in shaky], [p[1] for p in shaky])
        return self.render(title, notes, [_top(highest)])


class AlcoholChart(OutcomeChart):
    """Adults in alcohol treatment, and met need beside England's."""

    def __init__(self, years: list[str]) -> None:
        super().__init__(
            years,
            (
                ("adults in alcohol treatment", "People in treatment in the year"),
                ("% of dependent drinkers in treatment", "Met need"),
            ),
            2,
        )
        area, england = AREA_LINE | {"color": ALCOHOL}, ENGLAND_LINE | {"color": ENGLAND}
        self.people, self.met_need = self.line(0, area), self.line(1, area)
        self.england = self.line(1, england)
        self.key([(area, "this area"), (england, "England (met need only)")], ncols=2)

    def draw(self, rows: list[dict], notes: Notes, title: str) -> str:
        self.clear()
        own = [r for r in rows if r["series"] == "area"]
        england = [r for r in rows if r["series"] == "england"]
        people = self.values(own, "financial_year", "people_in_treatment")
        met_need = self.values(own, "financial_year", "met_need_pct")
        national = self.values(england, "financial_year", "met_need_pct")
        self.set_line(self.people, people)
        self.set_line(self.met_need, met_need)
        self.set_line(self.england, national)
        tops = [_top(people), _top(met_need + national)]
        return self.render(title, notes, tops)


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if v == v]  # NaN is not equal to itself


def _top(values: list[float]) -> float | None:
    """The y limit with headroom for the labels over the years; None without a figure."""
    finite = _finite(values)
    return headroom(finite) if finite else None
