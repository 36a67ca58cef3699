"""The secure settings transcription and the prisons table, from the archive: the archived
CSV read a second, plain way and compared; each bad row named; the out table's arithmetic on
a year where spending and the count meet."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from assets import moj_prisons, secure_settings
from pipeline.config import REPO_ROOT, SQL_DIR
from pipeline.errors import LayoutError, SourceError
from pipeline.sources.fetch import Resolved
from pipeline.sources.registry import load_sources

SOURCE = next(s for s in load_sources() if s.id == "published_ndtms_secure_settings")
PRISONS = next(s for s in load_sources() if s.id == "published_prisons_substance_misuse")
CSV_PATH = REPO_ROOT / SOURCE.archive_path


def csv_rows(path: Path = CSV_PATH) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def build(path: Path = CSV_PATH, source=SOURCE):
    return secure_settings.in_treatment(Resolved(source, path, "archive"))


def rewritten(tmp_path: Path, old: str, new: str) -> Path:
    text = CSV_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / SOURCE.file_name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """1-based line of the file holding `text` (no field of the CSV spans lines)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_the_archived_transcription_is_its_pinned_bytes():
    data = CSV_PATH.read_bytes()
    assert (hashlib.sha256(data).hexdigest(), len(data)) == (SOURCE.sha256, SOURCE.bytes)


def test_every_transcribed_row_becomes_one_figure():
    frame = build()
    rows = csv_rows()
    assert len(frame) == len(rows)
    got = {
        (r.financial_year, r.cohort, r.is_restated): (r.value, r.citation, r.quote)
        for r in frame.itertuples()
    }
    want = {
        (r["financial_year"], r["cohort"], r["measure"].endswith("_restated")): (
            int(r["value"]),
            r["publication"],
            r["quote"],
        )
        for r in rows
    }
    assert got == want
    assert str(frame["value"].dtype) == "int64"


def test_years_not_held_are_absent_not_filled():
    years = set(build()["financial_year"])
    assert "2016-17" not in years and "2017-18" not in years
    assert {"2015-16", "2018-19", "2023-24"} <= years


def test_the_series_uses_the_restatement_and_keeps_the_first_publication():
    frame = build()
    rows = csv_rows()
    restated = {(r["financial_year"], r["cohort"]) for r in rows if "restated" in r["measure"]}
    assert restated  # the 2021 to 2022 report restated 2020-21
    for (year, cohort), group in frame.groupby(["financial_year", "cohort"]):
        chosen = group[group.in_series]
        assert len(chosen) == 1, (year, cohort)
        assert bool(chosen.is_restated.iloc[0]) == ((year, cohort) in restated)
    both = frame[(frame.financial_year == "2020-21") & (frame.cohort == "adults")]
    assert len(both) == 2 and set(both.is_restated) == {True, False}


def independent_changes() -> list[tuple[float, int, int]]:
    """(published %, from, to) for each quoted change, found and paired without the module:
    the quote's base is its own row's value; the other figure is the next year's, same report."""
    rows = csv_rows()
    found = []
    for r in rows:
        m = re.search(r"([\d.]+)% (increase|decrease) from the ([\d,]+)", r["quote"])
        if not m:
            continue
        assert int(m.group(3).replace(",", "")) == int(r["value"])
        year = int(r["financial_year"][:4]) + 1
        nxt = [
            x
            for x in rows
            if x["url"] == r["url"]
            and x["cohort"] == r["cohort"]
            and x["financial_year"] == f"{year}-{(year + 1) % 100:02d}"
        ]
        sign = 1 if m.group(2) == "increase" else -1
        found.append((sign * float(m.group(1)), int(r["value"]), int(nxt[0]["value"])))
    return found


def test_the_quoted_three_percent_increase_agrees_with_the_figures_held():
    expected = independent_changes()
    assert len(expected) == 1
    pct, base, current = expected[0]
    assert base == 43_607 and pct == 3
    assert round(100 * (current - base) / base) == pct  # the report rounds to whole percent
    frame = build()
    changes = secure_settings.quoted_changes(frame.to_dict("records"))
    assert [(c.published_pct, c.base_held, c.current) for c in changes] == expected
    assert all(c.agrees for c in changes)


def test_a_held_figure_that_breaks_the_quoted_change_is_caught(tmp_path):
    # 2021-22 moved (value and its own quote) so that the change is no longer about 3%
    path = rewritten(
        tmp_path, "2021-22,adults,in_treatment,45096", "2021-22,adults,in_treatment,47096"
    )
    path.write_text(path.read_text().replace("There were 45,096", "There were 47,096"))
    changes = secure_settings.quoted_changes(build(path).to_dict("records"))
    assert len(changes) == 1 and not changes[0].agrees
    assert "45,096" not in changes[0].describe() and "+8.00%" in changes[0].describe()


def test_a_percentage_printed_with_a_decimal_is_held_to_that_decimal():
    row = {
        "financial_year": "2020-21",
        "fy_start": 2020,
        "cohort": "adults",
        "value": 1000,
        "is_restated": True,
        "citation": "report",
        "url": "u",
        "quote": "a 3.4% fall from 1,000",
    }
    nxt = {**row, "financial_year": "2021-22", "fy_start": 2021, "value": 966, "quote": ""}
    nxt["is_restated"] = False
    (change,) = secure_settings.quoted_changes([row, nxt])
    assert change.published_pct == -3.4 and change.precision == pytest.approx(0.1)
    assert change.agrees  # -3.4% exactly
    (off,) = secure_settings.quoted_changes([row, {**nxt, "value": 965}])
    assert not off.agrees  # -3.5% is outside -3.4 +/- 0.05


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"There were 52,891 adults in alcohol and drug treatment in prisons and secure '
            'settings between 1 April 2019 and 31 March 2020."',
            '"There were many adults in alcohol and drug treatment in prisons."',
            "2019-20 adults: the quote has no number",
        ),
        ("2022-23,adults,in_treatment,46551", "2022-23,adults,in_treatment,46515", "does not give"),
        (
            "2023-24,adults,",
            "2031-32,adults,",
            "financial_year 2031-32 is outside 2015-16..2023-24",
        ),
        ("2018-19,young_people,", "2014-15,young_people,", "financial_year 2014-15 is outside"),
        ("2019-20,young_people,", "2019-21,young_people,", "'2019-21' is not like 2020-21"),
        (
            "2015-16,young_people,in_treatment,1541",
            "2015-16,young_people,in_treatment,",
            "value '' is not a count of people",
        ),
        ("2021-22,adults,in_treatment,", "2021-22,adults,in_custody,", "measure 'in_custody'"),
    ],
    ids=["no number", "value not quoted", "after", "before", "malformed", "blank", "measure"],
)
def test_a_bad_row_is_named(tmp_path, old, new, message):
    path = rewritten(tmp_path, old, new)
    with pytest.raises(LayoutError) as info:
        build(path)
    line = str(info.value)
    assert "\n" not in line and line.startswith(f"{SOURCE.file_name}, cell row ")
    assert f"cell row {line_of(path, new)}:" in line
    assert message in line


def test_a_prison_series_without_a_scope_is_named(tmp_path):
    text = (REPO_ROOT / PRISONS.archive_path).read_text(encoding="utf-8")
    path = tmp_path / PRISONS.file_name
    path.write_text(text.replace("NOMS drug interventions", "NOMS drug programmes"))
    with pytest.raises(LayoutError) as info:
        moj_prisons.prison_spend(Resolved(PRISONS, path, "archive"))
    assert f"cell row {line_of(path, 'NOMS drug programmes')}:" in str(info.value)
    assert "prison_spend_series.csv" in str(info.value)


def out_table(secure: Path, prisons: Path = REPO_ROOT / PRISONS.archive_path) -> list[dict]:
    """Build the two core tables from the given files and run the out table's SQL on them."""
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA core")
        frames = {
            "core.secure_settings_in_treatment": build(secure),
            "core.prison_substance_misuse_spend": moj_prisons.prison_spend(
                Resolved(PRISONS, prisons, "archive")
            ),
        }
        for name, frame in frames.items():
            con.register("_f", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _f")
            con.unregister("_f")
        cur = con.execute((SQL_DIR / "out" / "prison_substance_misuse.sql").read_text())
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_spending_per_adult_where_both_meet(tmp_path):
    # A 2016-17 adults figure (not held in reality) meets the 2016-17 derived spending figure.
    extra = (
        '2016-17,adults,in_treatment,54000,"a test report",http://example.test,'
        '"There were 54,000 adults in treatment.",\n'
    )
    path = tmp_path / SOURCE.file_name
    path.write_text(CSV_PATH.read_text(encoding="utf-8") + extra, encoding="utf-8")
    spend = [
        r
        for r in csv_rows(REPO_ROOT / PRISONS.archive_path)
        if r["financial_year"] == "2016-17" and r["series"].startswith("prison substance misuse")
    ]
    by_year = {r["financial_year"]: r for r in out_table(path)}
    row = by_year["2016-17"]
    assert row["spend_per_adult_in_treatment_gbp"] == pytest.approx(
        float(spend[0]["value_gbp_millions"]) * 1e6 / 54_000
    )
    assert row["spend_per_adult_in_treatment_status"] == "indicative"
    assert row["spend_per_adult_in_treatment_missing_reason"] is None
    assert by_year["2018-19"]["spend_per_adult_in_treatment_gbp"] is None
    assert by_year["2018-19"]["spend_per_adult_in_treatment_missing_reason"].startswith(
        "no spending figure"
    )


def test_two_spending_figures_of_one_scope_in_a_year_are_not_merged(tmp_path):
    text = (REPO_ROOT / PRISONS.archive_path).read_text(encoding="utf-8")
    path = tmp_path / PRISONS.file_name
    path.write_text(text + "2018-19,prison drug treatment funding,50.0,published,a test,\n")
    rows = {r["financial_year"]: r for r in out_table(CSV_PATH, path)}
    assert rows["2018-19"]["substance_misuse_spend_gbp_millions"] == 50.0
    assert rows["2018-19"]["substance_misuse_spend_missing_reason"] is None
    # a second figure of the same scope for the year: two rows, which the primary key refuses,
    # rather than one figure silently chosen
    text = path.read_text() + "2018-19,prison drug treatment funding,51.0,published,another,\n"
    path.write_text(text)
    years = [r["financial_year"] for r in out_table(CSV_PATH, path)]
    assert years.count("2018-19") == 2


def test_coverage_reads_the_registry_range():
    assert secure_settings.coverage("2015-16..2023-24") == (2015, 2023)
    assert secure_settings.coverage("2013-14") == (2013, 2013)
    with pytest.raises(ValueError):
        secure_settings.coverage("2015..2023")
    bad = dataclasses.replace(SOURCE, financial_year="2015..2023")
    with pytest.raises(SourceError, match="is not a range like 2015-16..2023-24"):
        build(CSV_PATH, bad)
