"""The full table graph of the database, assembled from each source family's module."""

from __future__ import annotations

from assets import (
    alcohol_treatment,
    areas,
    deflators,
    drug_deaths,
    mhclg_revenue,
    moj_prisons,
    ndtms,
    ons_population,
    reference,
    reproduction,
    secure_settings,
    suspect_calibration,
    written_answers,
)
from assets.trends import SQL_TABLES, TREATMENT_TABLES
from pipeline.model import BuildContext, TableCheck, TableSpec


def _revenue_cells(ctx: BuildContext):
    return mhclg_revenue.revenue_cells(ctx.sources(mhclg_revenue.FAMILY))


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="raw.mhclg__revenue_cells",
        description="Every cell of every value column of every MHCLG RA/RO3 file, long format, "
        "with its file, sheet, cell, printed labels, measure, authority and marker.",
        deps=("reference.service_lines",),
        build=_revenue_cells,
        write=mhclg_revenue.write_revenue_cells,
        parts=tuple(mhclg_revenue.CELL_PARTS.values()),
        primary_key=("source_id", "sheet", "row_number", "column_number"),
        # the view's key is its cells' key; the checks below make the view's joins exact
        key_table=mhclg_revenue.CELL_PARTS["values"],
        checks=(
            TableCheck(
                "parts_join_exactly",
                mhclg_revenue.check_cell_parts,
                "each part has one row per key, and every cell has its row and its column",
            ),
        ),
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
        "of authorities, and why (pipeline/layouts/england_row_tolerance.csv).",
        build=reference.england_row_tolerance_table,
        primary_key=("financial_year", "basis"),
    ),
    TableSpec(
        name="reference.gdp_deflator",
        description="GDP deflators per series and financial year: HM Treasury's (the default "
        "for real terms) and ONS YBGB's financial-year means, each also rebased to 2024-25 = 100.",
        build=deflators.gdp_deflator,
        after_sql="macros/real_terms.sql",
        source_families=("deflators",),
        primary_key=("series", "financial_year"),
        checks=(TableCheck("deflator_series_agree", deflators.series_agree),),
    ),
    TableSpec(
        name="raw.parliament__la_substance_misuse_outturn",
        description="England RO3 outturn 2016-17 to 2018-19 by substance misuse line, from the "
        "written answer of 19 February 2020, as answered.",
        build=lambda ctx: written_answers.outturn_lines(ctx.source(written_answers.SOURCE_ID)),
        sources=(written_answers.SOURCE_ID,),
        primary_key=("financial_year", "canonical_line"),
        checks=(TableCheck("total_equals_lines", written_answers.total_equals_lines),),
    ),
    *SQL_TABLES,
    TableSpec(
        name="raw.ndtms__viewit_adults",
        description="The NDTMS ViewIt export as published: adults in treatment in England by "
        "drug group, sex and age band, 2009-10 to 2021-22, both label casings kept.",
        build=lambda ctx: ndtms.viewit_adults(ctx.source("ohid_ndtms_viewit_adults")),
        sources=("ohid_ndtms_viewit_adults",),
        primary_key=("financial_year", "substance_group", "sex", "age_band"),
    ),
    TableSpec(
        name="raw.ndtms__published_adults",
        description="Adults in treatment transcribed from the annual reports, one row per "
        "cell, with its citation and whether it is derived arithmetic.",
        build=lambda ctx: ndtms.published_adults(ctx.source("published_ndtms_adults")),
        sources=("published_ndtms_adults",),
        primary_key=("financial_year", "substance_group"),
    ),
    TableSpec(
        name="raw.ndtms__published_young_people",
        description="Young people in treatment transcribed from the annual reports, on the "
        "original and the revised bases, with citations.",
        build=lambda ctx: ndtms.published_young_people(ctx.source("published_ndtms_young_people")),
        sources=("published_ndtms_young_people",),
        primary_key=("financial_year", "basis"),
    ),
    TableSpec(
        name="core.prison_substance_misuse_spend",
        description="Every prison substance misuse spending figure published in the sources "
        "held (parliamentary answers), with its status: published, indicative or derived.",
        build=lambda ctx: moj_prisons.prison_spend(
            ctx.source("published_prisons_substance_misuse")
        ),
        sources=("published_prisons_substance_misuse",),
        primary_key=("financial_year", "series", "citation"),
    ),
    # Prisons: people in treatment in secure settings, beside the prison spending held.
    TableSpec(
        name="core.secure_settings_in_treatment",
        description="People in alcohol and drug treatment in prisons and other secure settings "
        "(NDTMS secure settings reports), per year, cohort and basis (as first published or "
        "restated), each with its quote and address.",
        build=lambda ctx: secure_settings.in_treatment(
            ctx.source("published_ndtms_secure_settings")
        ),
        sources=("published_ndtms_secure_settings",),
        primary_key=("financial_year", "cohort", "is_restated"),
        checks=(TableCheck("report_changes_agree", secure_settings.report_changes_agree),),
    ),
    TableSpec(
        name="out.prison_substance_misuse",
        description="One row per year from 2012-13: the prison spending figures held with their "
        "status, the people in treatment in secure settings, and spending per adult in "
        "treatment (indicative) where both exist; every gap NULL with its reason.",
        deps=("core.prison_substance_misuse_spend", "core.secure_settings_in_treatment"),
        sql="out/prison_substance_misuse.sql",
        primary_key=("financial_year",),
    ),
    TableSpec(
        name="raw.ons__mye4",
        description="ONS mid-year population estimates, MYE4 (mid-2011 to mid-2023, April 2023 "
        "boundaries), per area and year.",
        build=lambda ctx: ons_population.mye4(ctx.source("ons_mye_2023")),
        sources=("ons_mye_2023",),
        primary_key=("ons_code", "mid_year"),
    ),
    TableSpec(
        name="raw.ons__ltla_utla_lookup_2023",
        description="ONS lower tier to upper tier local authority lookup, April 2023.",
        build=lambda ctx: ons_population.ltla_utla_lookup(ctx.source("ons_ltla_utla_lookup_2023")),
        sources=("ons_ltla_utla_lookup_2023",),
        primary_key=("ltla_code",),
    ),
    TableSpec(
        name="reference.reorganisations",
        description="Councils abolished or merged since 2013, when, and their successors "
        "(pipeline/layouts/reorganisations.csv).",
        build=reference.reorganisations_table,
        primary_key=("ons_code",),
    ),
    TableSpec(
        name="reference.stable_areas",
        description="Every authority that ever printed a public health figure (E-code and ONS "
        "code) and the stable area its series belongs to, with the rule that put it there.",
        deps=("core.la_substance_misuse_spend", "raw.ons__ltla_utla_lookup_2023"),
        build=areas.stable_areas,
        primary_key=("ecode",),
    ),
    TableSpec(
        name="out.area_spend_trends",
        description="Net current expenditure per stable area, year, basis and category: an "
        "unbroken series from 2013-14, cash and 2024-25 prices, coverage, population, per head.",
        deps=("reference.stable_areas", "reference.gdp_deflator", "raw.ons__mye4"),
        sql="out/area_spend_trends.sql",
        primary_key=("area_code", "financial_year", "basis", "category"),
        checks=(
            TableCheck("money_conserved", areas.money_conserved),
            deflators.real_terms_cover(
                "out.area_spend_trends", (("value_gbp_thousands", "value_real_gbp_thousands"),)
            ),
        ),
    ),
    # Outcomes beside spend: drug deaths per stable area (ONS, 2021 edition).
    TableSpec(
        name="raw.ons__drug_deaths",
        description="ONS deaths related to drug poisoning and drug misuse by local authority, "
        "2021 edition: every figure of Tables 1 to 8 (yearly registrations 1993 to 2021; "
        "three-year pooled deaths, age-standardised rates and 95% limits), one row per cell.",
        build=lambda ctx: drug_deaths.drug_deaths(ctx.source(drug_deaths.SOURCE_ID)),
        sources=(drug_deaths.SOURCE_ID,),
        primary_key=("sheet", "row_number", "column_number"),
    ),
    TableSpec(
        name="out.area_drug_deaths",
        description="Deaths related to drug poisoning and to drug misuse registered per stable "
        "area and year, 1993 to 2021, England included; a union of councils adds its members.",
        deps=("raw.ons__drug_deaths", "reference.stable_areas"),
        build=drug_deaths.area_drug_deaths,
        sources=(drug_deaths.SOURCE_ID,),
        primary_key=("area_code", "year"),
        checks=(
            TableCheck(
                "every_council_area_present",
                drug_deaths.every_area_present("out.area_drug_deaths", "year"),
            ),
        ),
    ),
    TableSpec(
        name="out.area_drug_death_rates",
        description="Three-year pooled drug deaths with ONS's age-standardised rate per "
        "100,000 and 95% limits per stable area, period, measure and sex; a union of councils "
        "has its summed deaths and no rate, with the reason.",
        deps=("raw.ons__drug_deaths", "reference.stable_areas", "out.area_drug_deaths"),
        build=drug_deaths.area_drug_death_rates,
        sources=(drug_deaths.SOURCE_ID,),
        primary_key=("area_code", "period", "measure", "sex"),
        checks=(
            TableCheck(
                "every_council_area_present",
                drug_deaths.every_area_present("out.area_drug_death_rates", "period"),
            ),
            TableCheck("england_is_sum_of_areas", drug_deaths.england_is_sum_of_areas),
        ),
    ),
    # Outcomes beside spend: adults in alcohol treatment per stable area (UK SDG 3.5.1).
    TableSpec(
        name="raw.ons__sdg_alcohol_treatment",
        description="UK SDG indicator 3.5.1 as published: adults in alcohol treatment, "
        "dependent drinkers (estimate) and met need per council and year, 2010-11 to 2018-19, "
        "with the council codes each row stands for (GeoCode, or the printed name's).",
        build=lambda ctx: alcohol_treatment.alcohol_treatment(
            ctx.source(alcohol_treatment.SOURCE_ID)
        ),
        sources=(alcohol_treatment.SOURCE_ID,),
        primary_key=("row_number",),
    ),
    TableSpec(
        name="out.area_alcohol_treatment",
        description="Adults in alcohol treatment, dependent drinkers and met need per stable "
        "area and year (a union adds counts and recomputes met need), with adult alcohol spend "
        "per adult in alcohol treatment where both exist.",
        deps=("raw.ons__sdg_alcohol_treatment", "reference.stable_areas", "out.area_spend_trends"),
        build=alcohol_treatment.area_alcohol_treatment,
        sources=(alcohol_treatment.SOURCE_ID,),
        primary_key=("area_code", "financial_year"),
        checks=(TableCheck("every_council_area_present", alcohol_treatment.every_area_matched),),
    ),
    TableSpec(
        name="reference.suspect_value_rules",
        description="The rules that flag implausible figures, their parameters and why each "
        "is set where it is (pipeline/layouts/suspect_value_rules.csv).",
        build=reference.suspect_value_rules_table,
        primary_key=("rule", "parameter"),
    ),
    suspect_calibration.CALIBRATION_SPEC,
    TableSpec(
        name="out.suspect_values",
        description="Figures implausible against the council's own series or its other lines, "
        "with the rule, the reason in numbers and the other basis's figure as witness; they "
        "stay in core unaltered.",
        deps=(
            "out.la_spend_trends",
            "core.la_substance_misuse_spend",
            "reference.suspect_value_rules",
            "reference.authority_classes",
            "reference.stable_areas",
            suspect_calibration.CALIBRATION,
        ),
        sql="out/suspect_values.sql",
        primary_key=("ecode", "financial_year", "basis", "category", "canonical_line", "rule"),
    ),
    suspect_calibration.AGREEMENT_SPEC,
    TableSpec(
        name="out.area_suspects",
        description="Each stable area, basis, year and category whose figure a suspect-value "
        "rule flags (directly or through one of its parts), with the rules.",
        deps=("out.suspect_values", suspect_calibration.AGREEMENT),
        sql="out/area_suspects.sql",
        primary_key=("area_code", "basis", "financial_year", "category"),
    ),
    *TREATMENT_TABLES,
    TableSpec(
        name="out.reproduction",
        description="Each published figure, our figure, the difference and the status "
        "(reproduced, differs with its reason, not_reproducible).",
        deps=(
            "out.spend_trends",
            "out.share_of_public_health",
            "core.adults_in_treatment",
            "out.prison_substance_misuse",
        ),
        build=reproduction.reproduction_table,
        primary_key=("claim_id",),
        checks=(TableCheck("reproduction", reproduction.reproduction_check),),
        sources=("published_sots17_claims", reproduction.SECONDARY_CLAIMS),
    ),
    TableSpec(
        name="reference.sources",
        description="Every source read: publisher, year, address, sha256, licence, edition "
        "(official, copy, transcription), where it is archived in the repository, what upstream "
        "offers (an address, a page only, none), and where this build took it from (archive, "
        "cache, mirror, download and its address).",
        deps=("raw.mhclg__revenue_cells",),
        build=reference.sources_table,
        source_families=("*",),
        primary_key=("source_id",),
    ),
)
