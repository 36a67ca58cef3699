-- out.la_spend_trends: net current expenditure per council, year, basis and category, £ thousand.
-- first_year/last_year: the span of years (of that basis) in which the council appears, so a
-- series that starts or stops at a reorganisation says so rather than showing a fall to zero.
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
spans AS (
    SELECT *,
        min(financial_year) OVER w AS first_year,
        max(financial_year) OVER w AS last_year,
        arg_min(value_k, fy_start) OVER w AS first_value_k
    FROM categories
    WINDOW w AS (PARTITION BY basis, ecode, category)
)
SELECT
    financial_year, fy_start, basis, ecode, ons_code, la_name, la_class, category,
    value_k AS value_gbp_thousands,
    first_year,
    last_year,
    value_k - first_value_k AS change_since_first_year_gbp_thousands
FROM spans
ORDER BY basis, ecode, category, fy_start
