"""Faults in the deflator files: each is named with its file and row, and nothing is published."""

from __future__ import annotations

from tests.synthetic import HMT_PATH, ONS_DEFLATOR_PATH, hmt_deflator_csv
from tests.test_faults import fault_then_check, published  # noqa: F401 (fixture)
from tests.test_faults_treatment import republish


def test_deflator_file_with_a_missing_year(published, capsys):  # noqa: F811
    republish(published, HMT_PATH, hmt_deflator_csv(drop_year="2016-17"))
    fault_then_check(
        published,
        capsys,
        code=4,
        # 2016-17 would be row 8: the file now jumps from 2015-16 (row 7) to 2017-18 (row 8)
        expected=["hmt_generated.csv", "row 8", "2016-17 missing between 2015-16 and 2017-18"],
    )


def test_deflator_index_not_a_number(published, capsys):  # noqa: F811
    republish(published, HMT_PATH, hmt_deflator_csv(index_text={"2019-20": "n/a"}))
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=["hmt_generated.csv", "row 11", "gdp_deflator 'n/a' is not a number"],
    )


def test_deflator_header_changed(published, capsys):  # noqa: F811
    text = hmt_deflator_csv().replace("gdp_deflator", "gdp_deflator_2024_25", 1)
    republish(published, HMT_PATH, text)
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=["hmt_generated.csv", "row 1", "header has no column ['gdp_deflator']"],
    )


def test_ons_series_code_changed(published, capsys):  # noqa: F811
    text = (published.mirror_dir / ONS_DEFLATOR_PATH).read_text().replace('"YBGB"', '"L8GG"')
    republish(published, ONS_DEFLATOR_PATH, text)
    fault_then_check(
        published, capsys, code=4, expected=["ybgb_generated.csv", "CDID is 'L8GG'", "'YBGB'"]
    )


def test_deflator_series_disagreeing_blocks_the_publish(published, capsys):  # noqa: F811
    # A new vintage (or a wrong file) moves one year by 3%: the two series no longer agree.
    moved = f"{100 * 1.02 ** (2018 - 2024) * 1.03:.4f}"
    republish(published, HMT_PATH, hmt_deflator_csv(index_text={"2018-19": moved}))
    fault_then_check(
        published,
        capsys,
        code=5,
        expected=["reference.gdp_deflator: blocking check failed", "2018-19: gap -2.9"],
    )


def test_spending_year_without_a_deflator_blocks_the_publish(
    published,  # noqa: F811
    capsys,
    monkeypatch,
    tmp_path,
):
    # The default series starts in 2015-16 (gap-free), the agreement rule covers only the years
    # both series hold, and the spending starts in 2013-14: those two years have no real terms.
    from assets import deflators

    rule = deflators.AGREEMENT_CSV.read_text().replace("2013-14,2024-25", "2015-16,2024-25")
    (tmp_path / "agreement.csv").write_text(rule)
    monkeypatch.setattr(deflators, "AGREEMENT_CSV", tmp_path / "agreement.csv")
    lines = hmt_deflator_csv().splitlines()
    kept = [lines[0]] + [ln for ln in lines[1:] if int(ln[:4]) >= 2015]
    republish(published, HMT_PATH, "\n".join(kept) + "\n")
    fault_then_check(
        published,
        capsys,
        code=5,
        expected=["out.spend_trends: blocking check failed", "no deflator for 2013-14, 2014-15"],
    )
