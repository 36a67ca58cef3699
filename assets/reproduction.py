"""out.reproduction: every published figure we can check, re-computed, with the difference.

The claims are data (`expectations/published_figures.csv`, quotes from
`data_raw/published/state_of_the_sector_2017_claims.csv` and `secondary_claims.csv`); each
figure is computed and compared by `pipeline.figures.claims`, the evaluation `spendtrack check
--claims` runs too, so the table and the command cannot disagree. Where a publication's definition
is not one we hold, the row computes the nearest one, names it (`definition`) and may give a
second, alternative definition's figure beside it; the definitions are chosen from what the
publication says, never until a figure matches.
"""

from __future__ import annotations

import csv

import pandas as pd

from pipeline.config import DATA_RAW_DIR
from pipeline.figures.claims import FIGURES_CSV, evaluate_figure, load_figures
from pipeline.model import BuildContext, CheckResult

CLAIMS_CSV = DATA_RAW_DIR / "published" / "state_of_the_sector_2017_claims.csv"
SECONDARY_CLAIMS = "published_secondary_claims"  # source id of the other publications' claims


def claim_quotes(ctx: BuildContext) -> dict[str, str]:
    """Each claim's quote: State of the Sector 2017 and the secondary publications."""
    quotes = {}
    secondary = ctx.source(SECONDARY_CLAIMS).path
    for path in (CLAIMS_CSV, secondary):
        with path.open(newline="", encoding="utf-8") as fh:
            quotes.update({r["claim_id"]: r["quote"] for r in csv.DictReader(fh)})
    return quotes


def reproduction_table(ctx: BuildContext) -> pd.DataFrame:
    """One row per reference figure, evaluated as `spendtrack check --claims` evaluates it."""
    quotes = claim_quotes(ctx)
    rows = []
    for fig in load_figures():
        if fig["claim_id"] not in quotes:
            raise ValueError(f"{FIGURES_CSV.name}: claim {fig['claim_id']!r} has no quote")
        row = evaluate_figure(ctx.con, fig)
        rows.append({"claim_id": row.pop("claim_id"), "quote": quotes[fig["claim_id"]], **row})
    frame = pd.DataFrame(rows)
    frame["difference"] = frame["difference"].astype("Float64")
    return frame


def reproduction_check(ctx: BuildContext) -> list[CheckResult]:
    """Figures whose method is the publication's own must reproduce (one that cannot be
    computed, a table not built, fails too); any other difference must carry its reason, and
    a known difference fails once ours moves from the value recorded with it."""
    con = ctx.con
    lg = con.execute(
        "SELECT claim_id, status FROM out.reproduction WHERE must_reproduce "
        "AND status <> 'reproduced'"
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
