"""Great Expectations suites as data, and the one GX context that validates a frame.

A suite file in `expectations/suites/` names the table it guards, optionally the SQL of the
frame to validate (a projection or join of that table, so a rule can use a stated
tolerance), and its expectations in GX's own JSON form. `{"$PARAMETER": name}` values are
filled at run time (`pipeline.checks.suites.parameters`).

GX (GX Core 1.x, ephemeral context) is imported only when a suite runs: it costs seconds to
import and the CLI's other commands never need it. This module runs in whichever process
validates: the validation process (`pipeline.checks.gx_worker`) or, without it, the build's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline.config import EXPECTATIONS_DIR
from pipeline.memory import give_back
from pipeline.model import CheckResult

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


@contextmanager
def _one_configuration_per_lookup() -> Iterator[None]:
    """While GX validates, build each expectation's configuration once per kwargs lookup.

    GX (1.24) works out an expectation's runtime kwargs by reading its `configuration`
    property once per domain, success and runtime key, and each read rebuilds the whole
    configuration from the model (pydantic's dict(), a regex on the class name): some 19,000
    rebuilds per build, a seventh of validating. `_get_runtime_kwargs` only reads the
    expectation, so within one call every read gives the same value; here the first read's
    value is kept for the rest of that call (per thread), and GX's own code does the rest.
    """
    from great_expectations.expectations.expectation import Expectation

    original_kwargs = Expectation.__dict__["_get_runtime_kwargs"]
    original_property = Expectation.__dict__["configuration"]
    held = threading.local()

    def configuration(self):
        kept = getattr(held, "configurations", {}).get(id(self))
        if kept is not None and kept[0] is self:
            return kept[1]
        return original_property.fget(self)

    def _get_runtime_kwargs(self, runtime_configuration=None):
        kept = held.__dict__.setdefault("configurations", {})
        outermost = id(self) not in kept
        if outermost:
            kept[id(self)] = (self, original_property.fget(self))
        try:
            return original_kwargs(self, runtime_configuration)
        finally:
            if outermost:
                del kept[id(self)]

    Expectation.configuration = property(configuration)
    Expectation._get_runtime_kwargs = _get_runtime_kwargs
    try:
        yield
    finally:
        Expectation.configuration = original_property
        Expectation._get_runtime_kwargs = original_kwargs


@contextmanager
def _plain_ids() -> Iterator[None]:
    """While GX validates, make a metric's id from its kwargs with json alone when it can.

    GX (1.24) names every metric it plans by an md5 of its kwargs, first converting them
    with its all-purpose `convert_to_json_serializable` (numpy, pandas, dates, decimals...),
    some 14,000 times per build: a sixth of validating. Kwargs that are plain JSON already
    (column names, value sets, numbers: nearly all of them) are hashed as they are, which
    gives equal ids for equal kwargs and different ids for different ones, all an id is
    for; anything else (a frame, a numpy value, a set) goes through GX's own conversion.
    """
    import hashlib
    import json

    from great_expectations.core.id_dict import IDDict

    original = IDDict.__dict__["to_id"]

    def to_id(self, id_keys=None, id_ignore_keys=None):
        keys = set(self.keys() if id_keys is None else id_keys) - set(
            self._id_ignore_keys if id_ignore_keys is None else id_ignore_keys
        )
        if len(keys) > 1:
            try:
                text = json.dumps({k: self[k] for k in keys}, sort_keys=True, allow_nan=False)
            except (TypeError, ValueError):
                pass
            else:
                return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
        return original(self, id_keys, id_ignore_keys)

    IDDict.to_id = to_id
    try:
        yield
    finally:
        IDDict.to_id = original


@contextmanager
def _templates_compiled_once() -> Iterator[None]:
    """While GX renders data docs, compile each of its Jinja templates once per process.

    GX (1.24) makes a new Jinja environment for every view it renders with, so each build's
    docs recompile the same fifty templates: about 0.7 s, a third of rendering. Here each
    environment shares one in-memory bytecode cache (Jinja's own mechanism, keyed by the
    template's name and a checksum of its source), and renders exactly as before.
    """
    from great_expectations.render.view.view import DefaultJinjaView

    original = DefaultJinjaView.__dict__["__init__"]

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.env.bytecode_cache = _template_code()

    DefaultJinjaView.__init__ = __init__
    try:
        yield
    finally:
        DefaultJinjaView.__init__ = original


@cache
def _template_code():
    """The process's compiled data docs templates (a jinja2.BytecodeCache held in memory)."""
    import jinja2

    class TemplateCode(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    return TemplateCode()


class Validator:
    """One ephemeral GX context per process, writing data docs to one directory at a time."""

    def __init__(self, docs_dir: Path) -> None:
        gx = import_gx()

        self.gx = gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("spendtrack")
        self.definitions: dict[str, object] = {}
        self.pending_docs: list[object] = []
        self.write_docs_to(docs_dir)

    def write_docs_to(self, docs_dir: Path) -> None:
        """Point the data docs site at `docs_dir`, forgetting results kept for another one.

        One context serves every build in a process (its suites and validation definitions
        are made once); a build in another lake starts its docs as a new context would, with
        no results but its own.
        """
        self.build_docs()  # anything validated for the last directory goes there
        for site in list(self.context.list_data_docs_sites()):
            self.context.delete_data_docs_site(site)
        store = self.context.validation_results_store
        for key in store.list_keys():
            store.remove_key(key)
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
        self.docs_dir = docs_dir

    def build_docs(self) -> None:
        """Render the results validated since the last call (and the site index)."""
        if self.pending_docs:
            with _templates_compiled_once():
                self.context.build_data_docs(
                    site_names=["spendtrack"], resource_identifiers=self.pending_docs
                )
            self.pending_docs = []

    def definition(self, suite: Suite):
        """The suite's GX validation definition (suite and a whole-dataframe batch), made once."""
        if suite.name in self.definitions:
            return self.definitions[suite.name]
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
        self.definitions[suite.name] = definition
        return definition

    def validate(self, suite: Suite, frame, params: dict[str, object]) -> list[CheckResult]:
        import datetime

        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        # The validation definition runs on its own (GX's public ValidationDefinition.run),
        # storing its result for the data docs: a Checkpoint around it would only re-check
        # that its own configuration is saved, on every run.
        run_id = RunIdentifier(run_time=datetime.datetime.now(datetime.UTC))
        with _one_configuration_per_lookup(), _plain_ids():
            result = self.definition(suite).run(
                batch_parameters={"dataframe": frame},
                expectation_parameters=params,
                result_format={"result_format": "SUMMARY"},
                run_id=run_id,
            )
        suite_id = ExpectationSuiteIdentifier(name=suite.name)
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=suite_id,
            run_id=run_id,
            batch_identifier=result.batch_id,
        )
        self.pending_docs += [identifier, suite_id]
        pages = self.context.get_docs_sites_urls(
            resource_identifier=identifier, site_name="spendtrack", only_if_exists=False
        )
        docs = next((p["site_url"] for p in pages if p.get("site_url")), "")
        # Rendering data docs costs about 0.5 s a time (the whole site index is rebuilt), so a
        # CLI build renders once at the end; a Dagster check renders its own result at once.
        if self.docs_dir not in _deferred_docs:
            self.build_docs()
        out: list[CheckResult] = []
        for r in result.results:
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
                    docs=docs,
                )
            )
        return out


_deferred_docs: set[Path] = set()  # docs dirs rendered once, at the end


def describe_condition(condition: object) -> str:
    """A row condition in GX's dict form, printed as SQL-like text for a check's name."""
    if not isinstance(condition, dict):
        return str(condition)
    if condition.get("type") in ("and", "or"):
        parts = [describe_condition(c) for c in condition.get("conditions", [])]
        return f" {condition['type']} ".join(parts)
    return f"{condition['column']['name']} {condition['operator']} {condition['parameter']!r}"


_validator: list[Validator] = []  # the process's one GX context, made when first needed


def validator(docs_dir: Path) -> Validator:
    """The process's GX context, writing data docs to `docs_dir`."""
    if not _validator:
        _validator.append(Validator(docs_dir))
    elif _validator[0].docs_dir != docs_dir:
        _validator[0].write_docs_to(docs_dir)
    return _validator[0]


def validation_frame(con, sql: str):
    """The suite's frame as pandas, text columns as categoricals.

    The raw table has over two million cells with a handful of distinct sources, sheets,
    measures and markers: as Python strings that frame takes about a gigabyte, as
    categoricals a few tens of megabytes, and GX's pandas engine checks either the same way.
    Arrow makes the categoricals as it converts (a third of the time of encoding first).
    """
    # a cursor of its own: a check may have left a half-read result on the build's connection
    return as_frame(con.cursor().sql(sql).to_arrow_table())


def as_frame(table):
    """An Arrow table as the pandas frame GX validates, text columns as categoricals; the
    Arrow copy (a few hundred MB for the raw cells) is handed back before GX runs."""
    frame = table.to_pandas(strings_to_categorical=True)
    del table
    give_back()
    return frame
