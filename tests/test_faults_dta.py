"""Faults in a Stata (.dta) copy: each names the file and the variable, and nothing is published."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from tests.test_faults import fault_then_check, published  # noqa: F401 (fixture)

DTA_NAME = "RA_2022-23_generated.dta"
LINES = {  # variable -> printed label, as the copy holds them (cut at 80 characters)
    "substancemisusetreatmentfor": "Substance misuse - Treatment for drug misuse in adults",
    "bv": "Substance misuse - Treatment for alcohol misuse in adults",
    "substancemisusespecialistdr": (
        "Substance misuse - Specialist drug and alcohol misuse services for children and "
    ),
    "totalpublichealth": "TOTAL PUBLIC HEALTH",
}


def write_dta(path: Path, *, drop: str = "", labels: dict[str, str] | None = None) -> None:
    """A small copy in the real one's shape: identity variables, blank spacers, text values."""
    frame = pd.DataFrame(
        {
            "ecode": ["E0101", "E0102"],
            "onscode": ["E06000022", "E06000023"],
            "localauthority": ["Bath & North East Somerset UA", "Bristol UA"],
            "d": [float("nan")] * 2,
            "class": ["UA", "UA"],
            "subclass": ["UA", "UA"],
            "syntheticrecord": ["", "S"],
            "h": [float("nan")] * 2,
            **{v: ["1,068", "…"] for v in LINES},
            "year": [2022.0, 2022.0],
        }
    )
    names = {"ecode": "ONS Code", "onscode": "E-code", "localauthority": "Local authority"}
    names |= {"class": "Class", "subclass": "Subclass", "syntheticrecord": "Synthetic record"}
    names |= labels or LINES
    if drop:
        frame = frame.drop(columns=[drop])
    frame.to_stata(
        path,
        write_index=False,
        version=118,
        variable_labels={k: v for k, v in names.items() if k in frame.columns},
    )
    # pandas writes the reserved word 'class' as '_class'; the real copy (made by Stata) has
    # 'class'. Names sit in fixed-width, NUL-padded fields, so the bytes can be put back.
    data = path.read_bytes()
    path.write_bytes(data.replace(b"\x00_class\x00", b"\x00class\x00\x00", 1))


def add_dta_source(settings, path: Path) -> None:
    data = path.read_bytes()
    entry = "\n".join(
        [
            "",
            "[[source]]",
            'id = "mhclg_ra_2022_23"',
            'family = "mhclg_revenue"',
            'publisher = "test"',
            'title = "generated RA 2022-23 Stata copy"',
            'form = "RA"',
            'financial_year = "2022-23"',
            'basis = "budget"',
            f'file_name = "{path.name}"',
            f'mirror_path = "mhclg/{path.name}"',
            'kind = "dta"',
            f'sha256 = "{hashlib.sha256(data).hexdigest()}"',
            f"bytes = {len(data)}",
            'licence = "test"',
            "",
        ]
    )
    with settings.sources_path.open("a", encoding="utf-8") as fh:
        fh.write(entry)


def fault(settings, capsys, **kwargs) -> Path:
    path = settings.mirror_dir / "mhclg" / DTA_NAME
    write_dta(path, **kwargs)
    add_dta_source(settings, path)
    return path


def test_dta_missing_a_variable(published, capsys):  # noqa: F811
    fault(published, capsys, drop="syntheticrecord")
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[DTA_NAME, "variable(s) ['syntheticrecord'] not found", "dta_variables.csv"],
    )


def test_dta_label_that_does_not_map(published, capsys):  # noqa: F811
    labels = dict(LINES, bv="Substance misuse - Treatment for alcohol and gambling in adults")
    fault(published, capsys, labels=labels)
    fault_then_check(
        published,
        capsys,
        code=4,
        expected=[DTA_NAME, "variable bv", "Treatment for alcohol and gambling", "service_lines"],
    )


def test_dta_truncated_file(published, capsys):  # noqa: F811
    path = published.mirror_dir / "mhclg" / DTA_NAME
    write_dta(path)
    path.write_bytes(path.read_bytes()[:900])  # cut inside the variable labels; re-pinned
    add_dta_source(published, path)
    fault_then_check(published, capsys, code=4, expected=[DTA_NAME, "cannot read the Stata file"])
