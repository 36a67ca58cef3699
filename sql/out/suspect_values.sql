-- out.suspect_values: figures that are implausible against the council's own series or its
-- other lines, by the rules in pipeline/layouts/suspect_value_rules.csv (each documented with why).
-- Each threshold is derived per basis from the whole dataset in checks.suspect_rule_calibration
-- (the rules file holds the quantile, never the threshold). Councils with public health
-- duties, both bases. A flagged value stays in core unaltered; comparisons
-- (out.la_disinvestment) never start from one.
-- The witness: where the council has a figure of the other basis for the same year and
-- line(s), it is given beside the flag with whether the two agree, by a tolerance taken from
-- how far apart budget and outturn are for figures no rule flags (checks.suspect_rule_agreement
-- shows that spread and what the witness says of each rule).
WITH p AS (
    -- one row per basis: every threshold the rules use (NULL only if the calibration has none,
    -- which the calibration's own check refuses)
    SELECT basis,
        max(threshold) FILTER (WHERE rule = 'far_from_own_median' AND parameter = 'quantile')
            AS far_ratio,
        max(threshold) FILTER (WHERE rule = 'far_from_own_median'
            AND parameter = 'min_difference_quantile') AS far_min_gap,
        max(threshold) FILTER (WHERE rule = 'far_from_own_median'
            AND parameter = 'min_other_years') AS far_min_years,
        max(threshold) FILTER (WHERE rule = 'swapped_lines' AND parameter = 'far_quantile')
            AS swap_far,
        max(threshold) FILTER (WHERE rule = 'swapped_lines' AND parameter = 'match_quantile')
            AS swap_match,
        max(threshold) FILTER (WHERE rule = 'repeated_exactly' AND parameter = 'quantile')
            AS repeat_years,
        max(threshold) FILTER (WHERE rule = 'zero_between_large'
            AND parameter = 'min_neighbour_quantile') AS zero_min
    FROM checks.suspect_rule_calibration
    GROUP BY basis
),
councils AS (
    SELECT DISTINCT la_class FROM reference.authority_classes WHERE has_public_health_duties
),
cat AS (
    -- category series per council (drugs, alcohol, young people span every year's lines)
    SELECT t.ecode, t.ons_code, t.la_name, t.basis, t.financial_year, t.fy_start, t.category,
        t.value_gbp_thousands AS v
    FROM out.la_spend_trends AS t
    WHERE t.category IN ('drugs', 'alcohol', 'young_people') AND t.value_gbp_thousands IS NOT NULL
        AND t.la_class IN (SELECT la_class FROM councils)
),
others AS (
    -- the median of the council's other years, same basis and category
    SELECT a.ecode, a.basis, a.category, a.fy_start,
        median(b.v) AS other_median, count(b.v) AS other_years
    FROM cat AS a JOIN cat AS b
        ON b.ecode = a.ecode AND b.basis = a.basis AND b.category = a.category
        AND b.fy_start <> a.fy_start
    GROUP BY ALL
),
scored AS (
    SELECT c.*, o.other_median, o.other_years,
        CASE WHEN o.other_median > 0 AND c.v > 0 THEN c.v / o.other_median END AS ratio
    FROM cat AS c JOIN others AS o USING (ecode, basis, category, fy_start)
),
lines_of AS (
    SELECT financial_year, basis, ecode, category,
        string_agg(DISTINCT canonical_line, '+' ORDER BY canonical_line) AS lines
    FROM core.la_substance_misuse_spend GROUP BY ALL
),
far AS (
    SELECT s.ecode, s.ons_code, s.la_name, s.financial_year, s.fy_start, s.basis, s.category,
        s.v, 'far_from_own_median' AS rule,
        CASE WHEN s.v = 0
            THEN printf('£0 where the median of its other %d years is £%,.0fk', s.other_years,
                s.other_median)
            ELSE printf('£%,.0fk is %.1f times the median of its other %d years (£%,.0fk)', s.v,
                s.v / s.other_median, s.other_years, s.other_median) END AS reason
    FROM scored AS s JOIN p USING (basis)
    WHERE s.other_years >= p.far_min_years AND s.other_median > 0
        AND abs(s.v - s.other_median) >= p.far_min_gap
        AND (s.v >= p.far_ratio * s.other_median OR s.v <= s.other_median / p.far_ratio)
),
swapped AS (
    SELECT a.ecode, a.ons_code, a.la_name, a.financial_year, a.fy_start, a.basis, a.category,
        a.v, 'swapped_lines' AS rule,
        printf('£%,.0fk on %s is %.1f times its own median (£%,.0fk) but near the %s median '
            || '(£%,.0fk), while %s is £%,.0fk against its median of £%,.0fk: the lines '
            || 'look swapped', a.v, a.category, a.v / a.other_median, a.other_median,
            b.category, b.other_median, b.category, b.v, b.other_median) AS reason
    FROM scored AS a
    JOIN scored AS b ON b.ecode = a.ecode AND b.basis = a.basis AND b.fy_start = a.fy_start
        AND b.category <> a.category
    JOIN p ON p.basis = a.basis
    WHERE a.other_median > 0 AND b.other_median > 0
        AND a.v >= p.swap_far * a.other_median AND b.v <= b.other_median / p.swap_far
        AND a.v BETWEEN b.other_median / p.swap_match AND b.other_median * p.swap_match
),
swapped_pairs AS (
    -- both sides of a swap are flagged
    SELECT * FROM swapped
    UNION ALL
    SELECT b.ecode, b.ons_code, b.la_name, b.financial_year, b.fy_start, b.basis, b.category,
        b.v, 'swapped_lines',
        printf('£%,.0fk on %s against its median of £%,.0fk, while %s holds £%,.0fk, near '
            || 'the %s median: the lines look swapped', b.v, b.category, b.other_median,
            s.category, s.v, b.category)
    FROM swapped AS s
    JOIN scored AS b ON b.ecode = s.ecode AND b.basis = s.basis AND b.fy_start = s.fy_start
    JOIN scored AS a ON a.ecode = s.ecode AND a.basis = s.basis AND a.fy_start = s.fy_start
        AND a.category = s.category
    JOIN p ON p.basis = s.basis
    WHERE b.category <> s.category AND b.other_median > 0
        AND b.v <= b.other_median / p.swap_far
        AND s.v BETWEEN b.other_median / p.swap_match AND b.other_median * p.swap_match
),
line_series AS (
    SELECT c.ecode, c.ons_code, c.la_name, c.financial_year, c.fy_start, c.basis, c.category,
        c.canonical_line, c.value_gbp_thousands AS v,
        lag(c.value_gbp_thousands) OVER w AS prev_v, lag(c.fy_start) OVER w AS prev_y,
        lead(c.value_gbp_thousands) OVER w AS next_v, lead(c.fy_start) OVER w AS next_y
    FROM core.la_substance_misuse_spend AS c
    WHERE c.measure = 'net_current_expenditure' AND c.value_gbp_thousands IS NOT NULL
        AND c.la_class IN (SELECT la_class FROM councils)
    WINDOW w AS (PARTITION BY c.ecode, c.basis, c.canonical_line ORDER BY c.fy_start)
),
runs AS (
    -- runs of consecutive years with the same non-zero figure on a line
    SELECT *, sum(starts) OVER (PARTITION BY ecode, basis, canonical_line ORDER BY fy_start)
        AS run_id
    FROM (SELECT *, CASE WHEN v = prev_v AND fy_start = prev_y + 1 THEN 0 ELSE 1 END AS starts
          FROM line_series)
),
repeated AS (
    SELECT r.ecode, r.ons_code, r.la_name, r.financial_year, r.fy_start, r.basis, r.category,
        r.v, r.canonical_line, 'repeated_exactly' AS rule,
        printf('£%,.0fk on %s in each of the %d years %s to %s', r.v, r.canonical_line,
            count(*) OVER g, min(r.financial_year) OVER g, max(r.financial_year) OVER g)
            AS reason,
        count(*) OVER g AS run_years
    FROM runs AS r
    WHERE r.v <> 0
    WINDOW g AS (PARTITION BY r.ecode, r.basis, r.canonical_line, r.run_id)
),
zero AS (
    SELECT l.ecode, l.ons_code, l.la_name, l.financial_year, l.fy_start, l.basis, l.category,
        l.v, l.canonical_line, 'zero_between_large' AS rule,
        printf('£0 on %s between £%,.0fk (%d-%02d) and £%,.0fk (%d-%02d)', l.canonical_line,
            l.prev_v, l.prev_y, (l.prev_y + 1) % 100, l.next_v, l.next_y,
            (l.next_y + 1) % 100) AS reason
    FROM line_series AS l JOIN p USING (basis)
    WHERE l.v = 0 AND l.prev_y = l.fy_start - 1 AND l.next_y = l.fy_start + 1
        AND l.prev_v >= p.zero_min AND l.next_v >= p.zero_min
),
flags AS (
    SELECT f.ecode, f.ons_code, f.la_name, f.financial_year, f.fy_start, f.basis, f.category,
        k.lines AS canonical_line, f.v, f.rule, f.reason
    FROM (SELECT * FROM far UNION ALL SELECT * FROM swapped_pairs) AS f
    JOIN lines_of AS k USING (financial_year, basis, ecode, category)
    UNION ALL
    SELECT ecode, ons_code, la_name, financial_year, fy_start, basis, category, canonical_line,
        v, rule, reason
    FROM repeated JOIN p USING (basis) WHERE run_years >= p.repeat_years
    UNION ALL
    SELECT ecode, ons_code, la_name, financial_year, fy_start, basis, category, canonical_line,
        v, rule, reason
    FROM zero
),
flagged AS (
    SELECT DISTINCT ON (f.ecode, f.financial_year, f.basis, f.category, f.canonical_line, f.rule)
        f.ons_code, f.ecode, f.la_name, s.area_code, f.financial_year, f.fy_start, f.basis,
        f.category, f.canonical_line, f.v AS value_gbp_thousands, f.rule, f.reason,
        -- far and swapped read a category's total, the others one line
        CASE WHEN f.rule IN ('far_from_own_median', 'swapped_lines') THEN 'category'
            ELSE 'line' END AS level
    FROM flags AS f
    LEFT JOIN reference.stable_areas AS s USING (ecode)
),
figures AS (
    -- every figure the witness can read, at both levels: a category total (as the rules read
    -- it) and a single line
    SELECT 'category' AS level, ecode, financial_year, basis, category AS part, v FROM cat
    UNION ALL
    SELECT 'line', ecode, financial_year, basis, canonical_line, v FROM line_series
),
pairs AS (
    -- a budget and an outturn for the same council, year and category or line
    SELECT b.level, b.ecode, b.financial_year, b.part, b.v AS budget, o.v AS outturn,
        EXISTS (SELECT 1 FROM flags AS f WHERE f.ecode = b.ecode
            AND f.financial_year = b.financial_year
            AND (f.category = b.part OR f.canonical_line = b.part
                OR list_contains(string_split(f.canonical_line, '+'), b.part))) AS any_flag
    FROM figures AS b JOIN figures AS o ON o.level = b.level AND o.ecode = b.ecode
        AND o.financial_year = b.financial_year AND o.part = b.part
    WHERE b.basis = 'budget' AND o.basis = 'outturn'
),
tolerance AS (
    -- how far apart budget and outturn are for 'quantile' of the figures no rule flags (both
    -- positive), in times either way, per level; interpolated as quantile_cont does, written
    -- out because the quantile is data, not a constant
    SELECT level, xs[lo + 1] + (pos - lo) * (xs[least(lo + 2, n)] - xs[lo + 1]) AS ratio
    FROM (
        SELECT level, xs, n, pos, floor(pos)::BIGINT AS lo
        FROM (
            SELECT level, list_sort(list(exp(abs(ln(budget / outturn))))) AS xs, count(*) AS n,
                (SELECT value FROM reference.suspect_value_rules WHERE rule = 'other_basis_agrees'
                    AND parameter = 'quantile') * (count(*) - 1) AS pos
            FROM pairs WHERE NOT any_flag AND budget > 0 AND outturn > 0
            GROUP BY level
        )
    )
),
witnessed AS (
    SELECT f.*, (
            SELECT x.v FROM figures AS x
            WHERE x.level = f.level AND x.ecode = f.ecode
                AND x.financial_year = f.financial_year AND x.basis <> f.basis
                AND x.part = CASE WHEN f.level = 'category' THEN f.category
                    ELSE f.canonical_line END
        ) AS other_v
    FROM flagged AS f
)
SELECT w.ons_code, w.ecode, w.la_name, w.area_code, w.financial_year, w.fy_start, w.basis,
    w.category, w.canonical_line, w.value_gbp_thousands, w.rule, w.reason,
    w.other_v AS other_basis_value_gbp_thousands,
    CASE
        WHEN w.other_v IS NULL THEN NULL
        WHEN w.other_v = w.value_gbp_thousands THEN true
        WHEN w.other_v > 0 AND w.value_gbp_thousands > 0
            THEN exp(abs(ln(w.value_gbp_thousands / w.other_v))) <= t.ratio
        ELSE false  -- a zero (or a negative) against a figure of another sign
    END AS other_basis_agrees
FROM witnessed AS w
LEFT JOIN tolerance AS t USING (level)
ORDER BY w.rule, w.basis, w.ecode, w.fy_start, w.category, w.canonical_line
