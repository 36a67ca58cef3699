"""SVG charts for the council area pages, drawn with matplotlib from the rows of their CSVs.

Each function takes the rows a page's CSV holds (dicts keyed by the CSV's columns) and returns
the SVG text, so that a chart can only show what its CSV says. Every caveat is drawn on the
chart: a ring and a "?" on a suspect figure, and labels over the years where a figure is
missing, partial (not all of the area's councils reported) or includes an imputed record, a
dashed line where the area's councils were reorganised, and a caveat box under the axes that
spells each mark out for this area.
"""

from __future__ import annotations

import functools
import io
import textwrap

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402 (the backend must be chosen first)
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.ticker import StrMethodFormatter  # noqa: E402
from matplotlib.transforms import ScaledTranslation, blended_transform_factory  # noqa: E402

from pipeline.reports.area_caveats import CLASS_NAMES, Caveats  # noqa: E402


def _share_svg_text_metrics() -> None:
    """Measure each distinct text once per process, not once per saved chart.

    matplotlib caches text sizes per renderer, and every `savefig` makes a new SVG renderer:
    each of 300 charts would measure its tick labels, legend and caveats afresh (a fifth of
    the drawing time). An SVG renderer measures with the same font files whatever its
    instance, so its sizes are shared here; any other renderer keeps matplotlib's own cache.
    If a later matplotlib renames the private hook, charts are drawn as before, only slower.
    """
    import matplotlib.text as mtext
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.textpath import TextToPath

    own = getattr(mtext, "_get_text_metrics_with_cache", None)
    if own is None:
        return
    measure = TextToPath()

    @functools.lru_cache(maxsize=8192)
    def svg_metrics(text, fontprop, ismath, dpi):
        return measure.get_text_width_height_descent(text, fontprop, ismath)

    def metrics(renderer, text, fontprop, ismath, dpi):
        # savefig wraps the SVG renderer in a MixedModeRenderer, which hands it the call
        if type(getattr(renderer, "_renderer", renderer)) is RendererSVG:
            return svg_metrics(text, fontprop.copy(), ismath, dpi)
        return own(renderer, text, fontprop, ismath, dpi)

    mtext._get_text_metrics_with_cache = metrics


_share_svg_text_metrics()
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
WIDTH_IN = 10.0
AXES_IN = 3.1  # height of the plotting area
TOP_IN = 0.55  # title
BOTTOM_IN = 1.35  # year labels and legend
LINE_IN = 0.16  # one caveat line
WRAP = 150  # characters per caveat line
# The key under the charts, in inches from the left panel's lower-left corner: below the
# rotated year labels, spaced as matplotlib's own legend would be at this size.
LEGEND_PT = 7.5
LEGEND_LEFT_IN = 0.04
LEGEND_TOP_IN = 0.74  # the first row's middle
LEGEND_ROW_IN = 0.177
LEGEND_HANDLE_IN = 0.21
LEGEND_TEXT_GAP_IN = 0.083
LEGEND_COLUMN_GAP_IN = 0.125


def panel_figure(height_in: float, panels: int):
    """A figure of one or two panels side by side, with its title and caveat box: (figure,
    slots as (left, width) in figure fractions, axes, title, box)."""
    fig = Figure(figsize=(WIDTH_IN, height_in))
    slots = [(0.075, 0.91)] if panels == 1 else [(0.075, 0.41), (0.575, 0.41)]
    axes = [fig.add_axes((left, 0.3, width, 0.6)) for left, width in slots]
    title = fig.suptitle("", fontsize=11, va="top")
    box = fig.text(
        0.02, 0.1, "", fontsize=7.5, va="top", ha="left", color="#5a3a06", linespacing=1.25
    )
    return fig, slots, axes, title, box


def caveat_label(ax, x: float, y: float, words: list[str], transform):
    """A caveat written over a year, a word a line, in the caveat colour."""
    return ax.text(
        x,
        y,
        "\n".join(words),
        transform=transform,
        ha="center",
        va="top",
        fontsize=6,
        color="#8c510a",
        linespacing=1.1,
    )


class AreaChart:
    """One figure reused for every area: axes, ticks and legend are built once, and each
    area only sets its data, limits and caveats before the figure is saved. Building a
    matplotlib figure costs several times what drawing it does, and there are 150 areas."""

    def __init__(self, years: list[str], panels: tuple[tuple[str, str], ...]) -> None:
        self.years = years
        self.fig, self.slots, self.axes, self.title, self.box = panel_figure(5.0, len(panels))
        self.panels = panels
        for ax, (ylabel, subtitle) in zip(self.axes, panels, strict=True):
            ax.set_xlim(-0.6, len(years) - 0.4)
            ax.set_xticks(range(len(years)), years, rotation=45, ha="right", fontsize=8)
            ax.set_ylabel(ylabel)
            # Placed by hand, not by matplotlib: its automatic placement measures every tick
            # label of every axis again for the title and each axis label, half the drawing
            # time of 300 charts. The y label is set beside the widest tick label (render).
            ax.set_title(subtitle, fontsize=9, loc="left", y=1.0)
            ax.xaxis.set_label_coords(0.5, 0.0)  # no x label: the years say it
            for axis in (ax.xaxis, ax.yaxis):
                # An axis measures its tick labels at every draw only to place its label and
                # offset text; here the labels are placed by hand and there is no offset text
                # (whole numbers), so it skips that (a tenth of the drawing time).
                axis._get_ticklabel_bboxes = no_tick_boxes
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
        self.entries: list[tuple[dict, str]] = []  # the key: (line style, text)

    def lines(self, style: dict, label: str) -> tuple[list, list]:
        """A budget line and an outturn-diamond series on each panel."""
        budget_style = {"marker": "o", "ms": 3.5, "lw": 1.6, **style}
        self.entries.append((budget_style, label))
        budget = [ax.plot([], [], **budget_style)[0] for ax in self.axes]
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

    def legend(self, ncols: int, longest: dict[int, str] | None = None) -> list:
        """The key under the left panel, column by column as matplotlib's legend fills it,
        laid out once by hand: a matplotlib legend lays its boxes out again at every save, a
        quarter of the drawing time. `longest` gives, by entry, the longest text that entry
        will show (it changes per area); returns the entries' text artists."""
        self.entries += [
            ({"color": "grey", "marker": "o", "ms": 3.5}, "budget (RA): lines"),
            ({"color": "grey", "ls": "none", "marker": "D", "ms": 5}, "outturn (RO3): diamonds"),
            (
                {"ls": "none", "marker": "o", "ms": 11, "mfc": "none", "mec": "#d95f02"}
                | {"mew": 1.4},
                "? suspect figure (see below)",
            ),
        ]
        longest = longest or {}
        # inches from the left panel's lower-left corner, which moves with each area's height
        inches = self.fig.dpi_scale_trans + ScaledTranslation(0, 0, self.axes[0].transAxes)
        texts, x, first = [], LEGEND_LEFT_IN, 0
        rows = -(-len(self.entries) // ncols)
        per_column = [
            len(self.entries) // ncols + (c < len(self.entries) % ncols) for c in range(ncols)
        ]
        for count in per_column:
            column = range(first, first + count)
            for row, i in enumerate(column):
                style, label = self.entries[i]
                y = -LEGEND_TOP_IN - row * LEGEND_ROW_IN
                ends = [x, x + LEGEND_HANDLE_IN / 2, x + LEGEND_HANDLE_IN]
                if style.get("ls") == "none":  # a marker alone, in the middle
                    ends = ends[1:2]
                handle = Line2D(ends, [y] * len(ends), transform=inches, **style)
                if len(ends) == 3:
                    handle.set_markevery([1])
                self.fig.add_artist(handle)
                text_x = x + LEGEND_HANDLE_IN + LEGEND_TEXT_GAP_IN
                texts.append(
                    self.fig.text(
                        text_x, y, label, transform=inches, fontsize=LEGEND_PT, va="center"
                    )
                )
            widest = max(text_width_in(longest.get(i, self.entries[i][1])) for i in column)
            x += LEGEND_HANDLE_IN + LEGEND_TEXT_GAP_IN + widest + LEGEND_COLUMN_GAP_IN
            first += count
        assert first == len(self.entries) and rows == per_column[0]
        return texts

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
        n_lines = line_count(caveats)
        height = TOP_IN + AXES_IN + BOTTOM_IN + LINE_IN * n_lines + 0.15
        self.fig.set_size_inches(WIDTH_IN, height)
        bottom = (BOTTOM_IN + LINE_IN * n_lines + 0.15) / height
        upper = 1 - TOP_IN / height
        for ax, (left, width) in zip(self.axes, self.slots, strict=True):
            ax.set_position((left, bottom, width, upper - bottom))
            ax.set_ylim(0, top)
            ax.yaxis.set_label_coords(-label_offset_in(ax, top) / (width * WIDTH_IN), 0.5)
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
        return svg_text(self.fig)

    def _frame(self, ax, caveats: Caveats) -> list:
        """The caveat labels over their years, reorganisations as dashed lines."""
        years = self.years
        over = blended_transform_factory(ax.transData, ax.transAxes)
        made = []
        line = 6 * 1.1 / 72 / AXES_IN  # one label line, in axes fractions
        below: dict[int, int] = {}  # year index -> lines its label drops by
        for i, year in enumerate(years):
            labels = caveats.year_labels.get(year)
            if not labels:
                continue
            # a word a line: a year is a third of an inch wide on the spend chart; a label
            # beside its neighbour's is set below it, so that they never run together
            words = [word for label in labels for word in label.split()]
            neighbour = caveats.year_labels.get(years[i - 1]) if i else None
            drop = 0
            if neighbour and i - 1 not in below:
                drop = len([w for label in neighbour for w in label.split()])
                below[i] = drop
            made.append(caveat_label(ax, i, 0.985 - drop * line, words, over))
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


@functools.lru_cache(maxsize=64)
def text_width_in(text: str, size: float = LEGEND_PT) -> float:
    """How wide a line of text is drawn, in inches (the SVG renderer's own measure)."""
    width, _height, _descent = TextToPath().get_text_width_height_descent(
        text, FontProperties(family="DejaVu Sans", size=size), False
    )
    return width / 72


def line_count(caveats: Caveats) -> int:
    return sum(max(1, len(textwrap.wrap(line, WRAP))) for line in caveats.lines)


def no_tick_boxes(_ticks, _renderer) -> tuple[list, list]:
    return [], []


# Advance widths of DejaVu Sans glyphs in ems: enough to know how wide a tick label is
# without laying it out (digits are all one width).
_GLYPH_EM = {",": 0.318, ".": 0.318, "-": 0.338, "−": 0.838}
TICK_PAD_IN = 3.5 / 72  # matplotlib's default tick label pad
LABEL_GAP_IN = 0.08


def label_offset_in(ax, top: float) -> float:
    """How far left of the axes the y label goes: past the widest tick label and a gap."""
    formatter = ax.yaxis.get_major_formatter()
    ticks = [t for t in ax.yaxis.get_major_locator().tick_values(0, top) if 0 <= t <= top]
    size_in = ax.yaxis.get_ticklabels()[0].get_fontsize() / 72 if ticks else 0.0
    widest = max((sum(_GLYPH_EM.get(ch, 0.636) for ch in formatter(t)) for t in ticks), default=0.0)
    return widest * size_in + TICK_PAD_IN + LABEL_GAP_IN


def headroom(values: list[float | None]) -> float:
    """Headroom above the highest value for the caveat labels."""
    highest = max((v for v in values if v is not None), default=0.0)
    return 1.32 * highest if highest > 0 else 1.0


def svg_text(fig: Figure) -> str:
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
        top = headroom([r[c] for r in rows for c in self.COLUMNS])
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
        longest = max(CLASS_NAMES.values(), key=text_width_in)
        self.median_entry = self.legend(ncols=4, longest={2: f"median of {longest}"})[2]

    def draw(self, rows: list[dict], caveats: Caveats, title: str, class_label: str) -> str:
        self.median_entry.set_text(f"median of {class_label}")
        suspects = self.plot(rows, "series")
        top = headroom([r[c] for r in rows for c in self.COLUMNS])
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
    return svg_text(fig)
