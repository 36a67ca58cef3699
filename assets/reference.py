"""reference.* tables: the source registry with provenance, and the crosswalks used to build."""

from __future__ import annotations

import pandas as pd

from pipeline.config import LAYOUTS_DIR
from pipeline.extract.layouts import read_table
from pipeline.model import BuildContext
from pipeline.sources.registry import load_sources


def sources_table(ctx: BuildContext) -> pd.DataFrame:
    """Every enabled source, its checksum, licence and provenance, and where this build got
    its bytes (and, for a download, the address read)."""
    rows = []
    for src in load_sources(ctx.settings.sources_path):
        resolved = ctx.resolve(src)  # already resolved by the table that read it, if any
        rows.append(
            {
                "source_id": src.id,
                "family": src.family,
                "publisher": src.publisher,
                "title": src.title,
                "form": src.form,
                "financial_year": src.financial_year,
                "basis": src.basis,
                "url": src.url,
                "landing_page": src.landing_page,
                "official_url": src.official_url,
                "edition": src.edition,
                "archive_path": src.archive_path,
                "upstream": src.upstream,
                "file_name": src.file_name,
                "sha256": src.sha256,
                "bytes": src.bytes,
                "licence": src.licence,
                "note": src.note,
                "obtained_via": resolved.origin,
                "downloaded_from": resolved.address,
            }
        )
    return pd.DataFrame(rows)


def authority_classes_table(_ctx: BuildContext) -> pd.DataFrame:
    table = pd.DataFrame(read_table("authority_classes.csv"))
    table["has_public_health_duties"] = table["has_public_health_duties"] == "true"
    return table


def england_row_tolerance_table(_ctx: BuildContext) -> pd.DataFrame:
    frame = pd.read_csv(LAYOUTS_DIR / "england_row_tolerance.csv", dtype={"reason": str})
    return frame.astype({"max_difference_pct": float})


def reorganisations_table(_ctx: BuildContext) -> pd.DataFrame:
    table = pd.DataFrame(read_table("reorganisations.csv"))
    table["same_area"] = table["same_area"] == "true"
    return table


def suspect_value_rules_table(_ctx: BuildContext) -> pd.DataFrame:
    """The suspect-value rules' parameters, each with why it is set where it is."""
    frame = pd.read_csv(LAYOUTS_DIR / "suspect_value_rules.csv", dtype=str)
    frame["value"] = frame["value"].astype(float)
    return frame
