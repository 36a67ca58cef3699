-- out.spend_trends: England net current expenditure by category, cash terms, £ million.
-- The value is the file's ENGLAND row (MHCLG's grossed-up total); where a file has no ENGLAND
-- row the plain sum of authorities is used and value_source says so.
-- Categories: drugs, alcohol, adults = drugs + alcohol, young_people,
-- all_substance_misuse = adults + young_people (treatment and prevention added from 2016-17).
-- Real terms: 2024-25 prices with the default deflator (reference.gdp_deflator, is_default);
-- the same as real_terms(value, financial_year, '2024-25'). A year the series lacks is NULL
-- (and fails a blocking check); a year whose deflator is a forecast says so.
WITH lines AS (
    SELECT
        financial_year, fy_start, basis, category,
        sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)) AS value_k,
        bool_and(has_england_row) AS from_england_row
    FROM core.england_substance_misuse_spend
    WHERE measure = 'net_current_expenditure' AND category <> 'public_health_total'
    GROUP BY ALL
),
categories AS (
    SELECT financial_year, fy_start, basis, category, value_k, from_england_row FROM lines
    UNION ALL
    SELECT financial_year, fy_start, basis, 'adults', sum(value_k), bool_and(from_england_row)
    FROM lines WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
    UNION ALL
    SELECT financial_year, fy_start, basis, 'all_substance_misuse', sum(value_k),
        bool_and(from_england_row)
    FROM lines GROUP BY ALL
),
prices AS (
    SELECT financial_year, index_2024_25_eq_100, is_forecast,
        '2024-25 prices (' || series || ')' AS price_base
    FROM reference.gdp_deflator WHERE is_default
),
real AS (
    SELECT c.*, c.value_k * 100 / p.index_2024_25_eq_100 AS real_k,
        p.is_forecast AS deflator_is_forecast, p.price_base
    FROM categories AS c LEFT JOIN prices AS p USING (financial_year)
),
based AS (
    SELECT
        *,
        max(value_k) FILTER (WHERE fy_start = 2013) OVER w AS base_k,
        arg_max(financial_year, value_k) OVER w AS peak_year,
        max(real_k) FILTER (WHERE fy_start = 2013) OVER w AS base_real_k,
        arg_max(financial_year, real_k) OVER w AS real_peak_year
    FROM real
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
    financial_year = peak_year AS is_peak,
    real_k / 1000 AS value_real_gbp_millions,
    (real_k - base_real_k) / 1000 AS change_since_2013_14_real_gbp_millions,
    100 * (real_k - base_real_k) / base_real_k AS change_since_2013_14_real_pct,
    real_peak_year,
    financial_year = real_peak_year AS is_real_peak,
    price_base,
    deflator_is_forecast
FROM based
ORDER BY basis, category, fy_start
