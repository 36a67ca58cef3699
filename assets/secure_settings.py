"""People in alcohol and drug treatment in prisons and other secure settings (NDTMS).

The figures come from the vendored transcription of the annual secure settings reports, one
row per published figure with the report's quote. Every row must say what its quote says: a
quote with no number, or one that does not give the row's value, is an error naming the row,
and so is a year outside the coverage `sources.toml` declares for the source. A year restated
in a later report keeps both figures; the series uses the restated one.

The blocking check `report_changes_agree` reads each quoted year-on-year change ("a 3%
increase from the 43,607 reported in 2020 to 2021") and recomputes it from the two figures
held, at the precision the report printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipeline.errors import LayoutError, SourceError
from pipeline.extract.layouts import read_table
from pipeline.extract.workbook import read_csv_columns
from pipeline.model import BuildContext, CheckResult
from pipeline.sources.fetch import Resolved

COLUMNS = {
    "financial_year": "financial_year",
    "cohort": "cohort",
    "measure": "measure",
    "value": "value",
    "publication": "citation",
    "url": "url",
    "quote": "quote",
    "note": "note",
}
MEASURES_CSV = "secure_settings_measures.csv"
YEAR = re.compile(r"(\d{4})-(\d{2})")
# A number as printed in a quote: with thousands commas, or plain, or with decimals.
NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\d,]*\d)")
CHANGE = re.compile(
    r"(?P<pct>\d+(?:\.\d+)?)\s*%\s+(?P<direction>increase|rise|decrease|fall|reduction|drop)"
    r"\s+(?:from|on)\s+(?:the\s+)?(?P<base>\d{1,3}(?:,\d{3})+|\d+)",
    re.IGNORECASE,
)
FALLS = {"decrease", "fall", "reduction", "drop"}


def fy_start(text: str) -> int | None:
    """2020 for '2020-21'; None unless the text is a financial year whose halves follow on."""
    match = YEAR.fullmatch(text.strip())
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        return None
    return int(match.group(1))


def coverage(declared: str) -> tuple[int, int]:
    """The first and last fy_start of a registry range such as '2015-16..2023-24'."""
    first, _, last = declared.partition("..")
    start, end = fy_start(first), fy_start(last or first)
    if start is None or end is None:
        raise ValueError(declared)
    return start, end


def quoted_numbers(quote: str) -> dict[str, float]:
    """Each number in a quote as printed, with its value."""
    return {n: float(n.replace(",", "")) for n in NUMBER.findall(quote)}


def in_treatment(resolved: Resolved) -> pd.DataFrame:
    """core.secure_settings_in_treatment: every transcribed figure, checked against its quote."""
    name = resolved.source.file_name
    frame = read_csv_columns(resolved.path, COLUMNS, file_name=name).fillna("")
    measures = {r["measure"]: r["is_restated"] == "true" for r in read_table(MEASURES_CSV)}
    try:
        first, last = coverage(resolved.source.financial_year)
    except ValueError as exc:
        raise SourceError(
            f"financial_year {exc} in data_raw/sources.toml is not a range like 2015-16..2023-24",
            file=name,
        ) from exc
    span = f"{resolved.source.financial_year} (the coverage data_raw/sources.toml declares)"
    starts, values, restated = [], [], []
    for i, rec in enumerate(frame.to_dict("records")):
        where = {"file": name, "cell": f"row {i + 2}"}
        start = fy_start(rec["financial_year"])
        if start is None:
            raise LayoutError(
                f"financial_year {rec['financial_year']!r} is not like 2020-21", **where
            )
        if not first <= start <= last:
            raise LayoutError(f"financial_year {rec['financial_year']} is outside {span}", **where)
        label = f"{rec['financial_year']} {rec['cohort']}"
        if rec["measure"] not in measures:
            raise LayoutError(
                f"{label}: measure {rec['measure']!r} is not in pipeline/layouts/{MEASURES_CSV}",
                **where,
            )
        if not re.fullmatch(r"[1-9]\d*", rec["value"].strip()):
            raise LayoutError(f"{label}: value {rec['value']!r} is not a count of people", **where)
        value = int(rec["value"])
        numbers = quoted_numbers(rec["quote"])
        if not numbers:
            raise LayoutError(f"{label}: the quote has no number: {rec['quote']!r}", **where)
        if value not in numbers.values():
            raise LayoutError(
                f"{label}: the quote does not give the value {value:,} "
                f"(it gives {', '.join(numbers)})",
                **where,
            )
        starts.append(start)
        values.append(value)
        restated.append(measures[rec["measure"]])
    frame["fy_start"] = starts
    frame["value"] = pd.Series(values, dtype="int64")
    frame["is_restated"] = restated
    # The series takes a restated figure over the first publication of the same year.
    has_restated = frame.groupby(["financial_year", "cohort"])["is_restated"].transform("any")
    frame["in_series"] = frame["is_restated"] | ~has_restated
    frame.insert(0, "source_id", resolved.source.id)
    return frame[
        [
            "source_id",
            "financial_year",
            "fy_start",
            "cohort",
            "value",
            "is_restated",
            "in_series",
            "measure",
            "citation",
            "url",
            "quote",
            "note",
        ]
    ]


@dataclass(frozen=True)
class QuotedChange:
    """A year-on-year change a report prints, and the figures held for its two years."""

    label: str
    printed: str
    published_pct: float
    precision: float
    base: int
    base_held: int
    current: int | None

    @property
    def computed_pct(self) -> float | None:
        if self.current is None:
            return None
        return 100 * (self.current - self.base_held) / self.base_held

    @property
    def agrees(self) -> bool:
        pct = self.computed_pct
        return (
            self.base == self.base_held
            and pct is not None
            and abs(pct - self.published_pct) <= self.precision / 2 + 1e-9
        )

    def describe(self) -> str:
        current = "no figure held" if self.current is None else f"{self.current:,}"
        pct = self.computed_pct
        computed = "" if pct is None else f" = {pct:+.2f}%"
        return (
            f"{self.label} {self.printed!r}: held {self.base_held:,} -> {current}{computed}, "
            f"published {self.published_pct:+g}% to the nearest {self.precision:g}"
        )


def quoted_changes(rows: list[dict]) -> list[QuotedChange]:
    """Each quoted change, with the figure it starts from (the quoting row's own value) and
    the next year's first-published figure from the same report (same address, cohort)."""
    out = []
    for row in rows:
        for match in CHANGE.finditer(row["quote"]):
            pct = match.group("pct")
            decimals = len(pct.partition(".")[2])
            sign = -1 if match.group("direction").lower() in FALLS else 1
            current = [
                r["value"]
                for r in rows
                if r["url"] == row["url"]
                and r["cohort"] == row["cohort"]
                and r["fy_start"] == row["fy_start"] + 1
                and not r["is_restated"]
            ]
            out.append(
                QuotedChange(
                    label=f"{row['citation']} ({row['cohort']}, from {row['financial_year']})",
                    printed=match.group(0),
                    published_pct=sign * float(pct),
                    precision=10.0**-decimals,
                    base=int(match.group("base").replace(",", "")),
                    base_held=row["value"],
                    current=current[0] if len(current) == 1 else None,
                )
            )
    return out


def report_changes_agree(ctx: BuildContext) -> list[CheckResult]:
    """Every year-on-year change a report prints agrees with the two figures held for it."""
    cur = ctx.con.execute(
        "SELECT financial_year, fy_start, cohort, value, is_restated, citation, url, quote "
        "FROM core.secure_settings_in_treatment ORDER BY fy_start, cohort"
    )
    names = [d[0] for d in cur.description]
    changes = quoted_changes([dict(zip(names, r, strict=True)) for r in cur.fetchall()])
    wrong = [c for c in changes if not c.agrees]
    return [
        CheckResult(
            "report_changes_agree",
            not wrong,
            "each year-on-year change a secure settings report prints agrees with the two "
            "figures held, within the report's rounding",
            observed="; ".join(c.describe() for c in (wrong or changes)) or "no quoted change held",
        )
    ]
