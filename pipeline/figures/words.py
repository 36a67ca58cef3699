"""The words around a checked figure: which area a name means, what the figure is (lines,
councils, prices, files) and what it covers (councils reporting, imputed and suspect figures).

Used by `pipeline.figures.answer`; kept apart so the arithmetic there stays short.
"""

from __future__ import annotations

import difflib

from pipeline.errors import UsageError

CATEGORY_WORDS = {
    "drugs": "adult drug lines: 376 'drug misuse - adults' to 2015-16, drug treatment (376) "
    "and drug prevention (378) from 2016-17",
    "alcohol": "adult alcohol lines: 377 'alcohol misuse - adults' to 2015-16, alcohol "
    "treatment (377) and alcohol prevention (379) from 2016-17",
    "adults": "adult drug and alcohol lines: 376-377 to 2015-16, treatment and prevention "
    "(376-379) from 2016-17",
    "young_people": "the young people's substance misuse line: 378 to 2015-16, 380 from 2016-17",
    "all_substance_misuse": "every substance misuse line, adults and young people: 376-378 to "
    "2015-16, 376-380 from 2016-17",
    "adult_treatment": "adult drug and alcohol treatment lines only (376 + 377), held from "
    "2016-17; prevention excluded",
}
BASIS_WORDS = {
    "budget": "RA budget: what councils planned",
    "outturn": "RO3 outturn: what councils spent",
}
# Definitions a publication might have meant instead, offered beside a published figure.
NEIGHBOURS = {
    "drugs": ("adults", "alcohol"),
    "alcohol": ("adults", "drugs"),
    "adults": ("drugs", "alcohol", "all_substance_misuse", "adult_treatment"),
    "young_people": ("all_substance_misuse", "adults"),
    "all_substance_misuse": ("adults", "young_people", "adult_treatment"),
    "adult_treatment": ("adults", "all_substance_misuse"),
}
# The lines of core.la_substance_misuse_spend inside each category.
CATEGORY_FILTER = {
    "drugs": "category = 'drugs'",
    "alcohol": "category = 'alcohol'",
    "adults": "category IN ('drugs', 'alcohol')",
    "young_people": "category = 'young_people'",
    "all_substance_misuse": "category IN ('drugs', 'alcohol', 'young_people')",
    "adult_treatment": "canonical_line IN ('drug_treatment', 'alcohol_treatment')",
}
VALUE_SOURCE_WORDS = {
    "england_row": "the file's ENGLAND row (MHCLG's total, grossed up for councils that did "
    "not report)",
    "sum_of_authorities": "the sum of the authorities that reported (no figure on an ENGLAND "
    "row; never grossed up)",
    "parliamentary_answer": "the 2020 parliamentary written answer (RO3 outturn totals; no "
    "council figures held)",
}


def resolve_area(con, text: str | None) -> tuple[str | None, str, str]:
    """(area code, area name, note) for a council area, matched as the council area index page
    matches (the name or code containing the text, any case); (None, 'England', '') without."""
    if text is None or text.strip().lower() in ("", "england", "e92000001"):
        return None, "England", ""
    wanted = text.strip().lower()
    areas = con.execute(
        "SELECT DISTINCT area_code, area_name FROM out.area_spend_trends "
        "WHERE area_kind = 'council' ORDER BY area_name"
    ).fetchall()
    exact = [(c, n) for c, n in areas if wanted in (c.lower(), n.lower())]
    hits = exact or [(c, n) for c, n in areas if wanted in f"{n.lower()} {c.lower()}"]
    if len(hits) == 1:
        return hits[0][0], hits[0][1], ""
    if len(hits) > 1:
        shown = "; ".join(f"{n} ({c})" for c, n in hits[:8])
        more = f" and {len(hits) - 8} more" if len(hits) > 8 else ""
        raise UsageError(
            f"{len(hits)} council areas match {text!r}: {shown}{more}; give the code or the "
            "full name"
        )
    # A council that a reorganisation replaced (Poole, Northamptonshire's old code...) counts
    # in the area that took it over.
    members = con.execute(
        "SELECT DISTINCT s.area_code, s.area_name, s.la_name, s.rule FROM reference.stable_areas "
        "AS s WHERE s.area_kind = 'council' AND s.rule IN ('merged', 'code_change') AND "
        "(lower(s.la_name) = ? OR lower(s.ons_code) = ? OR lower(s.ecode) = ?)",
        [wanted, wanted, wanted],
    ).fetchall()
    if len({m[0] for m in members}) == 1:
        code, name, la_name, _rule = members[0]
        return code, name, f"{la_name} is counted in {name} ({code}) through the reorganisation"
    close = difflib.get_close_matches(text, [n for _, n in areas], n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise UsageError(
        f"no council area matches {text!r}: {hint}give a council name or area code as listed by "
        '`spendtrack query "SELECT DISTINCT area_code, area_name FROM out.la_disinvestment"`, '
        "or omit --area for England"
    )


def _years_text(years: list[str]) -> str:
    return " and ".join(dict.fromkeys(years))


def _files(con, basis: str, years: list[str], per_head: bool, real: bool) -> str:
    files = [
        r[0]
        for r in con.execute(
            "SELECT file_name FROM reference.sources WHERE family = 'mhclg_revenue' AND "
            "basis = ? AND list_contains(?, financial_year) ORDER BY financial_year",
            [basis, years],
        ).fetchall()
    ]
    extra = []
    if real:
        extra.append("reference.gdp_deflator (HM Treasury GDP deflator, the default series)")
    if per_head:
        extra.append("ONS mid-year population estimates (raw.ons__mye4)")
    return "; ".join(files + extra)


def definition_text(
    con,
    q,
    area_code: str | None,
    area_name: str,
    area_note: str,
    statistic: str,
    start: str | None,
    end: str,
    prices: str,
) -> str:
    """Which lines, which councils, cash or which prices, and from which files."""
    what = {
        "level": f"spend in {end}",
        "change": f"the change in spend from {start} to {end}",
        "pct_change": f"the change in spend from {start} to {end} as a % of {start}",
        "peak_year": f"the year of highest spend from {start} to {end}",
    }[statistic]
    years = [y for y in (start, end) if y is not None]
    if area_code is None:
        rows = con.execute(
            "SELECT DISTINCT value_source FROM out.spend_trends WHERE basis = ? "
            "AND list_contains(?, financial_year)",
            [q.basis, years],
        ).fetchall()
        # a category summed from lines of both kinds reads 'england_row + sum_of_authorities'
        sources = sorted({part for (source,) in rows for part in source.split(" + ")})
        if q.category == "adult_treatment":
            sources = ["england_row"]
        councils = "England: " + " or ".join(VALUE_SOURCE_WORDS.get(s, s) for s in sources)
    else:
        members = con.execute(
            "SELECT string_agg(DISTINCT la_name, ', ' ORDER BY la_name) "
            "FROM reference.stable_areas WHERE area_code = ? "
            "AND rule IN ('unchanged', 'merged', 'code_change')",
            [area_code],
        ).fetchone()[0]
        councils = (
            f"{area_name} ({area_code}): the plain sum of its councils' own figures "
            f"({members}; districts count in their county), on April 2023 boundaries"
        )
        if area_note:
            councils += f"; {area_note}"
    money = (
        "cash (each year's own pounds)"
        if prices == "cash"
        else f"{prices} (HM Treasury GDP deflator: real_terms())"
    )
    if q.per_head:
        money += ", per resident (ONS mid-year estimate inside the financial year)"
    files = _files(con, q.basis, years, q.per_head, q.prices == "real")
    return (
        f"{what}; net current expenditure on {CATEGORY_WORDS[q.category]} (line 348, adult "
        f"social care, never included); {councils}; {BASIS_WORDS[q.basis]}; {money}; "
        f"files: {files or 'the 2020 written answer'}"
    )


def coverage_lines(con, q, area_code: str | None, years: list[str], moved: str) -> list[str]:
    """Per year used: councils reporting and not, imputed and suspect figures inside the sum."""
    lines = [moved] if moved else []
    filt = CATEGORY_FILTER[q.category]
    if area_code is None:
        if q.category != "adult_treatment":
            for fy, expected, reporting, missing in con.execute(
                "SELECT financial_year, councils_expected, councils_reporting, "
                "councils_not_reporting FROM out.spend_trends WHERE basis = ? AND category = ? "
                "AND list_contains(?, financial_year) ORDER BY financial_year",
                [q.basis, q.category, years],
            ).fetchall():
                if expected is None:
                    lines.append(f"{fy}: an England total only; no council figures held")
                    continue
                text = f"{fy}: {reporting} of {expected} councils with public health duties"
                lines.append(text + " reported" + (f"; not: {missing}" if missing else ""))
        where = "basis = ? AND list_contains(?, financial_year)"
        params: list = [q.basis, years]
    else:
        for fy, members, reporting in con.execute(
            "SELECT financial_year, members_in_file, members_reporting "
            "FROM out.area_spend_trends WHERE area_code = ? AND basis = ? AND category = ? "
            "AND list_contains(?, financial_year) ORDER BY financial_year",
            [area_code, q.basis, q.category, years],
        ).fetchall():
            lines.append(f"{fy}: {reporting} of {members} member councils reported")
        where = "area_code = ? AND basis = ? AND list_contains(?, financial_year)"
        params = [area_code, q.basis, years]
    imputed = con.execute(
        "SELECT financial_year, count(DISTINCT ecode), string_agg(DISTINCT la_name, ', ') "
        "FROM core.la_substance_misuse_spend JOIN (SELECT DISTINCT ecode, area_code FROM "
        f"reference.stable_areas) USING (ecode) WHERE is_imputed AND {filt} AND "
        f"measure = 'net_current_expenditure' AND {where} GROUP BY 1 ORDER BY 1",
        params,
    ).fetchall()
    for fy, n, names in imputed:
        lines.append(f"{fy}: {n} imputed figure(s) inside the sum ({names})")
    suspects = con.execute(
        "SELECT financial_year, count(DISTINCT (ecode, canonical_line)), "
        "string_agg(DISTINCT la_name, ', ' ORDER BY la_name) FROM out.suspect_values AS s "
        f"WHERE {filt} AND {where} AND NOT EXISTS (SELECT 1 FROM "
        "checks.suspect_rule_agreement AS a WHERE a.rule = s.rule AND a.basis = s.basis "
        "AND a.verdict = 'withdrawn') GROUP BY 1 ORDER BY 1",
        params,
    ).fetchall()
    for fy, n, names in suspects:
        lines.append(
            f"{fy}: {n} suspect figure(s) inside the sum, kept as published (out.suspect_values):"
            f" {names}"
        )
    if q.per_head and area_code is not None:
        lines.append("population: the area's upper-tier councils on April 2023 boundaries")
    return lines
