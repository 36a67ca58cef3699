"""Prison substance misuse spending: the only figures published, from parliamentary answers.

No yearly series from 2012-13 exists in any source held, so the State of the Sector prison
claims are reported as not reproducible; this table shows what is known, row by row.
"""

from __future__ import annotations

import pandas as pd

from pipeline.fetch import Resolved


def prison_spend(resolved: Resolved) -> pd.DataFrame:
    """core.prison_substance_misuse_spend: each transcribed figure with its status."""
    frame = pd.read_csv(resolved.path, dtype={"value_gbp_millions": float})
    frame["fy_start"] = frame["financial_year"].str[:4].astype(int)
    frame["note"] = frame["note"].fillna("")
    frame.insert(0, "source_id", resolved.source.id)
    return frame[
        [
            "source_id",
            "financial_year",
            "fy_start",
            "series",
            "value_gbp_millions",
            "status",
            "source",
            "note",
        ]
    ].rename(columns={"source": "citation"})
