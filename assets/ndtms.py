"""OHID (formerly PHE) NDTMS treatment counts: the ViewIt export and the annual reports.

The ViewIt export is kept whole (every drug group, sex and age band, both label casings);
the annual-report figures come from the vendored transcription, one row per published cell,
with the cells the transcription marks DERIVED flagged as arithmetic, not published values.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.errors import LayoutError
from pipeline.extract.layouts import normalise, read_table
from pipeline.extract.workbook import read_csv_columns
from pipeline.sources.fetch import Resolved

VIEWIT_COLUMNS = {
    "ReportingPeriod_Data": "reporting_period",
    "Area_Data": "area",
    "DrugGroup_Data": "drug_group_printed",
    "Gender_Data": "sex_printed",
    "AgeGroup_Data": "age_band_printed",
    "Num_InTreatment_AllInTx": "people",
    "Eth_White_AllInTx": "ethnicity_white",
    "Eth_Mixed_AllInTx": "ethnicity_mixed",
    "Eth_Asian_AllInTx": "ethnicity_asian",
    "Eth_Black_AllInTx": "ethnicity_black",
    "Eth_Other_AllInTx": "ethnicity_other",
}
PUBLISHED_GROUPS = {  # transcription column -> substance group
    "total_adults_in_treatment": "total",
    "opiate": "opiate",
    "non_opiate_only": "non_opiate_only",
    "non_opiate_and_alcohol": "non_opiate_and_alcohol",
    "alcohol_only": "alcohol_only",
    "non_opiate_groups_combined": "non_opiate_groups_combined",
    "adults_entering_treatment": "entering_treatment",
}
# Which transcribed cells are arithmetic: the row's status_note says so, per column.
DERIVED_NOTE = {
    "total": re.compile(r"\btotal DERIVED"),
    "non_opiate_groups_combined": re.compile(
        r"(combined non-opiate|non-opiate groups combined)"
        r"\s+DERIVED"
    ),
}


def financial_year(period: str) -> str:
    """'2009/10' -> '2009-10' (the project's spelling)."""
    match = re.fullmatch(r"(\d{4})/(\d{2})", period.strip())
    if not match:
        raise ValueError(period)
    return f"{match.group(1)}-{match.group(2)}"


def viewit_adults(resolved: Resolved) -> pd.DataFrame:
    """raw.ndtms__viewit_adults: every row of the export, labels kept and mapped."""
    name = resolved.source.file_name
    frame = read_csv_columns(resolved.path, VIEWIT_COLUMNS, file_name=name)
    groups = {
        normalise(r["printed_label"]): r["substance_group"]
        for r in read_table("ndtms_drug_groups.csv")
    }
    frame["substance_group"] = frame["drug_group_printed"].map(lambda v: groups.get(normalise(v)))
    unknown = frame[frame["substance_group"].isna()]
    if not unknown.empty:
        row = unknown.index[0]
        raise LayoutError(
            f"drug group {unknown.iloc[0]['drug_group_printed']!r} is not in "
            "pipeline/layouts/ndtms_drug_groups.csv",
            file=name,
            cell=f"row {row + 2}",
        )
    frame["sex"] = frame["sex_printed"].str.casefold()
    frame["age_band"] = frame["age_band_printed"].str.casefold()
    try:
        frame.insert(0, "financial_year", frame["reporting_period"].map(financial_year))
    except ValueError as exc:
        raise LayoutError(f"reporting period {exc} is not like 2009/10", file=name) from exc
    counts = [c for c in frame.columns if c == "people" or c.startswith("ethnicity_")]
    for col in counts:
        numbers = pd.to_numeric(frame[col], errors="coerce")
        if numbers.isna().any():
            row = int(numbers.isna().idxmax())
            raise LayoutError(
                f"{col} {frame.at[row, col]!r} is not a count", file=name, cell=f"row {row + 2}"
            )
        frame[col] = numbers.astype("int64")
    frame.insert(0, "source_id", resolved.source.id)
    return frame


def published_adults(resolved: Resolved) -> pd.DataFrame:
    """raw.ndtms__published_adults: one row per transcribed cell, with its citation."""
    wide = pd.read_csv(resolved.path, dtype=str)
    rows = []
    for rec in wide.to_dict("records"):
        note = rec.get("status_note") or ""
        for column, group in PUBLISHED_GROUPS.items():
            value = rec.get(column)
            if value is None or pd.isna(value) or not str(value).strip():
                continue
            pattern = DERIVED_NOTE.get(group)
            source = rec["source_total"] if group == "total" else rec["source_groups"]
            if str(source).strip().casefold() == "same":  # the transcription's ditto mark
                source = rec["source_total"]
            rows.append(
                {
                    "source_id": resolved.source.id,
                    "financial_year": financial_year(rec["financial_year"]),
                    "substance_group": group,
                    "people": int(value),
                    "is_derived": bool(pattern and pattern.search(note)),
                    "status_note": note,
                    "citation": source,
                }
            )
    return pd.DataFrame(rows)


def published_young_people(resolved: Resolved) -> pd.DataFrame:
    """raw.ndtms__published_young_people: both bases, each row with its citation."""
    frame = pd.read_csv(resolved.path, dtype=str)
    out = pd.DataFrame(
        {
            "source_id": resolved.source.id,
            "financial_year": frame["financial_year"].map(financial_year),
            "basis": frame["basis"].map(
                lambda b: "revised" if str(b).startswith("revised") else "original"
            ),
            "basis_printed": frame["basis"],
            "people": frame["young_people_in_treatment"].astype(int),
            "is_derived": frame["note"].fillna("").str.contains("DERIVED"),
            "note": frame["note"].fillna(""),
            "citation": frame["source"],
        }
    )
    return out
