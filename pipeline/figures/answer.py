"""One figure from the published database: its value and unit, its definition in words, the
SQL that computes it, its coverage and, given a published figure, whether it is reproduced and
which of the nearest definitions we hold comes closest.

`check()` is the one implementation: `spendtrack check`, a notebook and `out.reproduction`
(through `pipeline.figures.claims`) all call it, so a figure is defined in one place. It only reads.

    from pipeline.figures.answer import check
    answer = check(area="Leeds", category="adults", from_year="2013-14", to_year="2023-24",
                   statistic="pct_change", prices="real")
    answer.value, answer.unit, answer.definition, answer.sql
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from pipeline.errors import SpendtrackError, UsageError
from pipeline.figures.words import (
    NEIGHBOURS,
    coverage_lines,
    definition_text,
    resolve_area,
)

CATEGORIES = ("drugs", "alcohol", "adults", "young_people", "all_substance_misuse")
ADULT_TREATMENT = "adult_treatment"  # lines 376 + 377 from 2016-17, England only
ALL_CATEGORIES = (*CATEGORIES, ADULT_TREATMENT)
TREATMENT_LINES = ("drug_treatment", "alcohol_treatment")
STATISTICS = ("level", "change", "pct_change", "peak_year")
BASES = ("budget", "outturn")
PRICES = ("cash", "real")
DEFAULT_BASE_YEAR = "2024-25"  # the out tables' real-terms columns
ENGLAND_CODE = "E92000001"  # ONS mid-year estimates' England row
EPSILON = 1e-9
DETAIL_TABLES = (  # read for a figure's words and coverage
    "out.spend_trends",
    "out.suspect_values",
    "core.la_substance_misuse_spend",
    "reference.stable_areas",
    "reference.sources",
)


@dataclass(frozen=True)
class Question:
    """What to compute; None means the default a reader would expect (see `resolve`)."""

    area: str | None = None  # an area code or council name; None is England
    category: str = "all_substance_misuse"
    basis: str = "budget"
    year: str | None = None  # a level's year (default: the latest held)
    from_year: str | None = None  # a change's years (default: the first and latest held)
    to_year: str | None = None
    statistic: str | None = None  # default: level, or change when --from/--to is given
    prices: str = "cash"
    base_year: str | None = None  # real terms only (default 2024-25)
    per_head: bool = False
    published: str | float | None = None
    precision: float | None = None  # default: the published figure's last decimal place


@dataclass(frozen=True)
class Alternative:
    """A neighbouring definition's figure for the same years, beside a published one."""

    label: str
    value: float | str | None
    unit: str
    difference: float | None
    reproduces: bool
    note: str = ""  # why there is no value


@dataclass(frozen=True)
class Answer:
    value: float | str | None
    unit: str
    statistic: str
    area_code: str | None  # None for England
    area_name: str
    category: str
    basis: str
    prices: str  # "cash" or "<base year> prices"
    per_head: bool
    from_year: str | None  # None for a level
    to_year: str
    definition: str
    sql: str
    coverage: tuple[str, ...]
    baseline_moved: str = ""  # why the baseline is not the year asked for ("" when it is not)
    published: float | str | None = None
    precision: float | None = None
    status: str = ""  # reproduced | differs ("" without a published figure)
    difference: float | None = None
    alternatives: tuple[Alternative, ...] = ()

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["coverage"] = list(self.coverage)
        out["alternatives"] = [dict(a.__dict__) for a in self.alternatives]
        return out


def financial_year(text: str | int) -> str:
    """'2017-18', '2017/18', '2017/2018' or 2017 as '2017-18'."""
    match = re.fullmatch(r"(\d{4})(?:[-/](\d{2}|\d{4}))?", str(text).strip())
    if not match or (match[2] and int(match[2][-2:]) != (int(match[1]) + 1) % 100):
        raise UsageError(f"year {text!r} is not a financial year: write it as 2017-18")
    start = int(match[1])
    return f"{start}-{(start + 1) % 100:02d}"


def _choice(value: str, valid: tuple[str, ...], what: str) -> str:
    if value not in valid:
        raise UsageError(f"unknown {what} {value!r}: valid are {', '.join(valid)}")
    return value


def published_number(value: str | float) -> tuple[float | str, float]:
    """A published figure as a number (or a year, for a peak) and its precision by default:
    the unit of its last decimal place ('569.1' is to 0.1, '-14%' to 1)."""
    if isinstance(value, int | float):
        text = repr(float(value)).rstrip("0").rstrip(".")
    else:
        text = str(value).strip()
    if re.fullmatch(r"\d{4}[-/]\d{2}", text):
        return financial_year(text), 0.0
    number = re.sub(r"[£,%m\s+]", "", text.replace("−", "-"))
    if number.startswith("-£") or number.startswith("£-"):
        number = "-" + number[2:]
    try:
        parsed = float(number)
    except ValueError:
        raise UsageError(
            f"published figure {value!r} is not a number: give it as 569.1, -105 or -14"
        ) from None
    decimals = len(number.partition(".")[2])
    return parsed, 10.0**-decimals


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tables(con) -> set[str]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() UNION ALL "
        "SELECT schema_name || '.' || view_name FROM duckdb_views()"
    ).fetchall()
    return {r[0] for r in rows}


def series_sql(q: Question, area_code: str | None, base_year: str | None) -> str:
    """SELECT financial_year, value: the yearly series the statistic is taken from."""
    real = q.prices == "real"
    default_base = base_year in (None, DEFAULT_BASE_YEAR)
    basis, category = _quote(q.basis), _quote(q.category)
    if area_code is not None:
        cash = "spend_per_head_gbp" if q.per_head else "value_gbp_thousands"
        column = (
            cash
            if not real
            else ("spend_per_head_real_gbp" if q.per_head else "value_real_gbp_thousands")
            if default_base
            else f"real_terms({cash}, financial_year, {_quote(base_year)})"
        )
        return (
            f"SELECT financial_year, {column} AS value\n    FROM out.area_spend_trends\n"
            f"    WHERE area_code = {_quote(area_code)} AND basis = {basis} "
            f"AND category = {category}"
        )
    if q.category == ADULT_TREATMENT:
        total = "sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands))"
        if real:
            total = f"real_terms({total}, financial_year, {_quote(base_year or DEFAULT_BASE_YEAR)})"
        lines = ", ".join(_quote(line) for line in TREATMENT_LINES)
        inner = (
            f"SELECT financial_year, {total} / 1000 AS value\n"
            "    FROM core.england_substance_misuse_spend\n"
            f"    WHERE basis = {basis} AND measure = 'net_current_expenditure'\n"
            f"        AND canonical_line IN ({lines})\n"
            f"    GROUP BY financial_year HAVING count(*) = {len(TREATMENT_LINES)}"
        )
    else:
        column = (
            "value_gbp_millions"
            if not real
            else "value_real_gbp_millions"
            if default_base
            else f"real_terms(value_gbp_millions, financial_year, {_quote(base_year)})"
        )
        inner = (
            f"SELECT financial_year, {column} AS value\n    FROM out.spend_trends\n"
            f"    WHERE basis = {basis} AND category = {category}"
        )
    if not q.per_head:
        return inner
    # £ per resident: the ONS mid-year estimate inside the financial year (mid-2013 for 2013-14)
    return (
        "SELECT s.financial_year, 1000000 * s.value / p.population AS value\n"
        f"    FROM ({inner}) AS s\n"
        f"    JOIN raw.ons__mye4 AS p ON p.ons_code = '{ENGLAND_CODE}'\n"
        "        AND p.mid_year = CAST(left(s.financial_year, 4) AS INTEGER)"
    )


def unit_of(q: Question, statistic: str, area_code: str | None, prices: str) -> str:
    if statistic == "peak_year":
        return "financial year"
    if statistic == "pct_change":
        return "%"
    money = (
        "£ per resident" if q.per_head else "£ thousand" if area_code is not None else "£ million"
    )
    return f"{money}, {prices}"


def statistic_sql(series: str, statistic: str, start: str | None, end: str, column: str) -> str:
    def at(year: str) -> str:
        return f"max(value) FILTER (WHERE financial_year = {_quote(year)})"

    if statistic == "level":
        expression = at(end)
    elif statistic == "change":
        expression = f"{at(end)}\n    - {at(start)}"
    elif statistic == "pct_change":
        expression = f"100 * ({at(end)}\n    - {at(start)})\n    / {at(start)}"
    else:
        expression = (
            "arg_max(financial_year, value)\n    FILTER (WHERE financial_year BETWEEN "
            f"{_quote(start)} AND {_quote(end)})"
        )
    return f"WITH series AS (\n    {series}\n)\nSELECT {expression} AS {column}\nFROM series"


def _column(statistic: str, unit: str) -> str:
    if statistic in ("pct_change", "peak_year"):
        return {"pct_change": "change_pct", "peak_year": "peak_year"}[statistic]
    money = (
        "gbp_per_head"
        if "resident" in unit
        else "gbp_thousands"
        if "thousand" in unit
        else "gbp_millions"
    )
    prefix = "level" if statistic == "level" else "change"
    return f"{prefix}_{money}" + ("_real" if "prices" in unit else "")


def _held_message(q: Question, area_name: str, year: str, held: list[str]) -> str:
    what = f"{q.basis} {q.category} for {area_name}" + (" per head" if q.per_head else "")
    if q.prices == "real":
        what += " in real terms"
    if not held:
        return f"{what} is not held for any year"
    return f"{what} is not held for {year}: the years held are {', '.join(held)}"


def _needed(q: Question, detail: bool) -> list[str]:
    """The tables a question reads."""
    england = q.area is None or q.area.strip().lower() in ("", "england", ENGLAND_CODE.lower())
    if not england:
        needed = ["out.area_spend_trends", "out.area_suspects", "reference.stable_areas"]
    elif q.category == ADULT_TREATMENT:
        needed = ["core.england_substance_misuse_spend"]
    else:
        needed = ["out.spend_trends"]
    if england and q.per_head:
        needed.append("raw.ons__mye4")
    if q.base_year is not None:
        needed.append("reference.gdp_deflator")
    return needed + list(DETAIL_TABLES if detail else ())


def answer(con, q: Question, *, alternatives: bool = True, detail: bool = True) -> Answer:
    """Compute the figure `q` asks for on the open (read-only) connection `con`; without
    `detail` only the value (no words, coverage or alternatives: the reproduction's use)."""
    category = _choice(q.category, ALL_CATEGORIES, "category")
    basis = _choice(q.basis, BASES, "basis")
    _choice(q.prices, PRICES, "prices (--prices)")
    held_tables = _tables(con)
    missing = list(dict.fromkeys(t for t in _needed(q, detail) if t not in held_tables))
    if missing:
        raise SpendtrackError(
            f"the database has no {', '.join(missing)}; run `spendtrack refresh` to build it"
        )
    if q.base_year is not None and q.prices != "real":
        raise UsageError("--base-year is for real terms: add --prices real, or drop --base-year")
    base_year = financial_year(q.base_year) if q.base_year is not None else None
    prices = "cash" if q.prices == "cash" else f"{base_year or DEFAULT_BASE_YEAR} prices"
    area_code, area_name, area_note = resolve_area(con, q.area)
    if area_code is not None and category == ADULT_TREATMENT:
        raise UsageError(
            "category adult_treatment is held for England only (the treatment lines summed "
            f"from the ENGLAND rows): for an area use one of {', '.join(CATEGORIES)}"
        )
    if base_year is not None:
        deflated = con.execute(
            "SELECT count(*) FROM reference.gdp_deflator WHERE is_default AND financial_year = ?",
            [base_year],
        ).fetchone()[0]
        if not deflated:
            first, last = con.execute(
                "SELECT min(financial_year), max(financial_year) FROM reference.gdp_deflator "
                "WHERE is_default"
            ).fetchone()
            raise UsageError(f"base year {base_year} has no deflator: valid are {first} to {last}")

    series = series_sql(q, area_code, base_year)
    values = dict(
        con.execute(f"SELECT * FROM ({series}) WHERE value IS NOT NULL ORDER BY 1").fetchall()
    )
    held = sorted(values)
    statistic, start, end, moved = _years(con, q, area_code, area_name, held)
    unit = unit_of(q, statistic, area_code, prices)
    sql = statistic_sql(series, statistic, start, end, _column(statistic, unit))
    value = con.execute(sql).fetchone()[0]
    years = [y for y in (start, end) if y is not None]
    coverage = coverage_lines(con, q, area_code, years, moved) if detail else []
    definition = (
        definition_text(con, q, area_code, area_name, area_note, statistic, start, end, prices)
        if detail
        else ""
    )
    result = Answer(
        value=value,
        unit=unit,
        statistic=statistic,
        area_code=area_code,
        area_name=area_name,
        category=category,
        basis=basis,
        prices=prices,
        per_head=q.per_head,
        from_year=start,
        to_year=end,
        definition=definition,
        sql=sql,
        coverage=tuple(coverage),
        baseline_moved=moved,
    )
    if q.published is None:
        return result
    published, precision = published_number(q.published)
    if q.precision is not None:
        try:
            precision = float(q.precision)
        except ValueError:
            raise UsageError(
                f"precision {q.precision!r} is not a number: give it as 0.1, 1 or 10"
            ) from None
    status, difference = compare(value, published, precision)
    result = replace(
        result, published=published, precision=precision, status=status, difference=difference
    )
    if alternatives and detail:
        years = (
            {"year": end, "from_year": None, "to_year": None}
            if statistic == "level"
            else {"year": None, "from_year": start, "to_year": end}
        )
        fixed = replace(q, area=area_code, statistic=statistic, published=None, **years)
        others = _alternatives(con, fixed, published, precision)
        result = replace(result, alternatives=tuple(others))
    return result


def compare(
    value: float | str | None, published: float | str, precision: float
) -> tuple[str, float | None]:
    """`reproduced` when ours rounds to the published figure at its precision."""
    if value is None:
        return "differs", None
    if isinstance(published, str) or isinstance(value, str):
        return ("reproduced" if str(value) == str(published) else "differs"), None
    difference = value - published
    ok = abs(difference) <= precision / 2 + EPSILON
    return ("reproduced" if ok else "differs"), difference


def _years(
    con, q: Question, area_code: str | None, area_name: str, held: list[str]
) -> tuple[str, str | None, str, str]:
    """(statistic, from, to, why the baseline moved) from what was asked and what is held."""
    ranged = q.from_year is not None or q.to_year is not None
    if q.year is not None and ranged:
        raise UsageError("give --year Y for a level, or --from Y1 --to Y2 for a change, not both")
    statistic = q.statistic or ("change" if ranged else "level")
    _choice(statistic, STATISTICS, "statistic")
    if not held:
        raise UsageError(_held_message(q, area_name, "any year", held))

    def need(year: str) -> str:
        if year not in held:
            raise UsageError(_held_message(q, area_name, year, held))
        return year

    if statistic == "level":
        if ranged:
            raise UsageError("a level is for one year: give --year Y (or --statistic change)")
        return statistic, None, need(financial_year(q.year) if q.year else held[-1]), ""
    if q.year is not None:
        raise UsageError(f"a {statistic} needs --from Y1 --to Y2, not --year")
    end = need(financial_year(q.to_year) if q.to_year else held[-1])
    if q.from_year is not None:
        start = need(financial_year(q.from_year))
        moved = ""
    else:
        start, moved = _baseline(con, q, area_code, [y for y in held if y < end] or [held[0]])
    if start >= end and statistic != "peak_year":
        raise UsageError(f"--from {start} is not before --to {end}")
    return statistic, start, end, moved


def _baseline(con, q: Question, area_code: str | None, candidates: list[str]) -> tuple[str, str]:
    """The first year held, or for a council area the first whose figure no rule flags (as
    out.la_disinvestment starts its comparisons): never a change from a doubtful figure."""
    if area_code is None:
        return candidates[0], ""
    flagged = dict(
        con.execute(
            "SELECT financial_year, suspect_rules FROM out.area_suspects "
            "WHERE area_code = ? AND basis = ? AND category = ?",
            [area_code, q.basis, q.category],
        ).fetchall()
    )
    sound = [y for y in candidates if y not in flagged]
    if not sound or sound[0] == candidates[0]:
        return candidates[0], ""
    skipped = "; ".join(f"{y} ({flagged[y]})" for y in candidates if y < sound[0])
    return sound[0], f"baseline moved from {candidates[0]} to {sound[0]}: suspect {skipped}"


def _alternatives(con, q: Question, published: float | str, precision: float) -> list[Alternative]:
    """The same years under the neighbouring definitions: the other basis, the other prices,
    the neighbouring categories. Each is computed as defined, never adjusted to fit."""
    other_prices = "cash" if q.prices == "real" else "real"
    variants = [(f"basis {b}", replace(q, basis=b)) for b in BASES if b != q.basis] + [
        (
            "cash" if other_prices == "cash" else f"real terms, {DEFAULT_BASE_YEAR} prices",
            replace(q, prices=other_prices, base_year=None),
        )
    ]
    if q.per_head:
        variants.append(("the total, not per head", replace(q, per_head=False)))
    for category in NEIGHBOURS[q.category]:
        if q.area is not None and category == ADULT_TREATMENT:
            continue
        variants.append((f"category {category}", replace(q, category=category)))
    out = []
    for label, variant in variants:
        try:
            other = answer(con, variant, alternatives=False, detail=False)
        except UsageError as exc:
            out.append(Alternative(label, None, "", None, False, exc.message))
            continue
        status, difference = compare(other.value, published, precision)
        out.append(Alternative(label, other.value, other.unit, difference, status == "reproduced"))
    return out


def check(con=None, settings=None, **fields) -> Answer:
    """`answer()` for a notebook: opens the published database read-only unless given `con`.

    Keyword arguments are `Question`'s fields (area, category, basis, year, from_year,
    to_year, statistic, prices, base_year, per_head, published, precision)."""
    question = Question(**fields)
    if con is not None:
        return answer(con, question)
    from pipeline.build.publish import open_published
    from pipeline.config import Settings

    with open_published(settings or Settings.from_env()) as opened:
        return answer(opened, question)
