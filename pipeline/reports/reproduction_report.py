"""Reports written under `<lake>/reports/`: the reproduction table as Markdown."""

from __future__ import annotations

from pathlib import Path


def write_reproduction_report(con, reports_dir: Path) -> Path:
    rows = con.execute(
        "SELECT claim_id, quote, published_value, computed_value, difference, tolerance, status, "
        "reason FROM out.reproduction ORDER BY rowid"
    ).fetchall()
    lines = [
        "# Reproduction of published figures",
        "",
        "Each figure from *State of the Sector 2017* (section 2.3), re-computed by spendtrack from "
        "the source spreadsheets. `tolerance` is the published precision.",
        "",
        "| claim | quote | published | ours | difference | tolerance | status | reason |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for claim, quote, pub, ours, diff, tol, status, reason in rows:
        diff_text = "" if diff is None else f"{diff:+,.2f}"
        cells = [claim, quote, pub, ours, diff_text, tol, status, reason]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / "reproduction.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
