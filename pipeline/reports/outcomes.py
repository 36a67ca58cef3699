"""What an area page must say about the outcomes beside its spend: the caveats drawn on its
drug deaths, drug death rates and alcohol treatment charts, and the words of its Outcomes
section (each series' source and period, a union of councils that can have no rate, a figure
printed only jointly with another council).

Everything here is read from the charts' rows (the CSVs) and the database's source registry;
a missing figure is named as missing, never shown as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The Outcomes section's sentence for a union of councils that has no rate; tests look for it.
UNION_NO_RATE = "age-standardised rates cannot be added, so no rate can be published for the union"
OUTCOME_BASES = {  # reference.sources basis -> the series it gives
    "outcome_deaths": "deaths",
    "outcome_treatment": "alcohol",
}
MEASURE_WORDS = {"misuse": "drug misuse", "poisoning": "drug poisoning"}


@dataclass
class Notes:
    """What one outcome chart must say: the caveat box, labels over the years or periods of
    each panel, and a message in a panel that has no figure at all."""

    lines: list[str] = field(default_factory=list)
    labels: list[dict[str, list[str]]] = field(default_factory=lambda: [{}])
    empty: list[str | None] = field(default_factory=lambda: [None])

    def label(self, panel: int, x: str, text: str) -> None:
        labels = self.labels[panel].setdefault(x, [])
        if text not in labels:
            labels.append(text)


@dataclass
class OutcomeContext:
    """What every area's Outcomes section shares: the sources, and the names of the councils
    the outcome files print (ONS code -> name)."""

    sources: dict[str, str]  # "deaths" | "alcohol" -> publisher, title and licence
    names: dict[str, str]


def outcome_context(con) -> OutcomeContext:
    sources: dict[str, list[str]] = {}
    for basis, publisher, title, licence in con.execute(
        "SELECT basis, publisher, title, licence FROM reference.sources "
        f"WHERE basis IN {tuple(OUTCOME_BASES)} ORDER BY source_id"
    ).fetchall():
        sources.setdefault(OUTCOME_BASES[basis], []).append(f"{publisher}, {title} ({licence})")
    missing = set(OUTCOME_BASES.values()) - set(sources)
    if missing:
        raise ValueError(f"reference.sources holds no source for {', '.join(sorted(missing))}")
    names = dict(
        con.execute(
            "SELECT DISTINCT ons_code, la_name FROM reference.stable_areas "
            "WHERE ons_code IS NOT NULL"
        ).fetchall()
    )
    # the drug deaths workbook's own names for its rows (2021 boundaries)
    names.update(
        con.execute("SELECT DISTINCT ons_code, area_name FROM raw.ons__drug_deaths").fetchall()
    )
    return OutcomeContext({k: "; ".join(v) for k, v in sources.items()}, names)


def members(codes: str | None, names: dict[str, str]) -> list[str]:
    """'E06000061;E06000062' -> ['North Northamptonshire', 'West Northamptonshire']."""
    return [names.get(c, c) for c in (codes or "").split(";") if c]


def _span(values: list) -> str:
    ordered = sorted(set(values))
    return f"{ordered[0]} to {ordered[-1]}" if ordered else "none held"


def unreliable(rate: dict) -> bool:
    """A printed rate from fewer than 20 deaths: ONS flags those from 10 to 19 deaths, and a
    few early periods print a rate from fewer than 10, which is no more reliable."""
    if rate["rate_per_100k"] is None:
        return False
    few = rate["deaths"] is not None and rate["deaths"] < 20
    return bool(rate["rate_is_low_reliability"] or few)


def union_without_rate(rate_rows: list[dict]) -> bool:
    """The area is a union of councils in ONS's figures and has no rate in any period."""
    own = [r for r in rate_rows if r["series"] == "area"]
    return (
        bool(own)
        and all(r["rate_per_100k"] is None for r in own)
        and any(";" in (r["member_codes"] or "") for r in own)
    )


def deaths_notes(rows: list[dict], names: dict[str, str]) -> Notes:
    notes = Notes()
    notes.lines.append(
        "Deaths registered in the year, not the year of death: a death that goes to an inquest "
        "can be registered months or years later. Residents only. Deaths related to drug "
        "misuse are a subset of those related to drug poisoning: never add the two."
    )
    union = members(rows[0]["member_codes"], names) if rows else []
    if len(union) > 1:
        notes.lines.append(
            f"In ONS's figures this area is {len(union)} councils ({' + '.join(union)}): "
            "their deaths are summed, never apportioned."
        )
    gaps = []
    for r in rows:
        for measure in ("poisoning", "misuse"):
            if r[f"deaths_drug_{measure}"] is None:
                notes.label(0, str(r["year"]), "no figure")
                reporting = r[f"members_reporting_{measure}"]
                why = (
                    f"{reporting} of its {r['members_in_file']} councils printed one"
                    if r["members_in_file"] > 1
                    else "the file prints none"
                )
                gaps.append(f"{r['year']} {MEASURE_WORDS[measure]} ({why})")
    if gaps:
        notes.lines.append("No figure (gap in the line): " + "; ".join(gaps) + ".")
    if rows and all(
        r["deaths_drug_poisoning"] is None and r["deaths_drug_misuse"] is None for r in rows
    ):
        notes.empty[0] = "No figure is printed for this area."
    return notes


def rates_notes(rows: list[dict], names: dict[str, str]) -> Notes:
    notes = Notes()
    notes.lines.append(
        "Age-standardised mortality rate per 100,000 (2013 European Standard Population), "
        "persons, three registration years pooled; the shaded band is the 95% confidence "
        "interval. ONS calculates no rate from fewer than 10 deaths (with a few exceptions "
        "in early periods) and marks rates from 10 to 19 deaths as unreliable; an open circle "
        "marks a rate from fewer than 20 deaths."
    )
    own = [r for r in rows if r["series"] == "area"]
    if union_without_rate(rows):
        union = members(own[0]["member_codes"], names)
        notes.lines.append(
            f"No rate for this area: in ONS's figures it is {len(union)} councils "
            f"({' + '.join(union)}), and {UNION_NO_RATE}. England's rates are shown alone."
        )
        notes.empty[0] = "No rate: a union of councils (rates cannot be added)"
        return notes
    if own and all(r["rate_per_100k"] is None for r in own):
        notes.lines.append(
            f"No rate for this area in any period: {own[0]['rate_note']}. England's rates "
            "are shown alone."
        )
        notes.empty[0] = "No rate in any period (fewer than 10 deaths)"
        return notes
    gaps: dict[str, list[str]] = {}
    shaky: dict[str, list[str]] = {}
    for r in own:
        words = MEASURE_WORDS[r["measure"]]
        if r["rate_per_100k"] is None:
            gaps.setdefault(words, []).append(r["period"])
        elif unreliable(r):
            shaky.setdefault(words, []).append(r["period"])
    for period in sorted({p for ps in gaps.values() for p in ps}):
        without = [m for m, w in MEASURE_WORDS.items() if period in gaps.get(w, [])]
        notes.label(0, period, "no rate" if len(without) > 1 else f"no {without[0]} rate")
    if gaps:
        notes.lines.append(
            "No rate (gap in the line; not calculated by ONS, fewer than 10 deaths, or not "
            "available): " + "; ".join(f"{w} {', '.join(ps)}" for w, ps in gaps.items()) + "."
        )
    if shaky:
        notes.lines.append(
            "Unreliable (fewer than 20 deaths): "
            + "; ".join(f"{w} {', '.join(ps)}" for w, ps in shaky.items())
            + "."
        )
    return notes


def alcohol_notes(rows: list[dict], names: dict[str, str]) -> Notes:
    notes = Notes(labels=[{}, {}], empty=[None, None])
    notes.lines.append(
        "Adults in treatment for alcohol in the year; met need is people in treatment as a "
        "percentage of the estimated number of adults dependent on alcohol. Alcohol only: no "
        "per-council drug treatment figures are held."
    )
    own = [r for r in rows if r["series"] == "area"]
    note = next((r["note"] for r in own if r["note"]), None)
    if note:
        notes.lines.append(f"No figure: {note}.")
        notes.empty = ["No figure: printed only jointly with another council"] * 2
        return notes
    recomputed = [r for r in own if r["met_need_is_recomputed"]]
    if recomputed:
        union = members(recomputed[0]["member_codes"], names)
        notes.lines.append(
            f"In the file this area is {len(union)} councils ({' + '.join(union)}): counts are "
            "summed and met need recomputed from the sums, never averaged."
        )
    gaps = []
    for r in own:
        if r["people_in_treatment"] is None:
            notes.label(0, r["financial_year"], "no figure")
            gaps.append(f"{r['financial_year']} people in treatment")
        if r["met_need_pct"] is None:
            notes.label(1, r["financial_year"], "no figure")
            why = " (no estimate of dependent drinkers)" if r["people_in_treatment"] else ""
            gaps.append(f"{r['financial_year']} met need{why}")
    if gaps:
        notes.lines.append("Not printed (gap in the line): " + ", ".join(gaps) + ".")
    for r in rows:
        if r["series"] == "england" and r["met_need_pct"] is None:
            notes.label(1, r["financial_year"], "no England figure")
            notes.lines.append(f"England {r['financial_year']}: {r['note'] or 'not printed'}.")
    return notes


def outcome_words(charts: dict, context: OutcomeContext) -> dict:
    """The Outcomes section's words for one area: each series' period and source, and what
    it must say where a figure cannot be given."""
    deaths = charts["drug_deaths"][1]
    rates = charts["drug_death_rates"][1]
    alcohol = charts["alcohol_treatment"][1]
    own_rates = [r for r in rates if r["series"] == "area"]
    own_alcohol = [r for r in alcohol if r["series"] == "area"]
    union = members(own_rates[0]["member_codes"], context.names) if own_rates else []
    no_rate = ""
    if union_without_rate(rates):
        no_rate = (
            f"No drug death rate is given for this area: in ONS's figures it is "
            f"{len(union)} councils ({', '.join(union)}), and {UNION_NO_RATE}. Its deaths, "
            "which do add, are in the chart above; England's rates are shown for reference."
        )
    elif own_rates and all(r["rate_per_100k"] is None for r in own_rates):
        no_rate = (
            "No drug death rate is given for this area in any period: ONS calculates none "
            "from fewer than 10 deaths. England's rates are shown for reference."
        )
    return {
        "deaths_years": _span([r["year"] for r in deaths]),
        "rate_periods": _span([r["period"] for r in rates]),
        "alcohol_years": _span([r["financial_year"] for r in alcohol]),
        "deaths_source": context.sources["deaths"],
        "alcohol_source": context.sources["alcohol"],
        "no_rate": no_rate,
        "alcohol_note": next((r["note"] for r in own_alcohol if r["note"]), ""),
    }
