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

from pipeline.checks import expectations, gx_worker
from pipeline.checks.expectations import Suite, validation_frame, validator
from pipeline.extract.layouts import vocabulary
from pipeline.model import BuildContext, CheckResult, TableCheck
from pipeline.sources.registry import load_sources


def parameters(ctx: BuildContext) -> dict[str, object]:
    """Run-time values the suites refer to with {"$PARAMETER": name}."""
    sources = load_sources(ctx.settings.sources_path)
    mhclg = [s for s in sources if s.family == "mhclg_revenue"]
    return {
        "known_markers": sorted(vocabulary().markers),
        "mhclg_source_ids": sorted(s.id for s in mhclg),
        "mhclg_years": sorted({s.financial_year for s in mhclg}),
        "mhclg_bases": sorted({s.basis for s in mhclg}),
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
        frame = validation_frame(ctx.con, suite.frame_sql)
        docs = ctx.settings.reports_dir / "validation"
        return validator(docs).validate(suite, frame, parameters(ctx))

    def submit(ctx: BuildContext):
        docs = ctx.settings.reports_dir / "validation"
        return gx_worker.submit(
            ctx.con, suite, parameters(ctx), docs, docs in expectations._deferred_docs
        )

    return TableCheck(
        "gx_" + re.sub(r"\W+", "_", suite.path.stem),
        run,
        f"Great Expectations suite {suite.name} ({len(suite.expectations)} expectations, "
        f"expectations/suites/{suite.path.name})",
        submit=submit,
    )
