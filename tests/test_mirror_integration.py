"""The whole real archive: every file, every year, England totals and the reproduction."""

from __future__ import annotations

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from pipeline.config import REPO_ROOT
from pipeline.extract.layouts import normalise, service_lines
from pipeline.sources.registry import load_sources, sources_by_family

pytestmark = pytest.mark.real


def england_row_independently(path, sheet: str, header_hint: str) -> dict[str, float]:
    """A second, deliberately simple reading: label -> ENGLAND value, for the mapped lines.

    For single-measure sheets only (RA): find the row whose cells include 'ENGLAND' and the
    header row holding `header_hint`, and pair them up by column.
    """
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    header = next(r for r in rows if header_hint in r)
    england = next(r for r in rows if "ENGLAND" in [str(c).strip() for c in r[:6]])
    lines = service_lines()
    out: dict[str, float] = {}
    for label, value in zip(header, england, strict=False):
        line = lines.get(normalise(label))
        if line and line.status == "mapped" and line.category != "public_health_total":
            out[line.canonical_line] = out.get(line.canonical_line, 0.0) + float(value)
    return out


def test_every_enabled_mhclg_source_and_year_is_built(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        built = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT source_id FROM raw.mhclg__revenue_cells"
            ).fetchall()
        }
        years = con.execute(
            "SELECT basis, list(DISTINCT financial_year ORDER BY financial_year) "
            "FROM out.spend_trends GROUP BY basis ORDER BY basis"
        ).fetchall()
    assert built == {s.id for s in sources_by_family("mhclg_revenue")}
    assert len(built) == 15  # 14 workbooks and the RA 2022-23 Stata copy
    assert years == [
        ("budget", [f"{y}-{(y + 1) % 100:02d}" for y in range(2013, 2024)]),
        # 2016-17 to 2018-19 from the 2020 written answer, the rest from RO3 files
        ("outturn", ["2013-14", "2016-17", "2017-18", "2018-19", "2022-23", "2023-24", "2024-25"]),
    ]


def test_england_totals_equal_each_files_england_row(mirror_lake):
    """For every RA file with an ENGLAND row, every line: core equals the file, read anew."""
    from pipeline.extract.layouts import sheet_layouts

    checked = 0
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        for src in sources_by_family("mhclg_revenue"):
            lay = sheet_layouts()[src.id][0]
            if src.form != "RA" or not lay.has_england_row:
                continue
            expected = england_row_independently(REPO_ROOT / src.archive_path, lay.sheet, "E-code")
            got = dict(
                con.execute(
                    "SELECT canonical_line, published_total_gbp_thousands FROM "
                    "core.england_substance_misuse_spend WHERE source_id = ? AND "
                    "measure = 'net_current_expenditure' AND category <> 'public_health_total'",
                    [src.id],
                ).fetchall()
            )
            assert got == pytest.approx(expected), src.id
            checked += len(expected)
    assert checked == 3 * 3 + 6 * 5  # three old-style years, six five-line years


def test_outturn_england_rows_match_the_files(mirror_lake):
    """RO3 2022-23 drug treatment, ENGLAND row, net current expenditure (C7), read anew."""
    src = next(s for s in sources_by_family("mhclg_revenue") if s.id == "mhclg_ro3_2022_23")
    rows = (
        CalamineWorkbook.from_path(str(REPO_ROOT / src.archive_path))
        .get_sheet_by_name("RO3_LA_Data_2022-23")
        .to_python()
    )
    col = rows[6].index("RO3-phsbstrtdrg-net-cur-exp")
    england = next(r for r in rows if r[2] == "ENGLAND")
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        got = con.execute(
            "SELECT published_total_gbp_thousands FROM core.england_substance_misuse_spend "
            "WHERE source_id = 'mhclg_ro3_2022_23' AND canonical_line = 'drug_treatment' "
            "AND measure = 'net_current_expenditure'"
        ).fetchone()[0]
    assert got == pytest.approx(england[col])


def test_grossed_up_england_row_kept_beside_sum_of_authorities(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        row = con.execute(
            "SELECT published_total_gbp_thousands, authorities_sum_gbp_thousands FROM "
            "core.england_substance_misuse_spend WHERE financial_year = '2020-21' AND "
            "basis = 'budget' AND canonical_line = 'drug_treatment' AND "
            "measure = 'net_current_expenditure'"
        ).fetchone()
    assert round(row[0]) == 339470 and round(row[1]) == 328326  # SOURCES.md's example


def test_all_local_government_claims_reproduce(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        rows = con.execute(
            "SELECT claim_id, status, computed_value FROM out.reproduction WHERE basis = 'budget' "
            "AND claim_id LIKE 'sots17%'"
        ).fetchall()
    statuses = {c: s for c, s, _ in rows}
    assert statuses.pop("sots17_wider_sector_2017_18") == "not_reproducible"
    assert set(statuses.values()) == {"reproduced"} and len(statuses) == 16
    # the figures themselves, from each file's ENGLAND row read anew by its printed labels
    # (not through the layout tables): adults are every 'Substance misuse' column for adults
    computed = {c: v for c, _, v in rows}
    first = adult_columns_on_england_row("mhclg_ra_2013_14")
    last = adult_columns_on_england_row("mhclg_ra_2017_18")
    adults = (sum(last.values()) - sum(first.values())) / 1000
    assert float(computed["sots17_adults_change"]) == pytest.approx(adults, abs=0.005)

    def drugs(values: dict[str, float]) -> float:
        return sum(v for label, v in values.items() if "drug" in label.lower())

    pct = 100 * (drugs(last) - drugs(first)) / drugs(first)
    assert float(computed["sots17_drugs_change_pct"]) == pytest.approx(pct, abs=0.05)


def adult_columns_on_england_row(source_id: str) -> dict[str, float]:
    """Printed label -> ENGLAND value for each 'Substance misuse ...' adults column of the
    file's net current expenditure sheet (the first sheet whose rows hold an ENGLAND row)."""
    src = next(s for s in sources_by_family("mhclg_revenue") if s.id == source_id)
    book = CalamineWorkbook.from_path(str(REPO_ROOT / src.archive_path))
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        titles = " ".join(str(c) for r in rows[:4] for c in r)
        if "Net current expenditure" not in titles:
            continue
        header = next(r for r in rows if any(str(c).startswith("Substance misuse") for c in r))
        england = next(r for r in rows if "ENGLAND" in [str(c).strip() for c in r[:6]])
        return {
            str(label): float(value)
            for label, value in zip(header, england, strict=False)
            if str(label).startswith("Substance misuse") and "adults" in str(label).lower()
        }
    raise AssertionError(f"{source_id}: no net current expenditure sheet")


def test_prison_claims_say_what_source_is_missing(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        rows = con.execute(
            "SELECT status, reason FROM out.reproduction WHERE series = 'prisons'"
        ).fetchall()
    assert len(rows) == 2
    assert all(s == "not_reproducible" and "Ministry of Justice" in r for s, r in rows)


def test_line_348_and_safeguarding_never_in_core(mirror_lake):
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        leaked = con.execute(
            "SELECT count(*) FROM core.la_substance_misuse_spend c JOIN "
            "raw.mhclg__revenue_cells r ON r.source_id = c.source_id AND r.sheet = c.sheet "
            "AND r.cell = c.cell WHERE r.printed_label ILIKE '%Social support%' "
            "OR r.printed_label ILIKE '%safeguarding%'"
        ).fetchone()[0]
        kept = con.execute(
            "SELECT count(DISTINCT source_id) FROM raw.mhclg__revenue_cells "
            "WHERE printed_label = 'Social support: Substance misuse support'"
        ).fetchone()[0]
    assert leaked == 0 and kept >= 10


def test_every_source_came_from_the_archive_with_no_mirror(mirror_lake):
    """The shared build had no mirror and an empty cache: a clone alone is enough."""
    assert not mirror_lake.mirror_dir.exists()
    with duckdb.connect(str(mirror_lake.database_path), read_only=True) as con:
        via = dict(con.execute("SELECT source_id, obtained_via FROM reference.sources").fetchall())
        adults = con.execute(
            "SELECT value_gbp_millions FROM out.spend_trends WHERE basis = 'budget' "
            "AND category = 'adults' AND financial_year = '2013-14'"
        ).fetchone()[0]
    enabled = {s.id for s in load_sources()}
    assert set(via) == enabled and set(via.values()) == {"archive"}
    # England's adult drug and alcohol budget 2013-14, read from the RA file's ENGLAND row
    # independently: lines 376 and 377 of the archived workbook.
    src = next(s for s in load_sources() if s.id == "mhclg_ra_2013_14")
    england = england_row_independently(
        REPO_ROOT / src.archive_path, "RA LA Data 2013-14 (1)", "E-code"
    )
    expected = (england["drug_adults_all"] + england["alcohol_adults_all"]) / 1000
    assert adults == pytest.approx(expected, abs=0.005) and round(expected, 1) == 772.8
