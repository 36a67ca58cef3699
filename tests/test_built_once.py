"""The suite's shared builds (conftest.built_once): made once, shared, a failure never retried."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import built_once


def test_a_build_runs_once_and_every_later_asker_shares_it(tmp_path_factory):
    name = f"shared_{uuid.uuid4().hex}"
    calls: list[Path] = []

    def build(root: Path) -> dict:
        calls.append(root)
        (root / "made").write_text("once", encoding="utf-8")
        return {"calls": len(calls)}

    first = built_once(tmp_path_factory, name, build)
    second = built_once(tmp_path_factory, name, build)
    assert first == second == (calls[0], {"calls": 1})
    assert len(calls) == 1 and (first[0] / "made").read_text(encoding="utf-8") == "once"


def test_a_failed_build_fails_every_later_asker_without_building_again(tmp_path_factory):
    name = f"shared_{uuid.uuid4().hex}"
    calls: list[Path] = []

    def build(root: Path) -> dict:
        calls.append(root)
        raise ValueError("the mirror's RA 2016-17 is truncated")

    with pytest.raises(ValueError, match="truncated"):
        built_once(tmp_path_factory, name, build)
    with pytest.raises(pytest.fail.Exception, match="ValueError: the mirror's RA 2016-17 is"):
        built_once(tmp_path_factory, name, build)
    assert len(calls) == 1
