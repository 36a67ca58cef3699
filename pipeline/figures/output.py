"""`spendtrack check` on the page: one answer as a table, CSV or JSON, and a claims file (one
figure a row) run through the same evaluation as `out.reproduction`.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from argparse import Namespace
from pathlib import Path

from pipeline.build.publish import open_published
from pipeline.config import Settings
from pipeline.errors import UsageError
from pipeline.figures.answer import Answer, Question, answer
from pipeline.figures.claims import UNITS, evaluate_figure, load_figures
from pipeline.figures.text import format_table

FORMATS = ("table", "csv", "json")
# A claims file's columns: the options' names, and the names the published claims files use.
ALIASES = {
    "from": "from_year",
    "year_from": "from_year",
    "to": "to_year",
    "year_to": "to_year",
    "series": "category",
    "published_value": "published",
    "figure": "published",
    "published_precision": "precision",
    "base-year": "base_year",
    "per-head": "per_head",
}
FIELDS = (
    "area",
    "category",
    "basis",
    "year",
    "from_year",
    "to_year",
    "statistic",
    "prices",
    "base_year",
    "per_head",
    "published",
    "precision",
)
METRIC_UNITS = {"share_pct": "%", "level_people": "people", "peak_year": "year"}
CLAIM_COLUMNS = ("claim_id", "value", "unit", "published", "difference", "status", "reason")


def number(value: float | str | None) -> str:
    if value is None:
        return "none held"
    if isinstance(value, str):
        return value
    return f"{value:,.2f}"


def _given(published: float | str | None) -> str:
    """A published figure as it was given (-105, 569.1, 2013-14)."""
    if published is None or isinstance(published, str):
        return published or ""
    return f"{published:,g}"


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, 86, break_on_hyphens=False, break_long_words=False)


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+,.2f}"


def status_line(a: Answer) -> str:
    if not a.status:
        return ""
    published = _given(a.published)
    at = f" to the nearest {a.precision:g}" if a.precision else ""
    difference = f", difference {_signed(a.difference)}" if a.difference is not None else ""
    return f"{a.status}: published {published}{at}{difference}"


def nearest(a: Answer) -> str:
    """Which held definition comes closest to the published figure: ours or an alternative,
    with its value."""
    held = [(abs(a.difference), "this definition", a.value)] if a.difference is not None else []
    held += [
        (abs(x.difference), x.label, x.value) for x in a.alternatives if x.difference is not None
    ]
    if not held:
        return ""
    _gap, label, value = min(held, key=lambda h: h[0])
    return f"{label} ({number(value)})"


def alternative_lines(a: Answer) -> list[str]:
    lines = []
    for alt in a.alternatives:
        if alt.value is None:
            lines.append(f"{alt.label}: not held ({alt.note})")
            continue
        mark = ", reproduces" if alt.reproduces else ""
        lines.append(
            f"{alt.label}: {number(alt.value)} {alt.unit}, difference "
            f"{_signed(alt.difference)}{mark}"
        )
    if a.alternatives:
        lines.append(f"nearest to the published figure: {nearest(a)}")
    return lines


def format_answer(a: Answer, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(a.as_dict(), indent=1, default=str, ensure_ascii=False)
    if fmt == "csv":
        row = {
            "value": a.value,
            "unit": a.unit,
            "status": a.status,
            "published": a.published,
            "difference": a.difference,
            "definition": a.definition,
            "coverage": " | ".join(a.coverage),
            "alternatives": " | ".join(alternative_lines(a)),
            "sql": a.sql,
        }
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
        writer.writeheader()
        writer.writerow(row)
        return out.getvalue().rstrip("\n")
    rows = [("value", [f"{number(a.value)} ({a.unit})"])]
    if a.status:
        rows.append(("status", [status_line(a)]))
    rows.append(("definition", _wrap(a.definition)))
    rows.append(("coverage", [w for c in a.coverage for w in _wrap(c)]))
    if a.alternatives:
        rows.append(("alternatives", [w for x in alternative_lines(a) for w in _wrap(x)]))
    rows.append(("sql", a.sql.splitlines()))
    lines = []
    for name, values in rows:
        for i, text in enumerate(values or [""]):
            lines.append(f"{name if i == 0 else '':<13} {text}".rstrip())
    return "\n".join(lines)


def question_from_row(row: dict[str, str]) -> Question:
    fields = {}
    for key, value in row.items():
        name = ALIASES.get((key or "").strip(), (key or "").strip())
        if name in FIELDS and value is not None and value.strip():
            fields[name] = value.strip()
    if "per_head" in fields:
        fields["per_head"] = fields["per_head"].lower() in ("true", "yes", "1", "y")
    return Question(**fields)


def run_claims(con, path: Path) -> list[dict]:
    """Each row of a claims file: a reference figure (its claim_id in
    expectations/published_figures.csv) evaluated exactly as out.reproduction evaluates it,
    any other row as `spendtrack check` with the row's fields as options."""
    if not path.is_file():
        raise UsageError("no such claims file", file=str(path))
    reference = {fig["claim_id"]: fig for fig in load_figures()}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise UsageError(
            f"no claims: give a header and one row per figure ({', '.join(FIELDS)})",
            file=str(path),
        )
    results = []
    for line, row in enumerate(rows, start=2):
        claim_id = (row.get("claim_id") or "").strip() or f"row {line}"
        if claim_id in reference:
            fig = evaluate_figure(con, reference[claim_id])
            results.append(
                {
                    "claim_id": claim_id,
                    "value": fig["computed_value"],
                    "unit": METRIC_UNITS.get(fig["metric"], UNITS.get(fig["metric"], "")),
                    "published": fig["published_value"],
                    "difference": fig["difference"],
                    "status": fig["status"],
                    "reason": fig["reason"],
                }
            )
            continue
        try:
            a = answer(con, question_from_row(row))
        except UsageError as exc:
            raise UsageError(
                f"{claim_id}: {exc.message}", file=path.name, cell=f"row {line}"
            ) from None
        reason = ""
        if a.status == "differs":
            reason = f"nearest held definition: {nearest(a)}"
            if a.baseline_moved:
                reason += f"; {a.baseline_moved}"
        elif a.baseline_moved:
            reason = a.baseline_moved
        results.append(
            {
                "claim_id": claim_id,
                "value": number(a.value),
                "unit": a.unit,
                "published": "" if a.published is None else _given(a.published),
                "difference": a.difference,
                "status": a.status,
                "reason": reason,
            }
        )
    return results


def format_claims(results: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(results, indent=1, default=str, ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(CLAIM_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(results)
        return out.getvalue().rstrip("\n")
    rows = [tuple(r[c] for c in CLAIM_COLUMNS) for r in results]
    counts: dict[str, int] = {}
    for r in results:
        key = r["status"] or "no published figure"
        counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return format_table(list(CLAIM_COLUMNS), rows) + f"\n{len(results)} claims: {summary}"


# the command line takes every field but --per-head, a switch read on its own
CHECK_OPTIONS = tuple(f for f in FIELDS if f != "per_head")


def cmd_check(args: Namespace) -> int:
    """One figure, defined, with its SQL and coverage; or every row of a claims file."""
    options = {k: getattr(args, k) for k in CHECK_OPTIONS if getattr(args, k) is not None}
    if args.claims and (options or args.per_head):
        raise UsageError(
            "--claims runs each row of the file with its own fields: give the options as "
            "the file's columns, not on the command line"
        )
    with open_published(Settings.from_args(args)) as con:
        if args.claims:
            print(format_claims(run_claims(con, Path(args.claims)), args.format))
        else:
            question = Question(per_head=args.per_head, **options)
            print(format_answer(answer(con, question), args.format))
    return 0


def add_check_parser(sub) -> None:
    """`spendtrack check` and its options (`sub` is the CLI's subparsers)."""
    p = sub.add_parser(
        "check",
        help="one figure from the published database: value, definition, SQL, coverage, and "
        "whether a published figure is reproduced; or a file of claims",
    )
    p.add_argument("--area", help="area code or council name (default: England)")
    p.add_argument(
        "--category",
        help="drugs, alcohol, adults, young_people, all_substance_misuse (default) or "
        "adult_treatment (England, from 2016-17)",
    )
    p.add_argument("--basis", help="budget (default) or outturn")
    p.add_argument("--year", help="a level's year, e.g. 2017-18 (default: the latest held)")
    p.add_argument("--from", dest="from_year", metavar="Y1", help="a change's first year")
    p.add_argument("--to", dest="to_year", metavar="Y2", help="a change's last year")
    p.add_argument(
        "--statistic",
        help="level (default with --year), change (default with --from/--to), pct_change, "
        "peak_year",
    )
    p.add_argument("--prices", help="cash (default) or real")
    p.add_argument("--base-year", dest="base_year", help="real terms in this year's prices")
    p.add_argument("--per-head", action="store_true", help="£ per resident")
    p.add_argument("--published", metavar="VALUE", help="a published figure to compare with")
    p.add_argument("--precision", help="its precision (default: its last decimal place)")
    p.add_argument("--claims", metavar="FILE.csv", help="one claim a row, the options as columns")
    p.add_argument("--format", choices=list(FORMATS), default="table")
    p.set_defaults(func=cmd_check)
