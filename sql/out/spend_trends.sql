-- out.spend_trends: England net current expenditure by category, cash terms, £ million.
-- The value is the file's ENGLAND row (MHCLG's grossed-up total); where a file has no ENGLAND
-- row the plain sum of authorities is used and value_source says so.
-- Categories: drugs, alcohol, adults = drugs + alcohol, young_people,
-- all_substance_misuse = adults + young_people (treatment and prevention added from 2016-17).
-- Sums add in a fixed order (ORDER BY), so every build gives the same last bit.
WITH lines AS (
    SELECT
        financial_year, fy_start, basis, category,
        sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)
            ORDER BY canonical_line) AS value_k,
        bool_and(has_england_row) AS from_england_row
    FROM core.england_substance_misuse_spend
    WHERE measure = 'net_current_expenditure' AND category <> 'public_health_total'
    GROUP BY ALL
),
categories AS (
    SELECT financial_year, fy_start, basis, category, value_k, from_england_row FROM lines
    UNION ALL
    SELECT financial_year, fy_start, basis, 'adults', sum(value_k ORDER BY category),
        bool_and(from_england_row)
    FROM lines WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
    UNION ALL
    SELECT financial_year, fy_start, basis, 'all_substance_misuse',
        sum(value_k ORDER BY category),
        bool_and(from_england_row)
    FROM lines GROUP BY ALL
),
based AS (
    SELECT
        *,
        max(value_k) FILTER (WHERE fy_start = 2013) OVER w AS base_k,
        arg_max(financial_year, value_k) OVER w AS peak_year
    FROM categories
    WINDOW w AS (PARTITION BY basis, category)
)
SELECT
    financial_year,
    fy_start,
    basis,
    category,
    value_k / 1000 AS value_gbp_millions,
    CASE WHEN from_england_row THEN 'england_row' ELSE 'sum_of_authorities' END AS value_source,
    (value_k - base_k) / 1000 AS change_since_2013_14_gbp_millions,
    100 * (value_k - base_k) / base_k AS change_since_2013_14_pct,
    peak_year,
    financial_year = peak_year AS is_peak
FROM based
ORDER BY basis, category, fy_start
