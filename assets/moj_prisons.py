"""Prison substance misuse spending: the only figures published, from parliamentary answers.

No yearly series from 2012-13 exists in any source held, so the State of the Sector prison
claims are reported as not reproducible; this table shows what is known, row by row. Each
series is given its scope from `pipeline/layouts/prison_spend_series.csv`: a substance misuse
figure, or all prison healthcare (of which substance misuse is only a part).
"""

from __future__ import annotations

import pandas as pd

from pipeline.errors import LayoutError
from pipeline.extract.layouts import normalise, read_table
from pipeline.sources.fetch import Resolved

SCOPES_CSV = "prison_spend_series.csv"


def prison_spend(resolved: Resolved) -> pd.DataFrame:
    """core.prison_substance_misuse_spend: each transcribed figure with its status and scope."""
    frame = pd.read_csv(resolved.path, dtype={"value_gbp_millions": float})
    frame["fy_start"] = frame["financial_year"].str[:4].astype(int)
    frame["note"] = frame["note"].fillna("")
    scopes = {normalise(r["series"]): r["scope"] for r in read_table(SCOPES_CSV)}
    frame["scope"] = frame["series"].map(lambda s: scopes.get(normalise(s)))
    unknown = frame[frame["scope"].isna()]
    if not unknown.empty:
        raise LayoutError(
            f"series {unknown.iloc[0]['series']!r} is not in pipeline/layouts/{SCOPES_CSV}",
            file=resolved.source.file_name,
            cell=f"row {unknown.index[0] + 2}",
        )
    frame.insert(0, "source_id", resolved.source.id)
    return frame[
        [
            "source_id",
            "financial_year",
            "fy_start",
            "series",
            "scope",
            "value_gbp_millions",
            "status",
            "source",
            "note",
        ]
    ].rename(columns={"source": "citation"})
