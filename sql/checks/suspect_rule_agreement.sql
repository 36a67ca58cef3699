-- checks.suspect_rule_agreement: each suspect-value rule, per basis, against an independent
-- witness, the council's figure of the other basis (budget against outturn) for the same year
-- and line(s); 2013-14, 2022-23 and 2023-24 hold both. A flagged figure whose other basis
-- disagrees confirms the doubt; one whose other basis agrees contradicts it. Beside each rule:
-- how far apart budget and outturn are for figures no rule flags (the spread the agreement
-- tolerance comes from, and the tolerance itself) and how many of those unflagged figures are
-- as far from their other basis as the rule's typical flagged figure.
-- The pairs and the tolerance are computed as out.suspect_values computes them; the table's
-- check holds every flag's other_basis_agrees to this table's tolerance.
WITH councils AS (
    SELECT DISTINCT la_class FROM reference.authority_classes WHERE has_public_health_duties
),
figures AS (
    SELECT 'category' AS level, ecode, financial_year, basis, category AS part,
        value_gbp_thousands AS v
    FROM out.la_spend_trends
    WHERE category IN ('drugs', 'alcohol', 'young_people') AND value_gbp_thousands IS NOT NULL
        AND la_class IN (SELECT la_class FROM councils)
    UNION ALL
    SELECT 'line', ecode, financial_year, basis, canonical_line, value_gbp_thousands
    FROM core.la_substance_misuse_spend
    WHERE measure = 'net_current_expenditure' AND value_gbp_thousands IS NOT NULL
        AND la_class IN (SELECT la_class FROM councils)
),
pairs AS (
    SELECT b.level, b.ecode, b.financial_year, b.part, b.v AS budget, o.v AS outturn,
        EXISTS (SELECT 1 FROM out.suspect_values AS f WHERE f.ecode = b.ecode
            AND f.financial_year = b.financial_year
            AND (f.category = b.part OR f.canonical_line = b.part
                OR list_contains(string_split(f.canonical_line, '+'), b.part))) AS any_flag
    FROM figures AS b JOIN figures AS o ON o.level = b.level AND o.ecode = b.ecode
        AND o.financial_year = b.financial_year AND o.part = b.part
    WHERE b.basis = 'budget' AND o.basis = 'outturn'
),
gaps AS (
    -- how far apart, in times either way; a zero against a non-zero is infinitely far
    SELECT *, CASE
            WHEN budget = outturn THEN 1.0
            WHEN budget > 0 AND outturn > 0 THEN exp(abs(ln(budget / outturn)))
            ELSE 'infinity'::DOUBLE END AS times
    FROM pairs
),
unflagged AS (
    SELECT level, count(*) AS pairs,
        count(*) FILTER (WHERE budget > 0 AND outturn > 0) AS positive_pairs,
        list_sort(list(times) FILTER (WHERE budget > 0 AND outturn > 0)) AS xs,
        quantile_cont(times, [0.5, 0.75, 0.9, 0.99])
            FILTER (WHERE budget > 0 AND outturn > 0) AS q
    FROM gaps WHERE NOT any_flag GROUP BY level
),
tolerance AS (
    -- the 'quantile' of the times apart over unflagged positive pairs, interpolated as
    -- quantile_cont does
    SELECT u.*, u.xs[lo + 1] + (pos - lo) * (u.xs[least(lo + 2, u.positive_pairs)]
        - u.xs[lo + 1]) AS tolerance_times
    FROM (
        SELECT *, floor(pos)::BIGINT AS lo
        FROM (SELECT *, (SELECT value FROM reference.suspect_value_rules
                WHERE rule = 'other_basis_agrees' AND parameter = 'quantile')
                * (positive_pairs - 1) AS pos
            FROM unflagged)
    ) AS u
),
flags AS (
    SELECT rule, basis,
        CASE WHEN rule IN ('far_from_own_median', 'swapped_lines') THEN 'category'
            ELSE 'line' END AS level,
        value_gbp_thousands AS v, other_basis_value_gbp_thousands AS o, other_basis_agrees,
        CASE
            WHEN other_basis_value_gbp_thousands IS NULL THEN NULL
            WHEN value_gbp_thousands = other_basis_value_gbp_thousands THEN 1.0
            WHEN value_gbp_thousands > 0 AND other_basis_value_gbp_thousands > 0
                THEN exp(abs(ln(value_gbp_thousands / other_basis_value_gbp_thousands)))
            ELSE 'infinity'::DOUBLE END AS times
    FROM out.suspect_values
),
per_rule AS (
    SELECT rule, basis, level, count(*) AS flagged, count(o) AS with_witness,
        count(*) FILTER (WHERE NOT other_basis_agrees) AS confirmed,
        count(*) FILTER (WHERE other_basis_agrees) AS contradicted,
        -- the middle flagged figure's distance from its other basis (a zero against a figure
        -- is infinitely far, so the lower middle is taken, never an average with infinity)
        quantile_disc(times, 0.5) AS median_times
    FROM flags GROUP BY rule, basis, level
),
measured AS (
    SELECT r.rule, r.basis, r.level, r.flagged, r.with_witness, r.confirmed, r.contradicted,
        CASE WHEN r.with_witness > 0 THEN 100.0 * r.confirmed / r.with_witness END
            AS confirmed_pct,
        r.median_times AS median_flagged_times,
        t.pairs AS unflagged_pairs,
        100.0 * (SELECT count(*) FROM gaps AS g WHERE g.level = r.level AND NOT g.any_flag
            AND g.times > t.tolerance_times) / t.pairs AS unflagged_disagree_pct,
        CASE WHEN r.median_times IS NOT NULL THEN
            100.0 * (SELECT count(*) FROM gaps AS g WHERE g.level = r.level AND NOT g.any_flag
                AND g.times >= r.median_times) / t.pairs END AS unflagged_as_far_pct,
        t.q[1] AS unflagged_p50_times, t.q[2] AS unflagged_p75_times,
        t.q[3] AS unflagged_p90_times, t.q[4] AS unflagged_p99_times,
        t.tolerance_times,
        (SELECT value FROM reference.suspect_value_rules
            WHERE rule = 'witness_test' AND parameter = 'alpha') AS alpha
    FROM per_rule AS r
    LEFT JOIN tolerance AS t USING (level)
),
tested AS (
    -- the chance of at least `confirmed` confirmations in `with_witness` tries, were each
    -- confirmed only as often as unflagged figures disagree (binomial upper tail), and the
    -- fewest witnessed flags with which a rule confirmed every time could pass the test
    SELECT m.*, m.unflagged_disagree_pct / 100 AS chance,
        (SELECT sum(exp(lgamma(m.with_witness + 1) - lgamma(i + 1)
                - lgamma(m.with_witness - i + 1)
                + i * ln(m.unflagged_disagree_pct / 100)
                + (m.with_witness - i) * ln(1 - m.unflagged_disagree_pct / 100)))
            FROM range(m.confirmed, m.with_witness + 1) AS k(i)) AS p_value,
        ceil(ln(m.alpha) / ln(m.unflagged_disagree_pct / 100))::BIGINT AS min_witnessed
    FROM measured AS m
)
SELECT rule, basis, level, flagged, with_witness, confirmed, contradicted, confirmed_pct,
    median_flagged_times, unflagged_pairs, unflagged_disagree_pct, unflagged_as_far_pct,
    unflagged_p50_times, unflagged_p75_times, unflagged_p90_times, unflagged_p99_times,
    tolerance_times, alpha, coalesce(p_value, 1.0) AS p_value, min_witnessed,
    CASE WHEN with_witness < min_witnessed THEN 'too_few_witnessed'
        WHEN coalesce(p_value, 1.0) < alpha THEN 'backed'
        ELSE 'withdrawn' END AS verdict
FROM tested
ORDER BY rule, basis
