"""Plain-text tables for the terminal: the one format every command's table output uses."""

from __future__ import annotations


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """Columns padded to their widest cell, a rule under the header; None prints empty."""

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:,.2f}"
        return str(v)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in text]
    return "\n".join([line, rule, *body])
