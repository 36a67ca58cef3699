"""What the council area pages must say about an area's figures: the caveats drawn on its
spend and per-head charts (missing, partial, imputed and suspect figures, reorganisations),
and the words of its page and index row (its kind of council over time, how its change is
compared).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.reports.area_data import Area

CLASS_NAME = {  # one of them
    "SC": "county council",
    "UA": "unitary authority",
    "MD": "metropolitan district",
    "L": "London borough",
}
CLASS_NAMES = {
    "SC": "county councils",
    "UA": "unitary authorities",
    "MD": "metropolitan districts",
    "L": "London boroughs",
}


@dataclass
class Caveats:
    """What a chart must say about its figures, year by year."""

    years: list[str]
    reorganisations: list[tuple[str, str]] = field(default_factory=list)  # (year, text)
    year_labels: dict[str, list[str]] = field(default_factory=dict)  # year -> short labels
    lines: list[str] = field(default_factory=list)  # the caveat box, in words

    def label(self, year: str, text: str) -> None:
        labels = self.year_labels.setdefault(year, [])
        if text not in labels:
            labels.append(text)


CATEGORY_WORDS = {
    "drugs": "adult drugs",
    "alcohol": "adult alcohol",
    "adults": "all adult",
    "young_people": "young people",
}


def _reorganisations(members: list[dict]) -> list[tuple[str, str]]:
    """(first year, words) for each year councils of the area started or changed code."""
    councils = [m for m in members if m["rule"] in ("merged", "code_change", "unchanged")]
    if not councils:
        return []
    start = min(m["first_year"] for m in councils)
    events = []
    for year in sorted({m["first_year"] for m in councils if m["first_year"] > start}):
        new = sorted(m["la_name"] for m in councils if m["first_year"] == year)
        old = sorted(m["la_name"] for m in councils if m["last_year"] < year)
        events.append(
            (
                year,
                f"from {year} the area is {' + '.join(new)} (before: {' + '.join(old)}); "
                "their figures are summed, never apportioned",
            )
        )
    return events


def _year_span(years: list[str]) -> str:
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]}"


def _coverage_line(rows: list[dict]) -> str:
    parts = []
    for basis, words in (("budget", "budget (RA)"), ("outturn", "outturn (RO3)")):
        years = sorted({r["financial_year"] for r in rows if r["basis"] == basis})
        if years:
            parts.append(f"{words} {', '.join(_runs(years))}")
    return "Years held for councils: " + "; ".join(parts) + "."


def _runs(years: list[str]) -> list[str]:
    """['2013-14', '2022-23', '2023-24'] -> ['2013-14', '2022-23 to 2023-24']."""
    runs: list[list[str]] = []
    for y in years:
        if runs and int(y[:4]) == int(runs[-1][-1][:4]) + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return [_year_span(r) for r in runs]


def spend_caveats(area: Area, years: list[str]) -> Caveats:
    _, rows = area.charts["spend"]
    cav = Caveats(years=years, reorganisations=_reorganisations(area.members))
    cav.lines.append(_coverage_line(rows))
    for _year, words in cav.reorganisations:
        cav.lines.append(f"Reorganised (dashed line): {words}.")
    by_year: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_year.setdefault((r["financial_year"], r["basis"]), []).append(r)
    missing, partial, imputed = [], [], []
    for (year, basis), group in sorted(by_year.items()):
        first = group[0]
        if all(r["value_gbp_thousands"] is None for r in group):
            cav.label(year, f"no {basis}")
            why = (
                "its council's record has no figures"
                if first["members_in_file"]
                else "not in the file"
            )
            if first["has_imputed_member"]:
                why += " (the file marks it imputed)"
            missing.append(f"{year} {basis}: {why}")
        elif not first["is_complete"]:
            cav.label(year, f"{basis} partial")
            partial.append(
                f"{year} {basis} counts {first['members_reporting']} of "
                f"{first['members_in_file']} councils"
            )
        elif first["has_imputed_member"]:
            cav.label(year, f"{basis} imputed")
            imputed.append(f"{year} {basis}")
    if missing:
        cav.lines.append("No figure (gap in the line): " + "; ".join(missing) + ".")
    if partial:
        cav.lines.append(
            "Partial, not the whole area (the other councils printed no figure): "
            + "; ".join(partial)
            + "."
        )
    if imputed:
        cav.lines.append(
            "Includes a record the file marks as imputed (not the council's own return): "
            + ", ".join(imputed)
            + "."
        )
    flagged: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        if r["is_suspect"]:
            flagged.setdefault((r["financial_year"], r["basis"]), []).append(
                f"{CATEGORY_WORDS[r['category']]} £{r['value_gbp_thousands']:,.0f}k"
            )
    if flagged:
        cav.lines.append(
            "? Suspect figure, shown as published (rules in out.suspect_values; reasons in the "
            "table below): "
            + "; ".join(f"{y} {b}: {', '.join(v)}" for (y, b), v in sorted(flagged.items()))
            + "."
        )
    return cav


def per_head_caveats(area: Area, years: list[str]) -> Caveats:
    _, rows = area.charts["per_head"]
    cav = Caveats(years=years, reorganisations=_reorganisations(area.members))
    cav.lines.append(
        "Adult drug and alcohol services (drugs + alcohol), net current expenditure per "
        "resident (ONS mid-year estimate inside the financial year, April 2023 boundaries)."
    )
    own = [r for r in rows if r["series"] == "area"]
    no_pop = sorted(
        {
            r["financial_year"]
            for r in own
            if r["spend_per_head_real_gbp"] is None and r["is_complete"]
        }
    )
    for year in no_pop:
        cav.label(year, "no population")
    if no_pop:
        cav.lines.append(f"No population estimate is held for {', '.join(no_pop)}: no figure.")
    gaps = []
    for r in own:
        if not r["is_complete"]:
            cav.label(
                r["financial_year"],
                f"{r['basis']} partial"
                if r["spend_per_head_real_gbp"] is not None
                else f"no {r['basis']}",
            )
            gaps.append(f"{r['financial_year']} {r['basis']}")
    if gaps:
        cav.lines.append(
            "Not all of the area's councils reported (see the spend chart): "
            + ", ".join(gaps)
            + "."
        )
    flagged = [f"{r['financial_year']} {r['basis']}" for r in own if r["is_suspect"]]
    if flagged:
        cav.lines.append("? Suspect adult figure, shown as published: " + ", ".join(flagged) + ".")
    for _year, words in cav.reorganisations:
        cav.lines.append(f"Reorganised (dashed line): {words}.")
    cav.lines.append(
        "England and the class median leave out partial and suspect figures; the CSV says how "
        "many areas each covers."
    )
    return cav


def plain_note(c: dict) -> str:
    """out.la_disinvestment's comparability note in words a reader needs, without rule ids."""
    if not c.get("baseline_moved"):
        return c.get("comparability_note") or ""
    note = (
        f"Compared from {c['first_year']}, the first year whose figure no rule flags: "
        "earlier figures look wrong in the source (see Figures to doubt)."
    )
    if c["latest_year"] and c["latest_year"] in (c.get("suspect_years") or ""):
        note += f" The latest figure ({c['latest_year']}) is flagged too."
    return note


def index_note(c: dict) -> str:
    """The index row's note on an area's change: doubtful ends, reorganisation."""
    note = ""
    if c.get("baseline_moved"):
        note = "early figures doubtful: compared from the first sound year"
        if c.get("latest_year") and c["latest_year"] in (c.get("suspect_years") or ""):
            note += "; latest figure doubtful"
    elif c.get("comparability_note"):
        note = c["comparability_note"]
    if c.get("is_reorganised"):
        note += "; reorganised" if note else "reorganised"
    return note


def lede_kind(area: Area, code: str) -> str:
    """'Unitary authority area E06000001', or for an area whose councils changed kind,
    'County council to 2020-21, then unitary authorities from 2021-22 (area E10000021)'."""
    history = class_history(area)
    if " then " in history or " and " in history:
        return f"{history[0].upper()}{history[1:]} (area {code})"
    return f"{history[0].upper()}{history[1:]} area {code}"


def class_history(area: Area) -> str:
    """The area's kind of council, over time where it changed: 'county council to 2020-21,
    then unitary authorities from 2021-22' (from its members' printed classes and years)."""
    spans: dict[str, list[str]] = {}  # class -> [first year, last year, how many]
    for m in area.members:
        if m["rule"].startswith(("district", "abolished")) or not m["la_class"]:
            continue
        span = spans.setdefault(m["la_class"], [m["first_year"], m["last_year"], 0])
        span[0], span[1] = min(span[0], m["first_year"]), max(span[1], m["last_year"])
        span[2] += 1
    if len(spans) < 2:
        return CLASS_NAME.get(area.area_class, "council")
    ordered = sorted(spans.items(), key=lambda kv: kv[1][0])
    names = [(CLASS_NAMES if n > 1 else CLASS_NAME).get(c, c) for c, (_first, _last, n) in ordered]
    if any(b[1][0] <= a[1][1] for a, b in zip(ordered, ordered[1:], strict=False)):
        return " and ".join(names)  # side by side (Dorset's county and its unitaries)
    first, *later = list(zip(names, ordered, strict=True))
    text = f"{first[0]} to {first[1][1][1]}"
    for name, (_c, (since, _last, _n)) in later:
        text += f", then {name} from {since}"
    return text
