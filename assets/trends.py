"""core.* and out.* tables built by the SQL in `sql/` (readable by analysts on their own)."""

from __future__ import annotations

from pipeline.graph import TableSpec

RAW = "raw.mhclg__revenue_cells"
LINES = "reference.service_lines"
CLASSES = "reference.authority_classes"

SQL_TABLES = (
    TableSpec(
        name="core.la_substance_misuse_spend",
        description="Substance misuse spend per authority, year, basis, measure and service "
        "line (£ thousand); authorities only, ONS codes filled from the E-code map.",
        deps=(RAW, LINES, CLASSES),
        sql="core/la_substance_misuse_spend.sql",
        primary_key=("financial_year", "basis", "measure", "ecode", "canonical_line"),
    ),
    TableSpec(
        name="core.england_substance_misuse_spend",
        description="England per year, basis, measure and line: the file's ENGLAND row beside "
        "the sum of authorities and their difference (£ thousand).",
        deps=(RAW, LINES, "reference.england_row_tolerance"),
        sql="core/england_substance_misuse_spend.sql",
        primary_key=("financial_year", "basis", "measure", "canonical_line"),
    ),
    TableSpec(
        name="out.spend_trends",
        description="England net current expenditure by category, cash terms (£ million), "
        "with change since 2013-14 and the peak year.",
        deps=("core.england_substance_misuse_spend",),
        sql="out/spend_trends.sql",
        primary_key=("financial_year", "basis", "category"),
    ),
    TableSpec(
        name="out.la_spend_trends",
        description="Net current expenditure per council, year, basis and category (£ thousand), "
        "with the first and last year each council appears.",
        deps=("core.la_substance_misuse_spend",),
        sql="out/la_spend_trends.sql",
        primary_key=("financial_year", "basis", "ecode", "category"),
    ),
    TableSpec(
        name="out.share_of_public_health",
        description="Substance misuse as a share of TOTAL PUBLIC HEALTH net current "
        "expenditure, England, per year and basis.",
        deps=("core.england_substance_misuse_spend",),
        sql="out/share_of_public_health.sql",
        primary_key=("financial_year", "basis"),
    ),
)
