-- out.spend_trends: England net current expenditure by category, £ million, cash and 2024-25
-- prices. The value is the file's ENGLAND row (MHCLG's grossed-up total); where a file has no
-- ENGLAND row (RA 2022-23 copy, RA 2023-24 export) the plain sum of authorities is used, and
-- where no file gives an outturn year the 2020 written answer does (2016-17 to 2018-19);
-- value_source says which. Categories: drugs, alcohol, adults = drugs + alcohol, young_people,
-- all_substance_misuse = adults + young_people (treatment and prevention added from 2016-17).
-- Coverage: of the councils with public health duties (upper tier) in that year's file, how
-- many printed a figure on every line of the category, and which did not. The sum is never
-- grossed up for them.
-- Real terms: 2024-25 prices with the default deflator (reference.gdp_deflator, is_default);
-- the same as real_terms(value, financial_year, '2024-25'). A year the series lacks is NULL
-- (and fails a blocking check); a year whose deflator is a forecast says so.
-- Sums add in a fixed order (ORDER BY), so every build gives the same last bit.
WITH file_lines AS (
    SELECT
        financial_year, fy_start, basis, category,
        sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)
            ORDER BY canonical_line) AS value_k,
        CASE WHEN bool_and(has_england_row) THEN 'england_row'
            WHEN NOT bool_or(has_england_row) THEN 'sum_of_authorities'
            ELSE 'england_row + sum_of_authorities' END AS value_source
    FROM core.england_substance_misuse_spend
    WHERE measure = 'net_current_expenditure' AND category <> 'public_health_total'
    GROUP BY ALL
),
answer_lines AS (
    SELECT financial_year, fy_start, basis, category,
        sum(value_gbp_thousands ORDER BY canonical_line) AS value_k,
        'parliamentary_answer' AS value_source
    FROM raw.parliament__la_substance_misuse_outturn AS a
    WHERE category <> 'all_substance_misuse'
        AND NOT EXISTS (SELECT 1 FROM file_lines AS f
                        WHERE f.financial_year = a.financial_year AND f.basis = a.basis)
    GROUP BY ALL
),
lines AS (
    SELECT * FROM file_lines UNION ALL SELECT * FROM answer_lines
),
categories AS (
    SELECT financial_year, fy_start, basis, category, value_k, value_source FROM lines
    UNION ALL
    -- a sum of categories names every source its lines came from
    SELECT financial_year, fy_start, basis, 'adults', sum(value_k ORDER BY category),
        array_to_string(
            list_sort(list_distinct(flatten(list(string_split(value_source, ' + '))))), ' + ')
    FROM lines WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
    UNION ALL
    SELECT financial_year, fy_start, basis, 'all_substance_misuse',
        sum(value_k ORDER BY category),
        array_to_string(
            list_sort(list_distinct(flatten(list(string_split(value_source, ' + '))))), ' + ')
    FROM lines GROUP BY ALL
),
council_lines AS (
    -- one row per council with public health duties, year, basis and category: whether it
    -- printed a figure on every line of the category
    SELECT c.financial_year, c.basis, c.ecode, any_value(c.la_name) AS la_name, k.category,
        bool_and(c.value_gbp_thousands IS NOT NULL) AS reported
    FROM core.la_substance_misuse_spend AS c
    JOIN (SELECT DISTINCT la_class, has_public_health_duties FROM reference.authority_classes)
        AS cls ON cls.la_class = c.la_class AND cls.has_public_health_duties
    CROSS JOIN (VALUES ('drugs'), ('alcohol'), ('young_people'), ('adults'),
        ('all_substance_misuse')) AS k(category)
    WHERE c.measure = 'net_current_expenditure'
        AND (c.category = k.category
            OR (k.category = 'adults' AND c.category IN ('drugs', 'alcohol'))
            OR k.category = 'all_substance_misuse')
    GROUP BY c.financial_year, c.basis, c.ecode, k.category
),
coverage AS (
    SELECT financial_year, basis, category,
        count(*) AS councils_expected,
        count(*) FILTER (WHERE reported) AS councils_reporting,
        string_agg(la_name, '; ' ORDER BY la_name) FILTER (WHERE NOT reported)
            AS councils_not_reporting
    FROM council_lines GROUP BY ALL
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
    b.financial_year,
    b.fy_start,
    b.basis,
    b.category,
    b.value_k / 1000 AS value_gbp_millions,
    b.value_source,
    (b.value_k - b.base_k) / 1000 AS change_since_2013_14_gbp_millions,
    100 * (b.value_k - b.base_k) / b.base_k AS change_since_2013_14_pct,
    b.peak_year,
    b.financial_year = b.peak_year AS is_peak,
    b.real_k / 1000 AS value_real_gbp_millions,
    (b.real_k - b.base_real_k) / 1000 AS change_since_2013_14_real_gbp_millions,
    100 * (b.real_k - b.base_real_k) / b.base_real_k AS change_since_2013_14_real_pct,
    b.real_peak_year,
    b.financial_year = b.real_peak_year AS is_real_peak,
    b.price_base,
    b.deflator_is_forecast,
    v.councils_expected,
    v.councils_reporting,
    v.councils_not_reporting
FROM based AS b
LEFT JOIN coverage AS v USING (financial_year, basis, category)
ORDER BY b.basis, b.category, b.fy_start
