"""Faults in the prisons transcriptions: each bad row is named, and nothing is published."""

from __future__ import annotations

import hashlib
import tomllib

import tomli_w

from pipeline.config import REPO_ROOT
from pipeline.sources.registry import Source
from tests.synthetic import write_registry
from tests.test_faults import fault_then_check, published  # noqa: F401 (fixture)
from tests.test_secure_settings import PRISONS, SOURCE, line_of


def republish(settings, *edits: tuple[str, str], source: Source = SOURCE) -> int:
    """A transcription with `edits` made, served from the mirror and re-pinned, as a
    corrected file would arrive; returns the line of the first edit."""
    text = (REPO_ROOT / source.archive_path).read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    mirrored = f"published/{source.file_name}"
    path = settings.mirror_dir / mirrored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    root = settings.mirror_dir.parent
    write_registry(root)
    registry = tomllib.loads((root / "sources.toml").read_text(encoding="utf-8"))
    entry = next(e for e in registry["source"] if e["id"] == source.id)
    data = path.read_bytes()
    entry.update(
        archive_path="",
        mirror_path=mirrored,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
    )
    (root / "sources.toml").write_text(tomli_w.dumps(registry), encoding="utf-8")
    return line_of(path, edits[0][1])


def test_a_quote_with_no_number(published, capsys):  # noqa: F811
    quote = (
        '"There were 53,193 adults in alcohol and drug treatment in prisons and secure settings '
        'between 1 April 2018 and 31 March 2019."'
    )
    row = republish(published, (quote, '"There were adults in treatment in prisons."'))
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[SOURCE.file_name, f"row {row}:", "2018-19 adults: the quote has no number"],
    )


def test_a_year_out_of_range(published, capsys):  # noqa: F811
    row = republish(published, ("2023-24,adults,", "2033-34,adults,"))
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[SOURCE.file_name, f"row {row}:", "2033-34 is outside 2015-16..2023-24"],
    )


def test_a_figure_that_breaks_the_quoted_change_blocks_the_publish(published, capsys):  # noqa: F811
    # 2021-22 retyped as 48,096 with its own quote to match: the 2021 to 2022 report's "3%
    # increase from the 43,607" no longer holds, and the blocking check stops the publish
    republish(
        published,
        ("2021-22,adults,in_treatment,45096,", "2021-22,adults,in_treatment,48096,"),
        ("There were 45,096 adults", "There were 48,096 adults"),
    )
    line = fault_then_check(
        published,
        capsys,
        code=5,
        expected=["core.secure_settings_in_treatment: blocking check failed", "report_changes"],
    )
    assert "'3% increase from the 43,607': held 43,607 -> 48,096 = +10.29%" in line


def test_a_prison_spending_series_with_no_scope(published, capsys):  # noqa: F811
    row = republish(
        published,
        ("NOMS drug interventions in prisons", "NOMS drug programmes in prisons"),
        source=PRISONS,
    )
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[
            PRISONS.file_name,
            f"row {row}:",
            "series 'NOMS drug programmes in prisons' is not in "
            "pipeline/layouts/prison_spend_series.csv",
        ],
    )
