"""Shared fixtures: generated mirrors, and the real mirror (skip, or fail in CI, when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import Settings
from tests.synthetic import make_mirror


def real_mirror() -> Path:
    """The mirror of real source files; skipped where absent unless CI requires it."""
    value = os.environ.get("SPENDTRACK_MIRROR", "")
    if value and Path(value, "mhclg").is_dir():
        return Path(value).resolve()
    reason = "needs the source mirror: set SPENDTRACK_MIRROR=../shared/mirror"
    if os.environ.get("SPENDTRACK_REQUIRE_MIRROR") == "1":
        pytest.fail(f"SPENDTRACK_REQUIRE_MIRROR=1 but {reason} (got {value!r})")
    pytest.skip(reason)


def settings_for(
    root: Path,
    *,
    mirror: Path | None = None,
    sources: Path | None = None,
    allow_download: bool = False,
) -> Settings:
    return Settings(
        lake_dir=root / "lake",
        cache_dir=root / "cache",
        mirror_dir=mirror if mirror is not None else root / "mirror",
        allow_download=allow_download,
        sources_path=sources if sources is not None else root / "sources.toml",
    )


@pytest.fixture
def synthetic(tmp_path: Path) -> Settings:
    """Five generated RA workbooks, their registry, and empty lake and cache directories."""
    make_mirror(tmp_path)
    return settings_for(tmp_path)


@pytest.fixture
def synthetic_env(synthetic: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same, exposed to the CLI through its environment variables."""
    monkeypatch.setenv("SPENDTRACK_SOURCES", str(synthetic.sources_path))
    monkeypatch.setenv("SPENDTRACK_MIRROR", str(synthetic.mirror_dir))
    monkeypatch.setenv("SPENDTRACK_LAKE", str(synthetic.lake_dir))
    monkeypatch.setenv("SPENDTRACK_CACHE", str(synthetic.cache_dir))
    return synthetic


@pytest.fixture(scope="session")
def mirror_lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One full refresh of the real mirror, shared by the integration tests."""
    from pipeline.config import SOURCES_TOML
    from pipeline.refresh import refresh

    root = tmp_path_factory.mktemp("mirror_build")
    settings = settings_for(root, mirror=real_mirror(), sources=SOURCES_TOML)
    refresh(settings, progress=lambda _m: None)
    return settings
