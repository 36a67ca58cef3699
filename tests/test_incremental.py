"""A refresh with nothing new does nothing; any change to a source, the code or the record
of the last publish brings a full, checked rebuild."""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import duckdb

from pipeline.build import fingerprint
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


def test_force_rebuilds_anyway(published_env, capsys):
    synthetic_env = published_env
    mtime = synthetic_env.database_path.stat().st_mtime_ns
    code, err = refresh_messages(capsys, "--force")
    assert code == 0 and "published" in err
    assert synthetic_env.database_path.stat().st_mtime_ns != mtime


def test_a_changed_source_rebuilds_only_what_read_it(published_env, capsys):
    synthetic_env = published_env
    path = synthetic_env.mirror_dir / VIEWIT_PATH
    # a breakdown figure no claim uses: England, 2013-14, all groups, men
    text = path.read_text()
    assert ",M,Total,150972,150972," in text
    path.write_text(text.replace(",M,Total,150972,150972,", ",M,Total,150973,150973,", 1))
    write_registry(synthetic_env.mirror_dir.parent)  # re-pinned: a republished file
    code, err = refresh_messages(capsys)
    assert code == 0 and "published" in err
    assert "sources ['ohid_ndtms_viewit_adults'] changed: rebuilding 7 of" in err
    rebuilt = {line.split(":")[0].strip() for line in err.splitlines() if " rows, " in line}
    assert rebuilt == {
        "raw.ndtms__viewit_adults",
        "core.adults_in_treatment",
        "core.adults_in_treatment_source_comparison",
        "out.treatment_trends",
        "out.spend_per_person_in_treatment",
        "out.reproduction",
        "reference.sources",
    }
    with duckdb.connect(str(synthetic_env.database_path), read_only=True) as con:
        men = con.execute(
            "SELECT people FROM raw.ndtms__viewit_adults WHERE financial_year = '2013-14' "
            "AND substance_group = 'total' AND sex = 'm' AND age_band = 'total'"
        ).fetchone()[0]
        kept = con.execute("SELECT count(*) FROM raw.mhclg__revenue_cells").fetchone()[0]
        runs = con.execute(
            "SELECT count(DISTINCT run_id) FROM checks.validation_results"
        ).fetchone()[0]
        bare = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('core', 'out') "
            "AND coalesce(comment, '') = ''"
        ).fetchone()[0]
    assert men == 150_973 and kept > 0 and runs == 2 and bare == 0
    assert refresh_messages(capsys)[1].startswith("nothing to do")


def test_changed_code_rebuilds_everything(published_env, capsys, monkeypatch):
    monkeypatch.setattr(fingerprint, "code_digest", lambda: "a different version of the code")
    code, err = refresh_messages(capsys)
    assert code == 0 and "full build: the code, SQL, layouts" in err
    assert "raw.mhclg__revenue_cells:" in err


def test_an_added_source_rebuilds_everything(published_env, capsys):
    synthetic_env = published_env
    registry = synthetic_env.sources_path
    entry = registry.read_text().split("[[source]]")[-1]  # the last entry, renamed
    extra = entry.replace('id = "', 'id = "extra_', 1)
    registry.write_text(registry.read_text() + "\n[[source]]" + extra)
    code, err = refresh_messages(capsys)
    assert code == 0 and "full build: sources added ['extra_" in err


def test_changed_code_changes_the_fingerprint(synthetic, monkeypatch, tmp_path):
    sql = tmp_path / "sql" / "out" / "x.sql"
    sql.parent.mkdir(parents=True)
    sql.write_text("SELECT 1")
    monkeypatch.setattr(fingerprint, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(fingerprint, "code_files", lambda: [sql])
    first = fingerprint.compute(synthetic)
    sql.write_text("SELECT 2")
    assert fingerprint.compute(synthetic) != first


def test_an_interrupted_publish_is_never_taken_for_current(published_env, capsys):
    synthetic_env = published_env
    # what a crash between moving the database and writing the record leaves
    fingerprint.forget(synthetic_env)
    current, why = fingerprint.up_to_date(synthetic_env)
    assert not current and why == "no record of the published build"
    code, err = refresh_messages(capsys)
    assert code == 0 and "building" in err


def test_a_replaced_or_missing_output_is_rebuilt(published_env, capsys):
    synthetic_env = published_env
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


def test_a_failed_rebuild_keeps_the_record_of_the_good_one(published_env, capsys):
    synthetic_env = published_env
    record = fingerprint.read(synthetic_env)
    before = digest(synthetic_env.database_path)
    path = synthetic_env.mirror_dir / VIEWIT_PATH
    path.write_text(path.read_text().replace(",opiates,", ",opioids,", 1))
    write_registry(synthetic_env.mirror_dir.parent)
    code, err = refresh_messages(capsys)
    assert code == 4 and "rebuilding 7 of" in err  # a partial rebuild, on a copy
    assert digest(synthetic_env.database_path) == before
    assert not any(synthetic_env.staging_dir.iterdir())
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
