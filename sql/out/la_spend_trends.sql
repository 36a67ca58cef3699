-- out.la_spend_trends: net current expenditure per council, year, basis and category, £ thousand.
-- first_year/last_year: the span of years (of that basis) in which the council appears, so a
-- series that starts or stops at a reorganisation says so rather than showing a fall to zero.
-- Real terms: 2024-25 prices with the default deflator, as in out.spend_trends.
-- Sums add in a fixed order (ORDER BY), so every build gives the same last bit.
WITH lines AS (
    SELECT financial_year, fy_start, basis, ecode, ons_code, la_name, la_class, category,
        sum(value_gbp_thousands ORDER BY canonical_line) AS value_k
    FROM core.la_substance_misuse_spend
    WHERE measure = 'net_current_expenditure'
    GROUP BY ALL
),
categories AS (
    SELECT * FROM lines
    UNION ALL
    SELECT financial_year, fy_start, basis, ecode, ons_code, la_name, la_class, 'adults',
        sum(value_k ORDER BY category)
    FROM lines WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
    UNION ALL
    SELECT financial_year, fy_start, basis, ecode, ons_code, la_name, la_class,
        'all_substance_misuse', sum(value_k ORDER BY category)
    FROM lines GROUP BY ALL
),
prices AS (
    SELECT financial_year, index_2024_25_eq_100, is_forecast,
        '2024-25 prices (' || series || ')' AS price_base
    FROM reference.gdp_deflator WHERE is_default
),
spans AS (
    SELECT c.*,
        c.value_k * 100 / p.index_2024_25_eq_100 AS real_k,
        p.price_base, p.is_forecast AS deflator_is_forecast,
        min(c.financial_year) OVER w AS first_year,
        max(c.financial_year) OVER w AS last_year,
        arg_min(c.value_k, c.fy_start) OVER w AS first_value_k,
        arg_min(c.value_k * 100 / p.index_2024_25_eq_100, c.fy_start) OVER w AS first_real_k
    FROM categories AS c LEFT JOIN prices AS p USING (financial_year)
    WINDOW w AS (PARTITION BY c.basis, c.ecode, c.category)
)
SELECT
    financial_year, fy_start, basis, ecode, ons_code, la_name, la_class, category,
    value_k AS value_gbp_thousands,
    first_year,
    last_year,
    value_k - first_value_k AS change_since_first_year_gbp_thousands,
    real_k AS value_real_gbp_thousands,
    real_k - first_real_k AS change_since_first_year_real_gbp_thousands,
    price_base,
    deflator_is_forecast
FROM spans
ORDER BY basis, ecode, category, fy_start
