"""core.* and out.* tables built by the SQL in `sql/` (readable by analysts on their own)."""

from __future__ import annotations

from assets.deflators import real_terms_cover
from pipeline.model import BuildContext, CheckResult, TableCheck, TableSpec

RAW = "raw.mhclg__revenue_cells"
LINES = "reference.service_lines"
CLASSES = "reference.authority_classes"
DEFLATOR = "reference.gdp_deflator"


def sources_agree(ctx: BuildContext) -> list[CheckResult]:
    """Where ViewIt and the reports both give a published (not derived) figure, they agree."""
    rows = ctx.con.execute(
        "SELECT financial_year, substance_group, viewit_people, report_people FROM "
        "core.adults_in_treatment_source_comparison WHERE difference_people <> 0 "
        "AND NOT report_is_derived"
    ).fetchall()
    compared = ctx.con.execute(
        "SELECT count(*) FROM core.adults_in_treatment_source_comparison"
    ).fetchone()[0]
    return [
        CheckResult(
            "viewit_equals_reports",
            not rows,
            "the ViewIt export and the annual reports agree wherever both publish a figure",
            observed=(
                f"{compared} figures compared, all equal"
                if not rows
                else "; ".join(f"{y} {g}: ViewIt {v:,} vs report {r:,}" for y, g, v, r in rows)
            ),
        )
    ]


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
        deps=(
            "core.england_substance_misuse_spend",
            "core.la_substance_misuse_spend",
            "raw.parliament__la_substance_misuse_outturn",
            DEFLATOR,
        ),
        sql="out/spend_trends.sql",
        primary_key=("financial_year", "basis", "category"),
        checks=(
            real_terms_cover(
                "out.spend_trends", (("value_gbp_millions", "value_real_gbp_millions"),)
            ),
        ),
    ),
    TableSpec(
        name="out.la_spend_trends",
        description="Net current expenditure per council, year, basis and category (£ thousand), "
        "with the first and last year each council appears.",
        deps=("core.la_substance_misuse_spend", DEFLATOR),
        sql="out/la_spend_trends.sql",
        primary_key=("financial_year", "basis", "ecode", "category"),
        checks=(
            real_terms_cover(
                "out.la_spend_trends", (("value_gbp_thousands", "value_real_gbp_thousands"),)
            ),
        ),
    ),
    TableSpec(
        name="out.share_of_public_health",
        description="Substance misuse as a share of TOTAL PUBLIC HEALTH net current "
        "expenditure, England, per year and basis.",
        deps=("core.england_substance_misuse_spend",),
        sql="out/share_of_public_health.sql",
        primary_key=("financial_year", "basis"),
    ),
    TableSpec(
        name="out.la_disinvestment",
        description="Per stable area, basis and category: baseline and latest spend, change in "
        "£ and %, cash and real, since its own peak, rank and a large-fall flag; never across "
        "a suspect figure.",
        deps=("out.area_spend_trends", "out.area_suspects", "reference.stable_areas"),
        sql="out/la_disinvestment.sql",
        primary_key=("basis", "category", "area_code"),
    ),
)

TREATMENT_TABLES = (
    TableSpec(
        name="core.adults_in_treatment",
        description="Adults in treatment in England per year and substance group; the ViewIt "
        "export where it has the figure, the annual reports otherwise.",
        deps=("raw.ndtms__viewit_adults", "raw.ndtms__published_adults"),
        sql="core/adults_in_treatment.sql",
        primary_key=("financial_year", "substance_group"),
    ),
    TableSpec(
        name="core.adults_in_treatment_source_comparison",
        description="The ViewIt export against the annual-report transcription wherever both "
        "give a figure, with the difference.",
        deps=("raw.ndtms__viewit_adults", "raw.ndtms__published_adults"),
        sql="core/adults_in_treatment_source_comparison.sql",
        primary_key=("financial_year", "substance_group"),
        checks=(TableCheck("sources_agree", sources_agree),),
    ),
    TableSpec(
        name="core.young_people_in_treatment",
        description="Young people in treatment, on the original and revised bases (never mixed).",
        deps=("raw.ndtms__published_young_people",),
        sql="core/young_people_in_treatment.sql",
        primary_key=("financial_year", "basis"),
    ),
    TableSpec(
        name="out.treatment_trends",
        description="People in treatment per year: adults by substance group, young people per "
        "basis; change since 2013-14 and since the peak.",
        deps=("core.adults_in_treatment", "core.young_people_in_treatment"),
        sql="out/treatment_trends.sql",
        primary_key=("financial_year", "cohort", "substance_group", "basis"),
    ),
    TableSpec(
        name="out.spend_per_person_in_treatment",
        description="England adult drug spend per adult in drug treatment and alcohol spend per "
        "adult in alcohol-only treatment, per year and basis (£, cash).",
        deps=("out.spend_trends", "core.adults_in_treatment"),
        sql="out/spend_per_person_in_treatment.sql",
        primary_key=("financial_year", "basis"),
    ),
    TableSpec(
        name="out.la_spend_per_head",
        description="Substance misuse spend per resident (£, cash and 2024-25 prices) for every "
        "council stable area, reorganised councils included as their exact unions.",
        deps=("out.area_spend_trends",),
        sql="out/la_spend_per_head.sql",
        primary_key=("financial_year", "basis", "area_code", "category"),
    ),
    TableSpec(
        name="out.la_spend_per_head_unmatched",
        description="Authorities with spend but no per-head figure under their own code, and "
        "the area their money is counted in instead.",
        deps=("reference.stable_areas", "reference.reorganisations"),
        sql="out/la_spend_per_head_unmatched.sql",
        primary_key=("ecode",),
    ),
)
