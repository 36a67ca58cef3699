"""Benchmark: the reading floor, a cold refresh, a no-op refresh, the headline query, memory,
and what writing the database in a format DuckDB 1.x reads costs against DuckDB 2.0's own.

    python bench/run.py --mirror ../shared/mirror [--markdown bench/latest.md]

Each measurement runs in its own process (so imports and memory are counted as a user meets
them); peak memory is that process's maximum resident set size, from wait4(2). The floor is
python-calamine reading every sheet the pipeline reads (the CSV sources parsed with the csv
module, the Stata copy read by pandas), nothing else: the least any build from these files
could cost.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.storage import READERS, STORAGE_VERSION  # noqa: E402

TARGETS = {"cold_over_floor": 2.0, "noop_beyond_startup_s": 1.0, "peak_memory_mb": 1024}
AREA_PAGES_TARGET_S = 10.0
AREA_PAGES = (  # every council area page and the index, from the published database
    "import duckdb; from pipeline.area_pages import write_area_pages; "
    "from pipeline.config import Settings; s = Settings.from_env(); "
    "write_area_pages(duckdb.connect(str(s.database_path), read_only=True), s.reports_dir)"
)


def area_pages_row(py: str, env: dict[str, str]) -> tuple[str, str, str]:
    """The area pages' build time (after a refresh has published the database)."""
    seconds = timed([py, "-c", AREA_PAGES], env)[0]
    return (
        "all council area pages (`spendtrack report`)",
        f"{seconds:.2f} s",
        f"<= {AREA_PAGES_TARGET_S:.0f} s",
    )


def floor(mirror: Path) -> None:
    """Read what the pipeline reads, as cheaply as possible (run in a child process)."""
    from python_calamine import CalamineWorkbook

    from pipeline.layouts import sheet_layouts
    from pipeline.sources import load_sources

    layouts = sheet_layouts()
    for src in load_sources():
        path = REPO / src.vendored_path if src.vendored_path else mirror / src.mirror_path
        if src.kind == "csv":
            with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
                sum(1 for _ in csv.reader(fh))
            continue
        if src.kind == "dta":  # the Stata copy: pandas' reader is the only one the pipeline has
            from pandas.io.stata import StataReader

            with StataReader(path) as reader:
                reader.read(convert_categoricals=False)
            continue
        if src.family == "ons" and src.kind == "xlsx":
            sheets = ["MYE4"]
        else:
            sheets = sorted({layout.sheet for layout in layouts.get(src.id, ())})
        book = CalamineWorkbook.from_path(str(path))
        for sheet in sheets:
            book.get_sheet_by_name(sheet).to_python()


def rewrite(source: Path, target: Path, storage: str) -> None:
    """Write the finished database `source` again, whole, in the storage format `storage`."""
    import duckdb

    from pipeline.storage import BUILD_MEMORY_LIMIT

    target.unlink(missing_ok=True)
    with duckdb.connect(config={"memory_limit": BUILD_MEMORY_LIMIT}) as con:
        con.execute(f"ATTACH '{source}' AS source (READ_ONLY)")
        con.execute(f"ATTACH '{target}' AS target (STORAGE_VERSION '{storage}')")
        con.execute("COPY FROM DATABASE source TO target")
        con.execute("DETACH target")


def run_examples(database: Path) -> None:
    """Run every analyst example on `database`, read-only."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        for path in sorted((REPO / "sql" / "examples").glob("*.sql")):
            con.execute(path.read_text(encoding="utf-8")).fetchall()


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run `cmd`; return (wall seconds, peak RSS in MB, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, code


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(line.split()[1]) // 1024 // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default=os.environ.get("SPENDTRACK_MIRROR"))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast measurement")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--floor-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--rewrite", nargs=3, metavar=("SOURCE", "TARGET", "FORMAT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--query", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.mirror:
        parser.error("--mirror (or SPENDTRACK_MIRROR) is required")
    mirror = Path(args.mirror).resolve()
    if args.floor_only:
        floor(mirror)
        return 0
    if args.rewrite:
        rewrite(Path(args.rewrite[0]), Path(args.rewrite[1]), args.rewrite[2])
        return 0
    if args.query:
        run_examples(Path(args.query))
        return 0

    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="spendtrack-bench-"))
    env = {
        **os.environ,
        "SPENDTRACK_MIRROR": str(mirror),
        "SPENDTRACK_LAKE": str(work / "lake"),
        "SPENDTRACK_CACHE": str(work / "cache"),
    }
    cli = [py, "-m", "pipeline.cli"]
    me = [py, __file__, "--mirror", str(mirror)]
    try:
        runs = range(args.repeat)
        startup = statistics.median(timed([py, "-c", "pass"], env)[0] for _ in runs)
        floors = [timed([*me, "--floor-only"], env) for _ in runs]
        floor_s = statistics.median(f[0] for f in floors)
        cold_s, cold_mb, _ = timed([*cli, "refresh"], env)  # empty cache and lake: everything
        noop = [timed([*cli, "refresh"], env) for _ in runs]
        noop_s = statistics.median(n[0] for n in noop)
        query = [
            timed([*cli, "query", "sql/examples/04_headline_reproduction.sql"], env) for _ in runs
        ]
        query_s = statistics.median(q[0] for q in query)
        pages = area_pages_row(py, env)
        # What the storage format costs: the finished database written again, whole, in the
        # published format (for DuckDB v1.1.0, which 1.x clients read) and in DuckDB 2.0's own
        # (which they cannot), alternately, so that load on the machine falls on both alike;
        # then every analyst example run on each.
        published = work / "lake" / "spendtrack.duckdb"
        formats = {"published": STORAGE_VERSION, "native": "latest"}
        written: dict[str, list[float]] = {name: [] for name in formats}
        queried: dict[str, list[float]] = {name: [] for name in formats}
        for _ in runs:
            for name, storage in formats.items():
                copy = work / f"{name}.duckdb"
                written[name].append(
                    timed([*me, "--rewrite", str(published), str(copy), storage], env)[0]
                )
                queried[name].append(timed([*me, "--query", str(copy)], env)[0])
        fmt = {
            name: (
                statistics.median(written[name]),
                (work / f"{name}.duckdb").stat().st_size / 1e6,
                statistics.median(queried[name]),
            )
            for name in formats
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratio = cold_s / floor_s
    rows = [
        ("interpreter start-up (`python -c pass`)", f"{startup:.2f} s", ""),
        ("floor: calamine reading every sheet used", f"{floor_s:.2f} s", ""),
        ("cold refresh (empty cache and lake)", f"{cold_s:.2f} s", ""),
        ("cold / floor", f"{ratio:.1f}x", f"<= {TARGETS['cold_over_floor']:.0f}x"),
        ("no-op refresh (nothing changed)", f"{noop_s:.2f} s", ""),
        (
            "no-op beyond start-up",
            f"{noop_s - startup:.2f} s",
            f"<= {TARGETS['noop_beyond_startup_s']:.0f} s",
        ),
        ("headline query (`spendtrack query` example 04)", f"{query_s:.2f} s", ""),
        ("peak memory, cold refresh", f"{cold_mb:,.0f} MB", f"<= {TARGETS['peak_memory_mb']:,} MB"),
        pages,
        (
            f"database written whole, {STORAGE_VERSION} format (read by {READERS})",
            f"{fmt['published'][0]:.2f} s, {fmt['published'][1]:.1f} MB",
            "",
        ),
        (
            "the same, DuckDB 2.0's own format (1.x cannot read it)",
            f"{fmt['native'][0]:.2f} s, {fmt['native'][1]:.1f} MB",
            "",
        ),
        (
            f"every `sql/examples` query, {STORAGE_VERSION} / 2.0 format",
            f"{fmt['published'][2]:.2f} s / {fmt['native'][2]:.2f} s",
            "",
        ),
    ]
    table = "\n".join(
        ["| measurement | result | target |", "| --- | ---: | ---: |"]
        + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    )
    when = time.strftime("%Y-%m-%d")
    text = f"{table}\n\nMachine: {machine()}; {when}; median of {args.repeat} where repeated.\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
