"""Rendering: the one Jinja2 environment every report page is written with, its number
filters, and writing a page or a chart's file to disk.

The national report, the council area index and every area page extend `templates/base.html`
and share one stylesheet, `templates/spendtrack.css`, inlined into each page so that a page
opened from disk needs nothing else. Autoescaping is on: a name or a note from the database is
text, never markup; only the filters here that build markup from a number return `Markup`.
A value of None renders as nothing (missing is missing, never "None" or 0).
"""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
MINUS = "−"  # a true minus sign


def thousands(value: float | None) -> str:
    """£ thousand as the pages print it: 1234.5 -> '£1,235k'; None -> ''."""
    return "" if value is None else f"£{value:,.0f}k"


def signed_pct(value: float | None) -> Markup | str:
    """A change in per cent, coloured by its direction: -3.04 -> '−3.0%' in a `fall` span."""
    if value is None:
        return ""
    cls = "fall" if value < 0 else "rise"
    return Markup(f'<span class="{cls}">{MINUS if value < 0 else "+"}{abs(value):.1f}%</span>')


def signed_millions(value: float) -> str:
    """-87.3 -> '−£87m' (a true minus sign, the pound sign after it)."""
    return f"{MINUS if value < 0 else '+'}£{abs(value):,.0f}m"


def cell(value: object) -> str:
    """A table cell of the national report: floats to one decimal, integers with commas."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def fmt(value: object, spec: str) -> str:
    """Python's format mini-language in a template: `{{ x|fmt(",.0f") }}`; None -> ''."""
    return "" if value is None else format(value, spec)


def _finalize(value: object) -> object:
    return "" if value is None else value


@functools.cache
def environment() -> Environment:
    """The environment (one per process: the area pages are written by worker processes)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(k=thousands, pct=signed_pct, millions=signed_millions, cell=cell, fmt=fmt)
    return env


def render(template: str, **context: object) -> str:
    """A template of templates/ filled in with `context`."""
    return environment().get_template(template).render(**context)


def write(path: Path, text: str) -> Path:
    """Write `text` as UTF-8, making the folder first; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
