"""The full table graph of the database, assembled from each source family's module."""

from __future__ import annotations

from assets import mhclg_revenue, reference, reproduction
from assets.trends import SQL_TABLES
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
        name="out.reproduction",
        description="Each published figure, our figure, the difference and the status "
        "(reproduced, differs with its reason, not_reproducible).",
        deps=("out.spend_trends", "out.share_of_public_health"),
        build=reproduction.reproduction_table,
        primary_key=("claim_id",),
        checks=(TableCheck("reproduction", reproduction.reproduction_check),),
    ),
    TableSpec(
        name="reference.sources",
        description="Every source read: publisher, year, address, sha256, licence, and whether "
        "this build took it from the cache, a mirror or a download.",
        deps=("raw.mhclg__revenue_cells",),
        build=reference.sources_table,
        primary_key=("source_id",),
    ),
)
