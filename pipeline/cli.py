"""The `spendtrack` command: refresh, reproduce, query, check, describe, sources.

Heavy libraries (duckdb, pandas, dagster, great_expectations) are imported inside the command
that needs them, so `spendtrack --help` and a no-op refresh start fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from pipeline.build.publish import open_published
from pipeline.config import Settings
from pipeline.errors import SpendtrackError
from pipeline.figures.text import format_table

if TYPE_CHECKING:  # the no-op refresh path imports nothing it does not use
    from pipeline.sources.fetch import Probe


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_refresh(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    settings = Settings.from_args(args)
    if not args.force:
        # Checked before importing the build (duckdb, pandas, GX): a nightly run with nothing
        # new costs a few file hashes. The build re-checks under the lock.
        from pipeline.build.fingerprint import up_to_date

        current, why = up_to_date(settings)
        if current:
            _progress(f"nothing to do: {why} ({time.perf_counter() - started:.2f}s)")
            return 0
    from pipeline.refresh import refresh

    path = refresh(settings, progress=_progress, wait_s=args.wait, force=args.force)
    _progress(f"refresh done in {time.perf_counter() - started:.1f}s: {path}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from pipeline.reports.reproduction_report import write_reproduction_report

    settings = Settings.from_args(args)
    with open_published(settings) as con:
        cur = con.execute(
            "SELECT claim_id, published_value, computed_value, difference, tolerance, status, "
            "reason FROM out.reproduction ORDER BY rowid"
        )
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
        print(format_table(columns, rows))
        path = write_reproduction_report(con, settings.reports_dir)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[5]] = counts.get(row[5], 0) + 1
    _progress(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f"; report: {path}")
    return 0


def query_text(sql_or_path: str) -> str:
    """The SQL itself, or the contents of a `.sql` file (such as those in sql/examples/)."""
    from pathlib import Path

    if sql_or_path.strip().lower().endswith(".sql") and "\n" not in sql_or_path:
        path = Path(sql_or_path.strip())
        if not path.is_file():
            raise SpendtrackError("no such SQL file", file=str(path))
        return path.read_text(encoding="utf-8")
    return sql_or_path


def cmd_report(args: argparse.Namespace) -> int:
    from pipeline.reports.area_pages import write_area_pages
    from pipeline.reports.html_report import write_html_report
    from pipeline.reports.reproduction_report import write_reproduction_report

    settings = Settings.from_args(args)
    with open_published(settings) as con:
        write_reproduction_report(con, settings.reports_dir)
        path = write_html_report(con, settings.reports_dir)
        areas = write_area_pages(con, settings.reports_dir)
    print(path)
    print(f"{areas[0]} ({len(areas) - 1} council area pages)")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    sql = query_text(args.sql)
    with open_published(settings) as con:
        try:
            cur = con.execute(sql)
        except Exception as exc:
            raise SpendtrackError(f"query failed: {exc}") from exc
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif args.format == "json":
        import json

        print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str, indent=1))
    else:
        print(format_table(columns, rows))
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    settings = Settings.from_args(args)
    with open_published(settings) as con:
        if args.table:
            schema, _, table = args.table.partition(".")
            rows = con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() "
                "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
                [schema, table],
            ).fetchall()
            if not rows:
                raise SpendtrackError(f"no table {args.table!r}")
            note = con.execute(
                "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
                "UNION ALL SELECT comment FROM duckdb_views() WHERE schema_name = ? "
                "AND view_name = ?",
                [schema, table, schema, table],
            ).fetchone()[0]
            print(f"{args.table}: {note or ''}\n")
            print(format_table(["column", "type", "description"], rows))
        else:
            rows = con.execute(
                "SELECT schema_name || '.' || table_name, estimated_size, comment "
                "FROM duckdb_tables() UNION ALL SELECT schema_name || '.' || view_name, "
                "NULL, comment FROM duckdb_views() WHERE NOT internal ORDER BY 1"
            ).fetchall()
            print(format_table(["table", "rows", "description"], rows))
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """Report spreadsheets on the known landing pages that sources.toml does not list."""
    import os

    from pipeline.sources.discover import DEFAULT_API, discover, toml_stub
    from pipeline.sources.registry import load_sources

    settings = Settings.from_args(args)
    api = args.api or os.environ.get("SPENDTRACK_GOVUK_API") or DEFAULT_API
    found, problems = discover(load_sources(settings.sources_path, enabled_only=False), api=api)
    new = [a for a in found if a.status == "new"]
    known = len(found) - len(new)
    print(f"{len(found)} spreadsheets on the landing pages: {len(new)} new, {known} known")
    if new:
        rows = [(a.page.financial_year, a.page.form, a.file_name, a.url) for a in new]
        print(format_table(["year", "form", "new file", "address"], rows))
    for problem in problems:
        print(f"  {problem.page.path}: {problem.problem}", file=sys.stderr)
    if args.toml and new:
        print("\n# Review, then pin (sha256, bytes) and enable; sources.toml is not changed:\n")
        print("\n".join(toml_stub(a) for a in new))
    elif new:
        print("sources.toml is unchanged; `--toml` prints entries to review and add by hand.")
    if not args.toml:  # --toml's output is registry text to paste
        print_known_releases()
    return 0


def print_known_releases() -> None:
    """Releases known from public code and pages but not held: what to `sources add` next."""
    from pipeline.sources.discover import load_known_releases

    rows = [(k.release, k.address, k.note) for k in load_known_releases()]
    print("\nKnown releases not held here (add each with `spendtrack sources add ADDRESS`):")
    print(format_table(["release", "address", "note"], rows))


def table_readers(settings: Settings) -> Probe:
    """Runs the project's table readers on a new file: what `sources pin` and `add` check."""
    from assets.tables import TABLES
    from pipeline.build.probe import readers_of

    return lambda target: readers_of(target, settings, list(TABLES))


def cmd_pin(args: argparse.Namespace) -> int:
    """Download a source's current bytes, check them, compare with the pin; --write records it."""
    from pipeline.sources.pin import pin

    if not args.source_id:
        raise SpendtrackError("sources pin needs a source id (see `spendtrack sources list`)")
    settings = Settings.from_args(args)
    report = pin(args.source_id, settings, table_readers(settings), write=args.write)
    src = report.source
    how = (
        " (found on its landing page by file name)"
        if report.found_on_landing_page
        else " (moved: the pinned address is gone)"
        if report.moved
        else ""
    )
    print(f"{src.id}: read {report.address}{how}")
    readers = ", ".join(f"{table} ({rows:,} rows)" for table, rows in report.readers)
    print(f"kind {src.kind}: ok; layout: " + (readers or "no table reads this source"))
    print(
        format_table(
            ["pin", "bytes", "sha256"],
            [
                ("in sources.toml", f"{src.bytes:,}", src.sha256 or "(none)"),
                ("current", f"{report.new_bytes:,}", report.new_sha256),
            ],
        )
    )
    if report.changed:
        print("new bytes: a new release (check it before recording it)")
    elif report.moved:
        print("the same bytes as pinned, at a new address")
    else:
        print("the pin is current; sources.toml is unchanged")
        return 0
    if report.written:
        print(f"written to {Settings.from_args(args).sources_path}")
    else:
        print("sources.toml is unchanged; run again with --write to record this")
    return 0


def cmd_check_upstream(args: argparse.Namespace) -> int:
    """Compare the archive with what the official addresses serve now; exit 1 on any change."""
    from pipeline.sources.registry import load_sources
    from pipeline.sources.upstream import check_upstream

    settings = Settings.from_args(args)
    ids = [args.source_id, *args.more_ids] if args.source_id else []
    results = check_upstream(load_sources(settings.sources_path), ids)
    print(
        format_table(
            ["source", "upstream", "address read", "detail"],
            [(r.source.id, r.status, r.address, r.detail) for r in results],
        )
    )
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    attention = [r for r in results if r.needs_attention]
    print(
        ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        + "; nothing was written."
        + (
            " Adopt a new release with `spendtrack sources add URL`; re-pin a moved or "
            "changed one with `spendtrack sources pin ID --write`."
            if attention
            else ""
        )
    )
    return 1 if attention else 0


def cmd_add(args: argparse.Namespace) -> int:
    """Adopt a new release: check it, archive it and register it."""
    from pipeline.sources.adopt import add

    if not args.source_id:
        raise SpendtrackError("sources add needs an https address or a file path")
    settings = Settings.from_args(args)
    report = add(
        args.source_id,
        settings,
        table_readers(settings),
        source_id=args.id or "",
        edition=args.edition,
        landing_page=args.landing_page or "",
    )
    src = report.source
    if report.already:
        print(f"{args.source_id}: already pinned as {report.already}; nothing was written")
        return 0
    release = report.release
    print(
        f"{src.file_name}: {release.form} {release.financial_year}"
        + (f" ({release.edition})" if release.edition else "")
        + f", {src.kind}, {src.bytes:,} bytes, sha256 {src.sha256}"
    )
    readers = ", ".join(f"{table} ({rows:,} rows)" for table, rows in report.readers)
    print(f"layout and crosswalk: ok; read by {readers}")
    stub = " (replacing its disabled entry)" if report.replaced_stub else ""
    print(f"added {src.id}{stub}: archived at {src.archive_path}, entry in sources.toml")
    print("run `spendtrack refresh` to build it")
    return 0


def source_state(src, settings: Settings, verify_copies: bool) -> tuple[str, bool]:
    """Where this machine has the bytes (and whether they verify), and whether that failed."""
    from pipeline.sources.fetch import cache_path, verify

    if not src.enabled:
        return "disabled", False
    archived = settings.archive_root / src.archive_path if src.archive_path else None
    cached = cache_path(src, settings.cache_dir)
    mirrored = settings.mirror_dir / src.mirror_path if settings.mirror_dir else None
    if archived and archived.is_file():
        state, path = "archived", archived
    elif cached.exists():
        state, path = "cached", cached
    elif mirrored and src.mirror_path and mirrored.exists():
        state, path = "mirrored", mirrored
    else:
        where = "missing from the archive" if archived else "not archived"
        return f"{where}, FAILED" if verify_copies else where, verify_copies
    if not verify_copies:
        return state, False
    try:
        verify(path, src)
    except SpendtrackError as exc:
        return f"{state}, FAILED: {exc.message}", True
    return f"{state}, verified", False


def cmd_sources(args: argparse.Namespace) -> int:
    actions = {
        "discover": cmd_discover,
        "pin": cmd_pin,
        "check-upstream": cmd_check_upstream,
        "add": cmd_add,
    }
    if args.action in actions:
        return actions[args.action](args)
    from pipeline.sources.registry import load_sources

    settings = Settings.from_args(args)
    rows = []
    failures = 0
    sources = load_sources(settings.sources_path, enabled_only=False)
    for src in sources:
        state, failed = source_state(src, settings, args.action == "verify")
        failures += failed
        rows.append(
            (
                src.id,
                src.financial_year,
                src.kind,
                src.edition,
                state,
                src.upstream,
                src.url or src.official_url or src.landing_page or "(none)",
            )
        )
    print(
        format_table(
            ["source", "year", "kind", "edition", "here", "upstream", "official address"],
            rows,
        )
    )
    enabled = [s for s in sources if s.enabled]
    archived = sum(bool(s.archive_path) for s in enabled)
    counts = {how: sum(s.upstream == how for s in enabled) for how in UPSTREAM}
    print(
        f"{len(enabled)} enabled sources, {archived} archived in data_raw/; upstream: "
        + ", ".join(f"{n} {how}" for how, n in counts.items())
        + ". `sources check-upstream` compares the archive with the official addresses; "
        "`sources discover` lists new releases."
    )
    return 1 if failures else 0


UPSTREAM = ("address", "page only", "none")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spendtrack", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lake", help="build output directory (default data_lake/, or SPENDTRACK_LAKE)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("refresh", help="fetch, build, check and publish the database")
    p.add_argument("--mirror", help="directory mirroring the source files (or SPENDTRACK_MIRROR)")
    p.add_argument("--cache", help="download cache (default data_raw/cache/)")
    p.add_argument("--offline", action="store_true", help="never download")
    p.add_argument(
        "--force", action="store_true", help="rebuild even when no source or code changed"
    )
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another refresh to finish (default: exit at once)",
    )
    p.set_defaults(func=cmd_refresh)

    p = sub.add_parser("reproduce", help="print the reproduction of published figures")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser(
        "report", help="write data_lake/reports/index.html and a page per council area"
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("query", help="run read-only SQL on the published database")
    p.add_argument("sql", help="SQL text, or the path of a .sql file (see sql/examples/)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=cmd_query)

    from pipeline.figures.output import add_check_parser

    add_check_parser(sub)

    p = sub.add_parser("describe", help="the data dictionary: tables, or one table's columns")
    p.add_argument("table", nargs="?")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser(
        "sources",
        help="list, verify the archive, check upstream, discover, add or re-pin a release",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=["list", "verify", "discover", "pin", "check-upstream", "add"],
        default="list",
    )
    p.add_argument(
        "source_id",
        nargs="?",
        help="pin: the source to re-pin; check-upstream: sources to check (default: all); "
        "add: the https address or path of the new file",
    )
    p.add_argument("more_ids", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--id", help="add: the source id (default: told from the file)")
    p.add_argument(
        "--edition",
        choices=["official", "copy"],
        default="official",
        help="add: the publisher's own file (default) or a copy of it",
    )
    p.add_argument("--landing-page", help="add: the publication's page (default: known pages)")
    p.add_argument("--api", help="GOV.UK Content API base (default https://www.gov.uk)")
    p.add_argument("--toml", action="store_true", help="discover: print entries for new files")
    p.add_argument(
        "--write", action="store_true", help="pin: record the new sha256 and size in sources.toml"
    )
    p.add_argument("--mirror")
    p.add_argument("--cache")
    p.set_defaults(func=cmd_sources)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SpendtrackError as exc:
        print(f"spendtrack: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("spendtrack: interrupted; the published database is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
