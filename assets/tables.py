"""The full table graph of the database, assembled from each source family's module."""

from __future__ import annotations

from assets import mhclg_revenue, moj_prisons, ndtms, ons_population, reference, reproduction
from assets.trends import SQL_TABLES, TREATMENT_TABLES
from pipeline.graph import BuildContext, TableCheck, TableSpec


def _revenue_cells(ctx: BuildContext):
    return mhclg_revenue.revenue_cells(ctx.sources(mhclg_revenue.FAMILY))


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="raw.mhclg__revenue_cells",
        description="Every cell of every value column of every MHCLG RA/RO3 file, long format, "
        "with its file, sheet, cell, printed labels, measure, authority and marker.",
        deps=("reference.service_lines",),
        build=_revenue_cells,
        primary_key=("source_id", "sheet", "row_number", "column_number"),
        source_families=(mhclg_revenue.FAMILY,),
    ),
    TableSpec(
        name="reference.service_lines",
        description="The crosswalk from printed service labels to canonical substance misuse "
        "lines and categories (pipeline/layouts/service_lines.csv).",
        build=lambda _ctx: mhclg_revenue.service_line_table(),
        primary_key=("label_key",),
    ),
    TableSpec(
        name="reference.authority_classes",
        description="Printed authority class codes and the class they stand for.",
        build=reference.authority_classes_table,
        primary_key=("printed_class",),
    ),
    TableSpec(
        name="reference.england_row_tolerance",
        description="Per year and basis, how far a file's ENGLAND row may differ from the sum "
        "of authorities, and why (expectations/england_row_tolerance.csv).",
        build=reference.england_row_tolerance_table,
        primary_key=("financial_year", "basis"),
    ),
    *SQL_TABLES,
    TableSpec(
        name="raw.ndtms__viewit_adults",
        description="The NDTMS ViewIt export as published: adults in treatment in England by "
        "drug group, sex and age band, 2009-10 to 2021-22, both label casings kept.",
        build=lambda ctx: ndtms.viewit_adults(ctx.source("ohid_ndtms_viewit_adults")),
        primary_key=("financial_year", "substance_group", "sex", "age_band"),
    ),
    TableSpec(
        name="raw.ndtms__published_adults",
        description="Adults in treatment transcribed from the annual reports, one row per "
        "cell, with its citation and whether it is derived arithmetic.",
        build=lambda ctx: ndtms.published_adults(ctx.source("published_ndtms_adults")),
        primary_key=("financial_year", "substance_group"),
    ),
    TableSpec(
        name="raw.ndtms__published_young_people",
        description="Young people in treatment transcribed from the annual reports, on the "
        "original and the revised bases, with citations.",
        build=lambda ctx: ndtms.published_young_people(ctx.source("published_ndtms_young_people")),
        primary_key=("financial_year", "basis"),
    ),
    TableSpec(
        name="core.prison_substance_misuse_spend",
        description="Every prison substance misuse spending figure published in the sources "
        "held (parliamentary answers), with its status: published, indicative or derived.",
        build=lambda ctx: moj_prisons.prison_spend(
            ctx.source("published_prisons_substance_misuse")
        ),
        primary_key=("financial_year", "series", "citation"),
    ),
    TableSpec(
        name="raw.ons__mye4",
        description="ONS mid-year population estimates, MYE4 (mid-2011 to mid-2023, April 2023 "
        "boundaries), per area and year.",
        build=lambda ctx: ons_population.mye4(ctx.source("ons_mye_2023")),
        primary_key=("ons_code", "mid_year"),
    ),
    TableSpec(
        name="raw.ons__ltla_utla_lookup_2023",
        description="ONS lower tier to upper tier local authority lookup, April 2023.",
        build=lambda ctx: ons_population.ltla_utla_lookup(ctx.source("ons_ltla_utla_lookup_2023")),
        primary_key=("ltla_code",),
    ),
    TableSpec(
        name="reference.reorganisations",
        description="Councils abolished or merged since 2013, when, and their successors "
        "(pipeline/layouts/reorganisations.csv).",
        build=reference.reorganisations_table,
        primary_key=("ons_code",),
    ),
    *TREATMENT_TABLES,
    TableSpec(
        name="out.reproduction",
        description="Each published figure, our figure, the difference and the status "
        "(reproduced, differs with its reason, not_reproducible).",
        deps=("out.spend_trends", "out.share_of_public_health", "core.adults_in_treatment"),
        build=reproduction.reproduction_table,
        primary_key=("claim_id",),
        checks=(TableCheck("reproduction", reproduction.reproduction_check),),
    ),
    TableSpec(
        name="reference.sources",
        description="Every source read: publisher, year, address, sha256, licence, edition "
        "(official, copy, transcription), how a user gets it (download, vendored, mirror only), "
        "and where this build took it from (cache, mirror, vendored, download and its address).",
        deps=("raw.mhclg__revenue_cells",),
        build=reference.sources_table,
        primary_key=("source_id",),
    ),
)
