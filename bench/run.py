"""Benchmark: the reading floor, a cold refresh, a no-op refresh, the headline query, a check,
memory.

    python bench/run.py [--markdown bench/latest.md]

Each measurement runs in its own process (so imports and memory are counted as a user meets
them), --repeat times (each cold refresh from its own empty cache and lake); the table gives
medians of wall time and of CPU time (user + system, from wait4(2), which a busy shared
machine disturbs less than wall time), and the highest peak resident memory. The load
average before and after is printed with the machine, to say how busy it was. The floor is
python-calamine reading every sheet the pipeline reads (the CSV sources parsed with the csv
module, a Stata copy read by pandas), nothing else: the least any build from these files
could cost. Every file is read from the archive in data_raw/, as a build reads it.
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
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.build.storage import READERS, STORAGE_VERSION  # noqa: E402

TARGETS = {"cold_over_floor": 4.0, "noop_beyond_startup_s": 1.0, "peak_memory_mb": 1024}
AREA_PAGES_TARGET_S = 10.0
CHECK_TARGET_S = 1.0  # `spendtrack check`, read-only on the published database
# A council's real-terms change against a published figure: every step of a check runs.
CHECK_ARGS = [
    "check",
    "--area",
    "Leeds",
    "--category",
    "adults",
    "--from",
    "2013-14",
    "--to",
    "2023-24",
    "--statistic",
    "pct_change",
    "--prices",
    "real",
    "--published",
    "-30",
]
AREA_PAGES = (  # every council area page and the index, from the published database
    "import duckdb; from pipeline.reports.area_pages import write_area_pages; "
    "from pipeline.config import Settings; s = Settings.from_env(); "
    "write_area_pages(duckdb.connect(str(s.database_path), read_only=True), s.reports_dir)"
)


def area_pages_row(py: str, env: dict[str, str]) -> tuple[str, str, str]:
    """The area pages' build time (after a refresh has published the database)."""
    seconds = timed([py, "-c", AREA_PAGES], env).wall_s
    return (
        "all council area pages (`spendtrack report`)",
        f"{seconds:.2f} s",
        f"<= {AREA_PAGES_TARGET_S:.0f} s",
    )


def floor() -> None:
    """Read what the pipeline reads, as cheaply as possible (run in a child process)."""
    from python_calamine import CalamineWorkbook

    from pipeline.extract.layouts import sheet_layouts
    from pipeline.sources.registry import load_sources

    layouts = sheet_layouts()
    for src in load_sources():
        path = REPO / src.archive_path
        if src.kind == "csv":
            with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
                sum(1 for _ in csv.reader(fh))
            continue
        if src.kind == "dta":  # a Stata copy: pandas is the reader the pipeline uses
            from pandas.io.stata import StataReader

            with StataReader(path) as reader:
                reader.variable_labels()
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

    from pipeline.build.storage import BUILD_MEMORY_LIMIT

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


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float  # user + system, of the process and any it waited for
    peak_mb: float


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in kB (0 once it has gone)."""
    rss: dict[int, int] = {}
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        parent[int(entry)] = int(fields.get("PPid", "0"))
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, grew = {pid}, True
    while grew:
        more = {p for p, pp in parent.items() if pp in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(p, 0) for p in tree)


def timed(cmd: list[str], env: dict[str, str]) -> Run:
    """Run `cmd`; return its wall time, CPU time and peak resident memory.

    Peak memory is the highest sum over the process and its descendants (a build validates
    in a second process), sampled every 20 ms, or the kernel's own peak for the process
    alone if that is higher (a peak between two samples)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak_kb = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak_kb[0] = max(peak_kb[0], tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err[-2000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, max(usage.ru_maxrss, peak_kb[0]) / 1024)


def ratio(runs: list[Run], bases: list[Run], field: str) -> float:
    """The median over pairs run one after the other of run / base."""
    return statistics.median(
        getattr(r, field) / getattr(b, field) for r, b in zip(runs, bases, strict=True)
    )


def median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)


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
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--floor-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--rewrite", nargs=3, metavar=("SOURCE", "TARGET", "STORAGE"), help=argparse.SUPPRESS
    )
    parser.add_argument("--query", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rewrite:
        rewrite(Path(args.rewrite[0]), Path(args.rewrite[1]), args.rewrite[2])
        return 0
    if args.query:
        run_examples(Path(args.query))
        return 0
    if args.floor_only:
        floor()
        return 0

    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="spendtrack-bench-"))

    def env(n: int) -> dict[str, str]:
        return {
            **os.environ,
            "SPENDTRACK_LAKE": str(work / f"lake{n}"),
            "SPENDTRACK_CACHE": str(work / f"cache{n}"),
        }

    cli = [py, "-m", "pipeline.cli"]
    load_before = os.getloadavg()
    try:
        runs = range(args.repeat)
        startup = median([timed([py, "-c", "pass"], env(0)) for _ in runs], "wall_s")
        # Each cold refresh (from its own empty cache and lake: everything is built) runs
        # right after a floor run, and the ratio is taken pair by pair: this machine's speed
        # drifts by a third from minute to minute, and a floor read in a fast minute against
        # builds in a slow one (or the reverse) would say more about the minutes.
        floors: list[Run] = []
        colds: list[Run] = []
        for n in runs:
            floors.append(timed([py, __file__, "--floor-only"], env(0)))
            colds.append(timed([*cli, "refresh"], env(n)))
        noop = [timed([*cli, "refresh"], env(0)) for _ in runs]
        query = [
            timed([*cli, "query", "sql/examples/04_headline_reproduction.sql"], env(0))
            for _ in runs
        ]
        checked = [timed([*cli, *CHECK_ARGS], env(0)) for _ in runs]
        claims = "data_raw/published/state_of_the_sector_2017_claims.csv"
        claimed = [timed([*cli, "check", "--claims", claims], env(0)) for _ in runs]
        pages = area_pages_row(py, env(0))
        # What the storage format costs: the finished database written again, whole, in the
        # published format (for DuckDB v1.1.0, which 1.x clients read) and in DuckDB 2.0's own
        # (which they cannot), alternately, so that load on the machine falls on both alike;
        # then every analyst example run on each.
        me = [py, __file__]
        published = work / "lake0" / "spendtrack.duckdb"
        formats = {"published": STORAGE_VERSION, "native": "latest"}
        written: dict[str, list[Run]] = {name: [] for name in formats}
        queried: dict[str, list[Run]] = {name: [] for name in formats}
        for _ in runs:
            for name, storage in formats.items():
                copy = work / f"{name}.duckdb"
                written[name].append(
                    timed([*me, "--rewrite", str(published), str(copy), storage], env(0))
                )
                queried[name].append(timed([*me, "--query", str(copy)], env(0)))
        fmt = {
            name: (
                median(written[name], "wall_s"),
                (work / f"{name}.duckdb").stat().st_size / 1e6,
                median(queried[name], "wall_s"),
            )
            for name in formats
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    floor_s, floor_cpu = median(floors, "wall_s"), median(floors, "cpu_s")
    cold_s, cold_cpu = median(colds, "wall_s"), median(colds, "cpu_s")
    cold_mb = max(r.peak_mb for r in colds)
    noop_s = median(noop, "wall_s")
    rows = [
        ("interpreter start-up (`python -c pass`)", f"{startup:.2f} s", ""),
        ("floor: reading every sheet used, wall (CPU)", f"{floor_s:.2f} s ({floor_cpu:.2f} s)", ""),
        (
            "cold refresh (empty cache and lake), wall (CPU)",
            f"{cold_s:.2f} s ({cold_cpu:.2f} s)",
            "",
        ),
        (
            "cold / floor, wall (CPU): median of back-to-back pairs",
            f"{ratio(colds, floors, 'wall_s'):.1f}x ({ratio(colds, floors, 'cpu_s'):.1f}x)",
            f"<= {TARGETS['cold_over_floor']:.0f}x",
        ),
        ("no-op refresh (nothing changed)", f"{noop_s:.2f} s", ""),
        (
            "no-op beyond start-up",
            f"{noop_s - startup:.2f} s",
            f"<= {TARGETS['noop_beyond_startup_s']:.0f} s",
        ),
        ("headline query (`spendtrack query` example 04)", f"{median(query, 'wall_s'):.2f} s", ""),
        (
            "one figure (`spendtrack check`, a council's real change against a published one)",
            f"{median(checked, 'wall_s'):.2f} s",
            f"< {CHECK_TARGET_S:.0f} s",
        ),
        (
            "State of the Sector claims (`spendtrack check --claims`, 26 rows)",
            f"{median(claimed, 'wall_s'):.2f} s",
            "",
        ),
        (
            "peak memory, cold refresh (highest run)",
            f"{cold_mb:,.0f} MB",
            f"<= {TARGETS['peak_memory_mb']:,} MB",
        ),
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
    load = f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    text = f"{table}\n\nMachine: {machine()}; {when}; median of {args.repeat} runs; {load}.\n"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
