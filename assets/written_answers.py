"""England outturn from the written answer of 19 February 2020: RO3 2016-17 to 2018-19 by line.

No RO3 file for those years is held, so the answer fills the outturn series there
(`value_source = 'parliamentary_answer'`); it is never used where a file gives the year. Each
row must name a canonical line the crosswalk knows, a financial year and a whole number of
£ thousand; the answer's own all-lines total must equal the sum of its lines.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.errors import LayoutError
from pipeline.extract.layouts import read_table
from pipeline.extract.workbook import read_csv_columns
from pipeline.model import BuildContext, CheckResult
from pipeline.sources.fetch import Resolved

SOURCE_ID = "published_pq_2020_outturn"
TOTAL_LINE = "all_substance_misuse"  # the answer's own total of the five lines
COLUMNS = {
    "financial_year": "financial_year",
    "canonical_line": "canonical_line",
    "value_gbp_thousands": "value_gbp_thousands",
    "basis": "basis_note",
    "source": "citation",
    "note": "note",
}
_FY = re.compile(r"^\d{4}-\d{2}$")


def outturn_lines(resolved: Resolved) -> pd.DataFrame:
    """raw.parliament__la_substance_misuse_outturn: one row per year and line, as answered."""
    name = resolved.source.file_name
    frame = read_csv_columns(resolved.path, COLUMNS, file_name=name)
    known = {r["canonical_line"]: r["category"] for r in read_table("service_lines.csv")}
    known[TOTAL_LINE] = TOTAL_LINE
    values = []
    for i, row in frame.iterrows():
        where = {"file": name, "cell": f"row {i + 2}"}
        if not _FY.match(str(row["financial_year"])):
            raise LayoutError(
                f"financial_year {row['financial_year']!r} is not like 2016-17", **where
            )
        if row["canonical_line"] not in known:
            raise LayoutError(
                f"line {row['canonical_line']!r} is not a canonical line of "
                "pipeline/layouts/service_lines.csv",
                **where,
            )
        text = str(row["value_gbp_thousands"]).strip()
        if not text.isdigit():
            raise LayoutError(f"value {text!r} is not a whole number of £ thousand", **where)
        values.append(float(text))
    frame["value_gbp_thousands"] = values
    frame.insert(1, "fy_start", frame["financial_year"].str[:4].astype(int))
    frame.insert(3, "category", frame["canonical_line"].map(known))
    frame.insert(4, "basis", "outturn")
    return frame


def total_equals_lines(ctx: BuildContext) -> list[CheckResult]:
    """The answer's all-lines total equals the sum of its five lines, each year."""
    rows = ctx.con.execute(
        f"""
        SELECT financial_year,
            sum(value_gbp_thousands) FILTER (WHERE canonical_line <> '{TOTAL_LINE}') AS lines,
            sum(value_gbp_thousands) FILTER (WHERE canonical_line = '{TOTAL_LINE}') AS total
        FROM raw.parliament__la_substance_misuse_outturn GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    bad = [(y, a, b) for y, a, b in rows if a != b]
    return [
        CheckResult(
            "total_equals_lines",
            not bad,
            "the answer's all_substance_misuse total equals the sum of its five lines",
            observed="; ".join(f"{y}: lines {a:,.0f} vs total {b}" for y, a, b in bad)
            or f"{len(rows)} years agree",
        )
    ]
