"""Shared fixtures: generated mirrors, and the real mirror (skip, or fail in CI, when absent)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline.config import Settings
from tests.synthetic import make_mirror

# Read once, when the tests start: tests point SPENDTRACK_MIRROR at generated mirrors while
# they run, and the real mirror must not become whichever of those is current.
REAL_MIRROR_SETTING = os.environ.get("SPENDTRACK_MIRROR", "")


def real_mirror() -> Path:
    """The mirror of real source files; skipped where absent unless CI requires it."""
    value = REAL_MIRROR_SETTING
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


def point_env_at(env: pytest.MonkeyPatch, settings: Settings) -> None:
    """Expose `settings` to the CLI and Dagster through their environment variables."""
    env.setenv("SPENDTRACK_SOURCES", str(settings.sources_path))
    env.setenv("SPENDTRACK_MIRROR", str(settings.mirror_dir))
    env.setenv("SPENDTRACK_LAKE", str(settings.lake_dir))
    env.setenv("SPENDTRACK_CACHE", str(settings.cache_dir))


@pytest.fixture
def synthetic(tmp_path: Path) -> Settings:
    """Five generated RA workbooks, their registry, and empty lake and cache directories."""
    make_mirror(tmp_path)
    return settings_for(tmp_path)


@pytest.fixture
def synthetic_env(synthetic: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same, exposed to the CLI through its environment variables."""
    point_env_at(monkeypatch, synthetic)
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


@pytest.fixture(scope="session")
def published_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated mirror and a good first `spendtrack refresh --force` of it, made once.

    Each test that needs a published database starts from a copy of this directory (see
    `published_copy`): the same generated files, registry, cache and published build that the
    test would otherwise make again, at several seconds a test.
    """
    from pipeline.cli import main

    root = tmp_path_factory.mktemp("published_template")
    make_mirror(root)
    settings = settings_for(root)
    with pytest.MonkeyPatch.context() as env:
        point_env_at(env, settings)
        assert main(["refresh", "--force"]) == 0
    return root


def published_copy(template: Path, settings: Settings) -> Settings:
    """Copy the template's files into `settings`' directory, keeping modification times (the
    record of the published build checks the database's size and time)."""
    root = settings.sources_path.parent
    shutil.copytree(template, root, dirs_exist_ok=True, copy_function=shutil.copy2)
    return settings


@pytest.fixture(scope="session")
def mirror_report(mirror_lake: Settings) -> Settings:
    """`spendtrack report` once on the shared mirror build: the page, its charts and the
    council area pages, read by the report and area page tests."""
    from pipeline.cli import main

    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPENDTRACK_LAKE", str(mirror_lake.lake_dir))
        assert main(["report"]) == 0
    return mirror_lake


@pytest.fixture
def published_env(synthetic_env: Settings, published_template: Path) -> Settings:
    """`synthetic_env` with a good refresh already published: a copy of the session's one."""
    return published_copy(published_template, synthetic_env)


@pytest.fixture
def synthetic_published(synthetic: Settings, published_template: Path) -> Settings:
    """`synthetic` with a good refresh already published: a copy of the session's one."""
    return published_copy(published_template, synthetic)
