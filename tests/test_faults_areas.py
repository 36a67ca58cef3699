"""An authority code with no stable area stops the build, naming it; nothing is published."""

from __future__ import annotations

from tests.synthetic import LOOKUP_PATH, lookup_csv
from tests.test_faults import fault_then_check, published  # noqa: F401 (fixture)
from tests.test_faults_treatment import republish


def test_authority_with_no_stable_area(published, capsys):  # noqa: F811
    # Bristol leaves the lookup (as a council created after April 2023 would be absent):
    # it reported spend, is no district, no other body and no known reorganisation.
    lines = [ln for ln in lookup_csv().splitlines() if not ln.startswith("E06000023,")]
    republish(published, LOOKUP_PATH, "\n".join(lines) + "\n")
    fault_then_check(
        published,
        capsys,
        code=5,
        expected=["reference.stable_areas", "E0102 E06000023", "has no stable area"],
    )
