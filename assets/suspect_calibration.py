"""The suspect-value rules' evidence: thresholds derived from the whole dataset, per basis, and
each rule measured against the other basis (budget against outturn) as an independent witness.

Both tables are SQL (`sql/checks/`); the checks here make them fail closed: a rule with no
threshold for a basis would flag nothing there without saying so, and a witness whose verdicts
do not follow its own tolerance would report agreement it did not measure.
"""

from __future__ import annotations

import math

from pipeline.model import BuildContext, CheckResult, TableCheck, TableSpec

RULES = "reference.suspect_value_rules"
CALIBRATION = "checks.suspect_rule_calibration"
AGREEMENT = "checks.suspect_rule_agreement"
WITNESS = "other_basis_agrees"  # a row of the rules file that is the witness, not a rule
TEST = "witness_test"  # nor is the test each rule must pass against the witness


def thresholds_complete(ctx: BuildContext) -> list[CheckResult]:
    """Every rule parameter has a threshold for every basis that has figures."""
    missing = ctx.con.execute(
        f"""
        SELECT r.rule || '.' || r.parameter || ' (' || b.basis || ')'
        FROM {RULES} AS r
        CROSS JOIN (SELECT DISTINCT basis FROM out.la_spend_trends) AS b
        LEFT JOIN {CALIBRATION} AS c USING (rule, parameter, basis)
        WHERE r.rule NOT IN (?, ?) AND c.threshold IS NULL
        ORDER BY 1
        """,
        [WITNESS, TEST],
    ).fetchall()
    return [
        CheckResult(
            "thresholds_complete",
            not missing,
            "every suspect-value rule parameter has a threshold derived for every basis",
            observed="all derived"
            if not missing
            else "no threshold: " + ", ".join(m for (m,) in missing),
        )
    ]


def witness_consistent(ctx: BuildContext) -> list[CheckResult]:
    """Each flag's other_basis_agrees is NULL exactly where there is no other-basis figure, and
    otherwise says whether the two lie within this table's tolerance for the flag's level."""
    wrong = ctx.con.execute(
        f"""
        WITH tol AS (SELECT DISTINCT level, tolerance_times FROM {AGREEMENT}),
        flags AS (
            SELECT s.*, CASE WHEN s.rule IN ('far_from_own_median', 'swapped_lines')
                THEN 'category' ELSE 'line' END AS level
            FROM out.suspect_values AS s
        )
        SELECT f.la_name || ' ' || f.financial_year || ' ' || f.basis || ' ' || f.rule
        FROM flags AS f LEFT JOIN tol AS t USING (level)
        WHERE (f.other_basis_value_gbp_thousands IS NULL) <> (f.other_basis_agrees IS NULL)
            OR (f.other_basis_value_gbp_thousands IS NOT NULL AND (t.tolerance_times IS NULL
                OR f.other_basis_agrees IS DISTINCT FROM (
                    f.value_gbp_thousands = f.other_basis_value_gbp_thousands
                    OR (f.value_gbp_thousands > 0 AND f.other_basis_value_gbp_thousands > 0
                        AND exp(abs(ln(f.value_gbp_thousands
                            / f.other_basis_value_gbp_thousands))) <= t.tolerance_times))))
        ORDER BY 1
        """
    ).fetchall()
    return [
        CheckResult(
            "witness_consistent",
            not wrong,
            "every flag's other_basis_agrees follows the tolerance shown in "
            f"{AGREEMENT} (NULL only where the other basis has no figure)",
            observed="all consistent"
            if not wrong
            else f"{len(wrong)} inconsistent: " + "; ".join(w for (w,) in wrong[:10]),
        )
    ]


def upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): the chance of k or more confirmations by chance."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def verdict(confirmed: int, witnessed: int, chance: float, alpha: float) -> str:
    """'backed', 'withdrawn' or 'too_few_witnessed' (the test cannot tell with so few)."""
    fewest = math.ceil(math.log(alpha) / math.log(chance))
    if witnessed < fewest:
        return "too_few_witnessed"
    return "backed" if upper_tail(confirmed, witnessed, chance) < alpha else "withdrawn"


def verdicts_follow_the_test(ctx: BuildContext) -> list[CheckResult]:
    """Each rule's verdict, recomputed here from its counts: the SQL's binomial tail and the
    one here must agree, so a verdict never rests on one implementation."""
    rows = ctx.con.execute(
        f"SELECT rule, basis, confirmed, with_witness, unflagged_disagree_pct, alpha, verdict "
        f"FROM {AGREEMENT} ORDER BY rule, basis"
    ).fetchall()
    flagged = ctx.con.execute("SELECT count(*) FROM out.suspect_values").fetchone()[0]
    wrong = [] if rows or not flagged else [f"{flagged} flags but no verdicts"]
    for rule, basis, confirmed, witnessed, disagree_pct, alpha, said in rows:
        if alpha is None or disagree_pct is None or not 0 < disagree_pct < 100:
            wrong.append(f"{rule} ({basis}): no chance rate or test level")
            continue
        expected = verdict(confirmed, witnessed, disagree_pct / 100, alpha)
        if expected != said:
            wrong.append(f"{rule} ({basis}): {said}, the test gives {expected}")
    return [
        CheckResult(
            "verdicts_follow_the_test",
            not wrong,
            "each rule's verdict against the witness follows the binomial test",
            observed=f"{len(rows)} verdicts checked"
            if rows and not wrong
            else "; ".join(wrong) or "no verdicts",
        )
    ]


CALIBRATION_SPEC = TableSpec(
    name=CALIBRATION,
    description="Each suspect-value threshold per rule, parameter and basis, derived from the "
    "whole dataset by the quantile in the rules file, beside the distribution it comes from "
    "and the share of it at or above the threshold.",
    deps=(
        "out.la_spend_trends",
        "core.la_substance_misuse_spend",
        RULES,
        "reference.authority_classes",
    ),
    sql="checks/suspect_rule_calibration.sql",
    primary_key=("rule", "parameter", "basis"),
    checks=(
        TableCheck(
            "thresholds_complete",
            thresholds_complete,
            "every rule parameter has a threshold for every basis",
        ),
    ),
)

AGREEMENT_SPEC = TableSpec(
    name=AGREEMENT,
    description="Each suspect-value rule per basis against the other basis as witness: how "
    "many flags it confirms and contradicts, beside how far apart budget and outturn are for "
    "unflagged figures and the agreement tolerance taken from that spread.",
    deps=(
        "out.suspect_values",
        "out.la_spend_trends",
        "core.la_substance_misuse_spend",
        RULES,
        "reference.authority_classes",
    ),
    sql="checks/suspect_rule_agreement.sql",
    primary_key=("rule", "basis"),
    checks=(
        TableCheck(
            "witness_consistent",
            witness_consistent,
            "every flag's other_basis_agrees follows the tolerance shown",
        ),
        TableCheck(
            "verdicts_follow_the_test",
            verdicts_follow_the_test,
            "each rule's verdict follows the binomial test against the witness",
        ),
    ),
)
