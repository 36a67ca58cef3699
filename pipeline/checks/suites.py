"""Great Expectations suites as blocking checks: run in the validation process, or here.

`gx_check` turns a suite (`pipeline.checks.expectations`) into a table check that hands its
frame to the validation process (`pipeline.checks.gx_worker`) and, where that process is not
used, validates in the build's own. HTML data docs of the latest run, pass or fail, are
written to `<lake>/reports/validation/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.checks import expectations, gx_worker, row_counts
from pipeline.checks.expectations import Suite, validation_frame, validator
from pipeline.errors import ValidatorProcessError
from pipeline.extract.layouts import vocabulary
from pipeline.model import BuildContext, CheckResult, TableCheck
from pipeline.sources.registry import load_sources


def parameters(ctx: BuildContext, suite: Suite) -> dict[str, object]:
    """Run-time values the suites refer to with {"$PARAMETER": name}: the registry's, and the
    bounds of `suite`'s row count from pipeline/layouts/row_counts.csv (`row_count_min`,
    `row_count_max`; computed now, from the sources and the tables upstream)."""
    sources = load_sources(ctx.settings.sources_path)
    mhclg = [s for s in sources if s.family == "mhclg_revenue"]
    return {
        "known_markers": sorted(vocabulary().markers),
        "mhclg_source_ids": sorted(s.id for s in mhclg),
        "mhclg_years": sorted({s.financial_year for s in mhclg}),
        "mhclg_bases": sorted({s.basis for s in mhclg}),
        **row_counts.suite_parameters(ctx, suite.name, suite.table),
    }


@contextmanager
def data_docs_once(docs_dir: Path) -> Iterator[None]:
    """Within the block, render data docs once at the end (pass or fail) instead of per suite."""
    expectations._deferred_docs.add(docs_dir)
    try:
        yield
    finally:
        expectations._deferred_docs.discard(docs_dir)
        if expectations._validator and expectations._validator[0].docs_dir == docs_dir:
            expectations._validator[0].build_docs()
        gx_worker.render_docs_later(docs_dir)  # pipeline.refresh waits for them


def gx_check(suite: Suite) -> TableCheck:
    def run(ctx: BuildContext) -> list[CheckResult]:
        params = parameters(ctx, suite)  # first: bounds that cannot be computed stop the build
        frame = validation_frame(ctx.con, suite.frame_sql)
        docs = ctx.settings.reports_dir / "validation"
        return validator(docs).validate(suite, frame, params)

    def submit(ctx: BuildContext):
        # The deadline is read before a job is handed over: a bad setting fails every build
        # alike (exit 8), not only a build that happens to wait on the worker.
        try:
            gx_worker.deadline_s()
        except ValidatorProcessError as exc:
            gx_worker.worker().fail(exc.message)
        docs = ctx.settings.reports_dir / "validation"
        return gx_worker.submit(
            ctx.con, suite, parameters(ctx, suite), docs, docs in expectations._deferred_docs
        )

    return TableCheck(
        "gx_" + re.sub(r"\W+", "_", suite.path.stem),
        run,
        f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations, "
        f"expectations/suites/{suite.path.name})",
        submit=submit,
    )
