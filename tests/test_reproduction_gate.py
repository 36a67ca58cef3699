"""The reproduction check fails closed: a must-reproduce figure that cannot be computed, and a
known difference whose figure has drifted, both stop the build."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from assets.reproduction import reproduction_check
from pipeline.errors import SpendtrackError
from pipeline.figures.claims import FIGURES_CSV, compare, evaluate_figure, load_figures


def _figure(**overrides: str) -> dict[str, str]:
    fig = dict.fromkeys(next(csv.reader(FIGURES_CSV.open(encoding="utf-8"))), "")
    fig.update(
        claim_id="x",
        metric="level_gbp_millions",
        series="drugs",
        basis="budget",
        from_year="2013-14",
        to_year="2013-14",
        prices="cash",
        published_value="569.1",
        comparison="round",
        tolerance="0.1",
        must_reproduce="false",
    )
    fig.update(overrides)
    return fig


def _check(rows: list[tuple[str, bool, str, str]]) -> dict[str, bool]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA out")
    con.execute(
        "CREATE TABLE out.reproduction (claim_id VARCHAR, must_reproduce BOOLEAN, "
        "status VARCHAR, reason VARCHAR)"
    )
    con.executemany("INSERT INTO out.reproduction VALUES (?, ?, ?, ?)", rows)
    return {r.name: r.passed for r in reproduction_check(SimpleNamespace(con=con))}


def test_a_must_reproduce_figure_that_cannot_be_computed_fails_the_build():
    results = _check([("a", True, "not_reproducible", "out.spend_trends is not built")])
    assert results["local_government_figures_reproduce"] is False


def test_a_must_reproduce_figure_whose_table_is_missing_is_not_reproducible():
    row = evaluate_figure(duckdb.connect(), _figure(must_reproduce="true"))
    assert row["status"] == "not_reproducible"
    assert "out.spend_trends" in row["reason"]
    results = _check([("x", True, row["status"], row["reason"])])
    assert results["local_government_figures_reproduce"] is False


def test_reproduced_and_explained_figures_pass():
    results = _check([("a", True, "reproduced", ""), ("b", False, "differs", "a recorded reason")])
    assert all(results.values())


def test_a_known_difference_holds_while_ours_stays_at_the_expected_value():
    fig = _figure(known_difference="a recorded gap", expected_value="568.77")
    assert compare(fig, 568.767).reason == "a recorded gap"
    assert compare(fig, 568.81).reason == "a recorded gap"  # within half of 0.1


def test_a_known_difference_fails_once_ours_moves_beyond_the_published_precision():
    fig = _figure(known_difference="a recorded gap", expected_value="568.77")
    outcome = compare(fig, 568.90)
    assert outcome.status == "differs"
    assert outcome.reason.startswith("unexplained")
    assert "568.77" in outcome.reason and "568.9" in outcome.reason
    results = _check([("x", False, outcome.status, outcome.reason)])
    assert results["differences_explained"] is False


def _write(path: Path, figures: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(figures[0]))
        writer.writeheader()
        writer.writerows(figures)
    return path


def test_a_known_difference_without_the_expected_value_is_refused(tmp_path: Path):
    path = _write(tmp_path / "figures.csv", [_figure(known_difference="a recorded gap")])
    with pytest.raises(SpendtrackError, match="row 2 .*expected_value"):
        load_figures(path)


def test_a_must_reproduce_figure_declared_not_reproducible_is_refused(tmp_path: Path):
    fig = _figure(must_reproduce="true", not_reproducible_reason="no source")
    with pytest.raises(SpendtrackError, match="must_reproduce"):
        load_figures(_write(tmp_path / "figures.csv", [fig]))


def test_every_known_difference_in_the_reference_records_its_value():
    figures = load_figures()
    known = [f for f in figures if f["known_difference"]]
    assert known and all(f["expected_value"] for f in known)
