"""Shared fixtures: generated mirrors, and the real sources read from the archive in data_raw/."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from pipeline.config import Settings
from tests.synthetic import make_mirror


def archived(source_id: str) -> Path:
    """The archived bytes of a registered source (data_raw/...): a test that reads a real file
    reads it here, so it needs nothing beside the repository and never skips."""
    from pipeline.config import REPO_ROOT, SOURCES_TOML
    from pipeline.sources.registry import load_sources

    src = next((s for s in load_sources(SOURCES_TOML) if s.id == source_id), None)
    assert src is not None and src.archive_path, f"{source_id} is not an archived source"
    path = REPO_ROOT / src.archive_path
    assert path.is_file(), f"{path} is missing from the archive (git checkout -- data_raw)"
    return path


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
    env.setenv("SPENDTRACK_ARCHIVE", str(settings.archive_root))


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


def run_refresh_job(instance, **kwargs):
    """Execute the Dagster `refresh` job in process (the schedule's job), errors kept in the
    result; `instance` is a dagster.DagsterInstance."""
    from pipeline.definitions import defs

    job = defs.resolve_job_def("refresh")
    return job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)


def materialized(result) -> set[str]:
    """The asset keys a Dagster run reported materialised."""
    return {
        e.asset_key.to_user_string()
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
    }


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict]
) -> tuple[Path, dict]:
    """Run `build(directory)` once for the whole test run and share its directory and result.

    Under pytest-xdist every worker process has its own session fixtures; the first worker to
    ask builds, under a file lock, and the others wait and read what it recorded (the pattern
    pytest-xdist documents). A build that raised is recorded too, and fails every worker that
    asks with the same message instead of being attempted again.
    """
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent  # the run's directory, above each worker's own
    root, outcome = run_dir / name, run_dir / f"{name}.outcome.json"
    with FileLock(str(run_dir / f"{name}.lock")):
        if not outcome.exists():
            root.mkdir(exist_ok=True)
            try:
                record = {"result": build(root)}
            except BaseException as exc:
                record = {"error": f"{type(exc).__name__}: {exc}"}
                outcome.write_text(json.dumps(record), encoding="utf-8")
                raise
            outcome.write_text(json.dumps(record), encoding="utf-8")
        record = json.loads(outcome.read_text(encoding="utf-8"))
    if "error" in record:
        pytest.fail(f"{name}, built once for every test that needs it, failed: {record['error']}")
    return root, record["result"]


def archive_settings(root: Path) -> Settings:
    """The project's own registry and archive; an empty cache and no mirror."""
    from pipeline.config import SOURCES_TOML

    return settings_for(root, mirror=root / "no_mirror", sources=SOURCES_TOML)


@pytest.fixture(scope="session")
def mirror_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    """The real mirror built once by the Dagster `refresh` job, as the nightly schedule runs
    it; with what the run reported: success, each asset check's result, the assets it
    materialised and, if a step failed, its message. A build from the official addresses
    through `spendtrack refresh` is compared with it table for table
    (tests/test_loopback_build.py)."""

    def build_with_the_job(root: Path) -> dict:
        import dagster as dg

        with pytest.MonkeyPatch.context() as env:
            point_env_at(env, archive_settings(root))
            result = run_refresh_job(dg.DagsterInstance.ephemeral())
        return {
            "success": result.success,
            "checks": [
                [e.asset_check_key.to_user_string(), e.passed]
                for e in result.get_asset_check_evaluations()
            ],
            "materialized": sorted(materialized(result)),
            "failures": [
                e.step_failure_data.user_failure_data.description
                if e.step_failure_data.user_failure_data
                else str(e.step_failure_data.error)
                for e in result.get_step_failure_events()
            ],
        }

    root, run = built_once(tmp_path_factory, "mirror_build", build_with_the_job)
    return archive_settings(root), run


@pytest.fixture(scope="session")
def mirror_lake(mirror_run: tuple[Settings, dict]) -> Settings:
    """The published database of that one build of the real mirror, shared by the
    integration tests (which only read it)."""
    settings, run = mirror_run
    if not run["success"]:
        pytest.fail(f"the refresh job on the mirror failed: {run['failures']}")
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
def mirror_report(mirror_lake: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """`spendtrack report` once on the shared mirror build: the page, its charts and the
    council area pages, read by the report and area page tests."""
    from pipeline.cli import main

    def report(_root: Path) -> dict:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("SPENDTRACK_LAKE", str(mirror_lake.lake_dir))
            return {"exit_code": main(["report"])}

    _root, done = built_once(tmp_path_factory, "mirror_report", report)
    assert done["exit_code"] == 0
    return mirror_lake


@pytest.fixture
def published_env(synthetic_env: Settings, published_template: Path) -> Settings:
    """`synthetic_env` with a good refresh already published: a copy of the session's one."""
    return published_copy(published_template, synthetic_env)


@pytest.fixture
def synthetic_published(synthetic: Settings, published_template: Path) -> Settings:
    """`synthetic` with a good refresh already published: a copy of the session's one."""
    return published_copy(published_template, synthetic)
