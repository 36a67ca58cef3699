"""Where a cold build's time goes: one refresh, in this process, timed step by step.

    python bench/steps.py [--repeat 3]

Each run is a forced refresh from an empty cache and lake. The pipeline's step functions
are wrapped (nothing else changes) and each step's own time is counted, without the steps
it calls: wall time, and the process's CPU time (DuckDB's worker threads included). A step
run by a Python thread of its own is marked "background" and counts that thread's CPU
time; the main thread's step that overlaps it counts that CPU too. With --repeat, each
figure is the median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

STARTED = time.perf_counter(), time.process_time()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SMALL_S = 0.1


class Steps:
    """Self time per step name: wall and CPU, exclusive of nested steps."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.lock = threading.Lock()
        self.local = threading.local()

    def wrap(self, name: str | Callable[..., str], fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            label = name(*args, **kwargs) if callable(name) else name
            if threading.current_thread() is not threading.main_thread():
                label = f"{label} (background)"
            stack = self.local.__dict__.setdefault("stack", [])
            frame = [0.0, 0.0]  # nested steps' wall and CPU
            stack.append(frame)
            clock = time.thread_time if "(background)" in label else time.process_time
            wall, cpu = time.perf_counter(), clock()
            try:
                return fn(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - wall, clock() - cpu
                stack.pop()
                if stack:
                    stack[-1][0] += wall
                    stack[-1][1] += cpu
                with self.lock:
                    self.totals[label][0] += wall - frame[0]
                    self.totals[label][1] += cpu - frame[1]

        return wrapper


def patch(steps: Steps) -> None:
    """Wrap the pipeline's step functions where they are looked up."""
    import dataclasses

    import assets.tables
    import pipeline.build.engine
    import pipeline.checks.expectations
    import pipeline.checks.suites
    import pipeline.refresh

    def maybe(module, attr: str, name) -> None:
        if hasattr(module, attr):
            setattr(module, attr, steps.wrap(name, getattr(module, attr)))

    assets.tables.TABLES = tuple(
        dataclasses.replace(spec, build=steps.wrap(f"extract {spec.name}", spec.build))
        if spec.build
        else spec
        for spec in assets.tables.TABLES
    )
    maybe(
        pipeline.build.engine,
        "materialize_table",
        lambda spec, _ctx: f"DuckDB: {'SQL table' if spec.sql else 'load'} {spec.name}",
    )
    original_checks_for = pipeline.build.engine.checks_for

    def checks_for(spec):
        out = []
        for check in original_checks_for(spec):
            kind = (
                "checks: Great Expectations (run)"
                if check.name.startswith("gx_")
                else "checks: primary keys"
                if check.name == "primary_key"
                else "checks: table checks"
            )
            out.append(dataclasses.replace(check, run=steps.wrap(kind, check.run)))
        return tuple(out)

    pipeline.build.engine.checks_for = checks_for
    maybe(pipeline.build.engine, "record_checks", "record check results")
    maybe(pipeline.build.engine, "finalize", "dictionary comments, checkpoint")
    maybe(pipeline.refresh, "publish_build", "publish (Parquet export, move)")
    validation = pipeline.checks.expectations
    if hasattr(validation, "Validator"):
        cls = validation.Validator
        cls.__init__ = steps.wrap("checks: GX import and context", cls.__init__)
        if hasattr(cls, "build_docs"):
            cls.build_docs = steps.wrap("checks: GX data docs", cls.build_docs)
        for name in ("checkpoint", "definition"):
            if hasattr(cls, name):
                setattr(cls, name, steps.wrap("checks: GX suite set-up", getattr(cls, name)))
    maybe(validation, "_preload", "checks: GX import")
    maybe(pipeline.checks.suites, "validation_frame", "checks: GX frame from DuckDB")


def one_run() -> tuple[dict[str, list[float]], float, float]:
    """A forced refresh from empty directories, in a child process; its step times."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["steps"], data["wall"], data["cpu"]


def child() -> None:
    import json

    steps = Steps()
    work = Path(tempfile.mkdtemp(prefix="spendtrack-steps-"))
    try:
        from pipeline.config import Settings

        settings = Settings.from_env(lake=work / "lake", cache=work / "cache")
        import pipeline.refresh

        imported = time.perf_counter() - STARTED[0], time.process_time() - STARTED[1]
        steps.totals["start-up and imports"] = list(imported)
        patch(steps)
        pipeline.refresh.refresh(settings, progress=lambda _m: None, force=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall, cpu = time.perf_counter() - STARTED[0], time.process_time() - STARTED[1]
    accounted = sum(v[0] for k, v in steps.totals.items() if "(background)" not in k)
    steps.totals["other (locks, staging, sources, ...)"] = [wall - accounted, 0.0]
    print(json.dumps({"steps": steps.totals, "wall": wall, "cpu": cpu}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    load = os.getloadavg()[0]
    runs = [one_run() for _ in range(args.repeat)]
    names: list[str] = []
    for steps, _, _ in runs:
        names += [n for n in steps if n not in names]

    def med(name: str, i: int) -> float:
        return statistics.median(steps.get(name, [0.0, 0.0])[i] for steps, _, _ in runs)

    # Steps under SMALL_S are summed per kind ("DuckDB: SQL table", "extract", ...).
    rows: dict[str, list[float]] = {}
    small: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for name in names:
        wall, cpu = med(name, 0), med(name, 1)
        per_table = name.startswith(("extract ", "DuckDB: ")) and "(background)" not in name
        kind = name.rsplit(" ", 1)[0] if per_table else name
        if wall >= SMALL_S or kind == name:
            rows[name] = [wall, cpu]
        else:
            small[kind][0] += wall
            small[kind][1] += cpu
            small[kind][2] += 1
    for kind, (wall, cpu, n) in small.items():
        rows[f"{kind} ({int(n)} other tables)"] = [wall, cpu]
    print("| step | wall s | CPU s |\n| --- | ---: | ---: |")
    for name, (wall, cpu) in sorted(rows.items(), key=lambda kv: -kv[1][0]):
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    wall = statistics.median(w for _, w, _ in runs)
    cpu = statistics.median(c for _, _, c in runs)
    print(f"| **total** (process CPU, all threads) | **{wall:.2f}** | **{cpu:.2f}** |")
    print(
        f"\nmedian of {args.repeat} run(s); load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
