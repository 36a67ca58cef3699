"""A refresh with nothing new does nothing; any change to a source, the code or the record
of the last publish brings a full, checked rebuild."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from pipeline import fingerprint
from pipeline.cli import main
from tests.synthetic import VIEWIT_PATH, write_registry


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh_messages(capsys, *args: str) -> tuple[int, str]:
    code = main(["refresh", *args])
    return code, capsys.readouterr().err


def test_unchanged_sources_and_code_do_not_rebuild(synthetic_env, capsys):
    assert refresh_messages(capsys)[0] == 0
    db = synthetic_env.database_path
    before, mtime = digest(db), db.stat().st_mtime_ns
    code, err = refresh_messages(capsys)
    assert code == 0 and err.startswith("nothing to do: sources and code unchanged")
    assert "building" not in err
    assert digest(db) == before and db.stat().st_mtime_ns == mtime


def test_force_rebuilds_anyway(synthetic_env, capsys):
    refresh_messages(capsys)
    mtime = synthetic_env.database_path.stat().st_mtime_ns
    code, err = refresh_messages(capsys, "--force")
    assert code == 0 and "published" in err
    assert synthetic_env.database_path.stat().st_mtime_ns != mtime


def test_a_changed_source_checksum_rebuilds(synthetic_env, capsys):
    refresh_messages(capsys)
    path = synthetic_env.mirror_dir / VIEWIT_PATH
    path.write_text(path.read_text() + "\n")  # new bytes, same figures
    write_registry(synthetic_env.mirror_dir.parent)  # re-pinned: a republished file
    code, err = refresh_messages(capsys)
    assert code == 0 and "building" in err and "published" in err


def test_changed_code_changes_the_fingerprint(synthetic, monkeypatch, tmp_path):
    sql = tmp_path / "sql" / "out" / "x.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text("SELECT 1")
    monkeypatch.setattr(fingerprint, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(fingerprint, "code_files", lambda: [sql])
    first = fingerprint.compute(synthetic)
    sql.write_text("SELECT 2")
    assert fingerprint.compute(synthetic) != first


def test_an_interrupted_publish_is_never_taken_for_current(synthetic_env, capsys):
    refresh_messages(capsys)
    # what a crash between moving the database and writing the record leaves
    fingerprint.forget(synthetic_env)
    current, why = fingerprint.up_to_date(synthetic_env)
    assert not current and why == "no record of the published build"
    code, err = refresh_messages(capsys)
    assert code == 0 and "building" in err


def test_a_replaced_or_missing_output_is_rebuilt(synthetic_env, capsys):
    refresh_messages(capsys)
    parquet = synthetic_env.parquet_dir / "spend_trends.parquet"
    parquet.unlink()
    assert fingerprint.up_to_date(synthetic_env) == (
        False,
        "Parquet files missing: ['spend_trends.parquet']",
    )
    refresh_messages(capsys)
    with synthetic_env.database_path.open("ab") as fh:
        fh.write(b"\0")  # someone wrote to the published file
    assert fingerprint.up_to_date(synthetic_env)[1] == (
        "the published database changed since it was recorded"
    )


def test_a_failed_rebuild_keeps_the_record_of_the_good_one(synthetic_env, capsys):
    refresh_messages(capsys)
    record = fingerprint.read(synthetic_env)
    path = synthetic_env.mirror_dir / VIEWIT_PATH
    path.write_text(path.read_text().replace(",opiates,", ",opioids,", 1))
    write_registry(synthetic_env.mirror_dir.parent)
    code, _ = refresh_messages(capsys)
    assert code == 4
    assert fingerprint.read(synthetic_env) == record  # still describes the published database
    assert not fingerprint.up_to_date(synthetic_env)[0]  # and the next night tries again


def test_nightly_schedule_skips_when_nothing_changed(synthetic_env, capsys):
    from pipeline.definitions import defs

    schedule = defs.resolve_schedule_def("nightly_refresh")
    request = schedule.evaluate_tick(dg.build_schedule_context())
    assert request.run_requests and not request.skip_message
    refresh_messages(capsys)
    skipped = schedule.evaluate_tick(dg.build_schedule_context())
    assert not skipped.run_requests
    assert skipped.skip_message.startswith("nothing to do: sources and code unchanged")
