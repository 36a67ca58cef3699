"""Great Expectations suites, kept as data in `expectations/suites/`, run as blocking checks.

A suite file names the table it guards, optionally the SQL of the frame to validate (a
projection or join of that table, so a rule can use a stated tolerance), and its
expectations in GX's own JSON form. `{"$PARAMETER": name}` values are filled at run time
(for instance the enabled source ids from `sources.toml`).

GX (GX Core 1.x, ephemeral context) is imported only when a suite runs: it costs seconds to
import and the CLI's other commands never need it. HTML data docs of the latest run, pass or
fail, are written to `<lake>/reports/validation/`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.config import EXPECTATIONS_DIR
from pipeline.graph import BuildContext, CheckResult, TableCheck
from pipeline.sources import load_sources

SUITES_DIR = EXPECTATIONS_DIR / "suites"


@dataclass(frozen=True)
class Suite:
    name: str
    table: str
    frame_sql: str
    expectations: tuple[dict, ...]
    path: Path


def load_suite(path: Path) -> Suite:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Suite(
        name=data["name"],
        table=data["table"],
        frame_sql=data.get("frame_sql") or f"SELECT * FROM {data['table']}",
        expectations=tuple(data["expectations"]),
        path=path,
    )


@cache
def suites_by_table() -> dict[str, tuple[Suite, ...]]:
    out: dict[str, list[Suite]] = {}
    for path in sorted(SUITES_DIR.glob("*.json")):
        suite = load_suite(path)
        out.setdefault(suite.table, []).append(suite)
    return {k: tuple(v) for k, v in out.items()}


def parameters(ctx: BuildContext) -> dict[str, object]:
    """Run-time values the suites refer to with {"$PARAMETER": name}."""
    sources = load_sources(ctx.settings.sources_path)
    mhclg = [s for s in sources if s.family == "mhclg_revenue"]
    from pipeline.layouts import vocabulary

    return {
        "known_markers": sorted(vocabulary().markers),
        "mhclg_source_ids": sorted(s.id for s in mhclg),
        "mhclg_years": sorted({s.financial_year for s in mhclg}),
        "mhclg_bases": sorted({s.basis for s in mhclg}),
    }


def import_gx():
    """Import Great Expectations quietly (no analytics, errors only in the log)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations

    return great_expectations


def preload() -> None:
    """Start importing GX on a thread of its own, to be ready when the first suite runs.

    The import takes two to three seconds of Python; a build spends its first seconds
    reading workbooks and writing DuckDB, which hold Python's lock only now and then, so the
    import runs beside them. A suite that needs GX before it is loaded waits for the import
    (Python's import lock), and an import that failed is retried, and raises, there.
    """
    if "great_expectations" in sys.modules or _preloading:
        return
    thread = threading.Thread(target=_preload, name="import-gx", daemon=True)
    _preloading.append(thread)
    thread.start()


def _preload() -> None:
    with contextlib.suppress(Exception):  # retried, and raised, where it is needed
        import_gx()


_preloading: list[threading.Thread] = []


class Validator:
    """One ephemeral GX context per process, writing data docs to one directory."""

    def __init__(self, docs_dir: Path) -> None:
        gx = import_gx()

        self.gx = gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        for site in list(self.context.list_data_docs_sites()):
            self.context.delete_data_docs_site(site)
        docs_dir.mkdir(parents=True, exist_ok=True)
        self.context.add_data_docs_site(
            site_name="spendtrack",
            site_config={
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        self.source = self.context.data_sources.add_pandas("spendtrack")
        self.checkpoints: dict[str, object] = {}
        self.docs_dir = docs_dir
        self.pending_docs: list[object] = []

    def build_docs(self) -> None:
        """Render the results validated since the last call (and the site index)."""
        if self.pending_docs:
            self.context.build_data_docs(
                site_names=["spendtrack"], resource_identifiers=self.pending_docs
            )
            self.pending_docs = []

    def checkpoint(self, suite: Suite):
        if suite.name in self.checkpoints:
            return self.checkpoints[suite.name]
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        gx = self.gx
        gx_suite = self.context.suites.add(gx.ExpectationSuite(name=suite.name))
        for exp in suite.expectations:
            gx_suite.add_expectation_configuration(
                ExpectationConfiguration(
                    type=exp["type"], kwargs=exp["kwargs"], meta=exp.get("meta", {})
                )
            )
        gx_suite.save()
        batch = self.source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe(
            "whole_table"
        )
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                actions=[],
                result_format={"result_format": "SUMMARY"},
            )
        )
        self.checkpoints[suite.name] = checkpoint
        return checkpoint

    def validate(self, suite: Suite, frame, params: dict[str, object]) -> list[CheckResult]:
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        result = self.checkpoint(suite).run(
            batch_parameters={"dataframe": frame}, expectation_parameters=params
        )
        for identifier in result.run_results:
            self.pending_docs += [identifier, ExpectationSuiteIdentifier(name=suite.name)]
        # Rendering data docs costs about 0.5 s a time (the whole site index is rebuilt), so a
        # CLI build renders once at the end; a Dagster check renders its own result at once.
        if self.docs_dir not in _deferred_docs:
            self.build_docs()
        out: list[CheckResult] = []
        for run in result.run_results.values():
            for r in run.results:
                cfg = r.expectation_config
                column = cfg.kwargs.get("column") or cfg.kwargs.get("column_list") or ""
                condition = cfg.kwargs.get("row_condition")
                where = describe_condition(condition) if condition else ""
                details = r.result or {}
                observed = details.get("observed_value")
                if observed is None:
                    observed = (
                        f"{details.get('unexpected_count', 0)} unexpected, e.g. "
                        f"{details.get('partial_unexpected_list', [])[:3]}"
                        if details.get("unexpected_count")
                        else "as expected"
                    )
                if r.exception_info and r.exception_info.get("raised_exception"):
                    observed = f"error: {r.exception_info.get('exception_message')}"
                out.append(
                    CheckResult(
                        name=f"{cfg.type}({column})" + (f" where {where}" if where else ""),
                        passed=bool(r.success),
                        description=cfg.meta.get("why", cfg.type) if cfg.meta else cfg.type,
                        observed=str(observed),
                    )
                )
        return out


@contextmanager
def data_docs_once(docs_dir: Path) -> Iterator[None]:
    """Within the block, render data docs once at the end (pass or fail) instead of per suite."""
    _deferred_docs.add(docs_dir)
    try:
        yield
    finally:
        _deferred_docs.discard(docs_dir)
        if docs_dir in _validators:
            _validators[docs_dir].build_docs()


_deferred_docs: set[Path] = set()


def describe_condition(condition: object) -> str:
    """A row condition in GX's dict form, printed as SQL-like text for a check's name."""
    if not isinstance(condition, dict):
        return str(condition)
    if condition.get("type") in ("and", "or"):
        parts = [describe_condition(c) for c in condition.get("conditions", [])]
        return f" {condition['type']} ".join(parts)
    return f"{condition['column']['name']} {condition['operator']} {condition['parameter']!r}"


_validators: dict[Path, Validator] = {}


def validator(docs_dir: Path) -> Validator:
    if docs_dir not in _validators:
        _validators[docs_dir] = Validator(docs_dir)
    return _validators[docs_dir]


def validation_frame(con, sql: str):
    """The suite's frame as pandas, text columns as categoricals.

    The raw table has over two million cells with a handful of distinct sources, sheets,
    measures and markers: as Python strings that frame takes about a gigabyte, as
    categoricals a few tens of megabytes, and GX's pandas engine checks either the same way.
    Arrow makes the categoricals as it converts (a third of the time of encoding first).
    """
    from pipeline.memory import give_back

    table = con.sql(sql).to_arrow_table()
    frame = table.to_pandas(strings_to_categorical=True)
    del table
    give_back()  # the Arrow copy (a few hundred MB for the raw cells) before GX runs
    return frame


def gx_check(suite: Suite) -> TableCheck:
    def run(ctx: BuildContext) -> list[CheckResult]:
        frame = validation_frame(ctx.con, suite.frame_sql)
        docs = ctx.settings.reports_dir / "validation"
        return validator(docs).validate(suite, frame, parameters(ctx))

    return TableCheck("gx_" + re.sub(r"\W+", "_", suite.path.stem), run)
