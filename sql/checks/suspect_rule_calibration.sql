-- checks.suspect_rule_calibration: every suspect-value threshold, per basis, derived from the
-- whole dataset by the quantile kept as data in pipeline/layouts/suspect_value_rules.csv, beside
-- the distribution it comes from (its quantiles, in the threshold's unit) and the share of
-- that distribution at or above the threshold. out.suspect_values reads its thresholds here.
-- Councils with public health duties; each basis on its own, because outturn (four years, far
-- apart) spreads differently around its own median than budgets (eleven years) do.
WITH rules AS (
    SELECT rule, parameter, value FROM reference.suspect_value_rules
),
councils AS (
    SELECT DISTINCT la_class FROM reference.authority_classes WHERE has_public_health_duties
),
cat AS (
    SELECT t.ecode, t.basis, t.fy_start, t.category, t.value_gbp_thousands AS v
    FROM out.la_spend_trends AS t
    WHERE t.category IN ('drugs', 'alcohol', 'young_people') AND t.value_gbp_thousands IS NOT NULL
        AND t.la_class IN (SELECT la_class FROM councils)
),
own AS (
    -- each figure against the median of the council's other years, same basis and category
    SELECT a.ecode, a.basis, a.category, a.fy_start, any_value(a.v) AS v,
        median(b.v) AS other_median, count(b.v) AS other_years
    FROM cat AS a JOIN cat AS b
        ON b.ecode = a.ecode AND b.basis = a.basis AND b.category = a.category
        AND b.fy_start <> a.fy_start
    GROUP BY a.ecode, a.basis, a.category, a.fy_start
),
min_years AS (
    SELECT value AS n FROM rules WHERE rule = 'far_from_own_median' AND parameter = 'min_other_years'
),
-- how far a figure is from its own median, in times either way: exp(|ln(v / median)|)
spread AS (
    SELECT basis, exp(abs(ln(v / other_median))) AS x
    FROM own WHERE v > 0 AND other_median > 0 AND other_years >= (SELECT n FROM min_years)
),
lines AS (
    SELECT c.ecode, c.basis, c.canonical_line, c.fy_start, c.value_gbp_thousands AS v,
        lag(c.value_gbp_thousands) OVER w AS prev_v, lag(c.fy_start) OVER w AS prev_y
    FROM core.la_substance_misuse_spend AS c
    WHERE c.measure = 'net_current_expenditure' AND c.value_gbp_thousands IS NOT NULL
        AND c.la_class IN (SELECT la_class FROM councils)
    WINDOW w AS (PARTITION BY c.ecode, c.basis, c.canonical_line ORDER BY c.fy_start)
),
runs AS (
    -- runs of two or more consecutive years with the same non-zero figure on a line
    SELECT basis, count(*)::DOUBLE AS x
    FROM (SELECT *, sum(CASE WHEN v = prev_v AND fy_start = prev_y + 1 THEN 0 ELSE 1 END)
            OVER (PARTITION BY ecode, basis, canonical_line ORDER BY fy_start) AS run_id
          FROM lines)
    WHERE v <> 0
    GROUP BY ecode, basis, canonical_line, run_id
    HAVING count(*) >= 2
),
-- each parameter's distribution: (rule, parameter, basis, x), one row per observation
dist AS (
    SELECT 'far_from_own_median' AS rule, 'quantile' AS parameter, basis, x,
        'times from own median' AS unit FROM spread
    UNION ALL
    SELECT 'swapped_lines', 'far_quantile', basis, x, 'times from own median' FROM spread
    UNION ALL
    SELECT 'swapped_lines', 'match_quantile', basis, x, 'times from own median' FROM spread
    UNION ALL
    SELECT 'far_from_own_median', 'min_difference_quantile', basis, v, 'gbp_thousands'
    FROM cat WHERE v > 0
    UNION ALL
    SELECT 'far_from_own_median', 'min_other_years', basis, other_years::DOUBLE, 'years'
    FROM own
    UNION ALL
    SELECT 'repeated_exactly', 'quantile', basis, x, 'years' FROM runs
    UNION ALL
    SELECT 'zero_between_large', 'min_neighbour_quantile', basis, v, 'gbp_thousands'
    FROM lines WHERE v > 0
),
described AS (
    SELECT d.rule, d.parameter, d.basis, any_value(d.unit) AS unit, count(*) AS observations,
        quantile_cont(d.x, [0.5, 0.75, 0.9, 0.95, 0.98, 0.99]) AS q, max(d.x) AS max_x,
        any_value(r.value) AS value,
        -- the quantile itself, where the parameter is one (a count is stated, not derived)
        CASE WHEN d.parameter LIKE '%quantile' THEN any_value(r.value) END AS quantile,
        list_sort(list(d.x)) AS xs
    FROM dist AS d JOIN rules AS r USING (rule, parameter)
    GROUP BY d.rule, d.parameter, d.basis
),
interpolated AS (
    -- the quantile as quantile_cont computes it (linear between the two nearest
    -- observations), written out because the quantile is data, not a constant
    SELECT *, CASE
            WHEN rule = 'repeated_exactly' THEN NULL  -- a run length, computed below
            WHEN quantile IS NOT NULL THEN
                xs[floor(quantile * (observations - 1))::BIGINT + 1]
                + (quantile * (observations - 1) - floor(quantile * (observations - 1)))
                * (xs[least(floor(quantile * (observations - 1))::BIGINT + 2, observations)]
                    - xs[floor(quantile * (observations - 1))::BIGINT + 1])
            ELSE value
        END AS threshold_raw
    FROM described
),
run_threshold AS (
    -- the shortest run length that at most (1 - quantile) of the basis's runs reach (2 for a
    -- basis with no runs at all: there is nothing to flag)
    SELECT r.basis, min(k.len) AS threshold
    FROM (SELECT DISTINCT basis FROM lines) AS r
    CROSS JOIN (SELECT value AS q FROM rules WHERE rule = 'repeated_exactly'
        AND parameter = 'quantile') AS p
    CROSS JOIN (SELECT unnest(range(2, 100))::DOUBLE AS len) AS k
    WHERE (SELECT count(*) FROM runs AS x WHERE x.basis = r.basis AND x.x >= k.len)
        <= (1 - p.q) * (SELECT count(*) FROM runs AS x WHERE x.basis = r.basis)
    GROUP BY r.basis
)
SELECT k.rule, k.parameter, k.basis,
    CASE WHEN k.parameter LIKE '%quantile' THEN k.value END AS quantile,
    coalesce(t.threshold, d.threshold_raw) AS threshold, d.unit,
    coalesce(d.observations, 0) AS observations,
    d.q[1] AS p50, d.q[2] AS p75, d.q[3] AS p90, d.q[4] AS p95, d.q[5] AS p98, d.q[6] AS p99,
    d.max_x AS max,
    100.0 * (SELECT count(*) FROM dist AS x WHERE x.rule = k.rule AND x.parameter = k.parameter
        AND x.basis = k.basis AND x.x >= coalesce(t.threshold, d.threshold_raw))
        / d.observations AS share_at_or_above_pct
FROM (
    -- every rule parameter for every basis with figures: a row even where the distribution is
    -- empty, so that a missing threshold shows (and fails the table's check)
    SELECT r.rule, r.parameter, r.value, b.basis
    FROM rules AS r CROSS JOIN (SELECT DISTINCT basis FROM lines) AS b
    WHERE r.rule NOT IN ('other_basis_agrees', 'witness_test')  -- the witness's, not rules
) AS k
LEFT JOIN interpolated AS d USING (rule, parameter, basis)
LEFT JOIN run_threshold AS t ON k.rule = 'repeated_exactly' AND t.basis = k.basis
ORDER BY k.rule, k.parameter, k.basis
