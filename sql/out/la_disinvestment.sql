-- out.la_disinvestment: per council, basis and category, spend in the first and the latest
-- year it printed a figure, the change in £ thousand and %, the change since its own peak, a
-- rank among comparable councils and a flag when the fall exceeds the stated threshold.
-- A council abolished or created by a reorganisation (reference.reorganisations) is compared
-- only within its own years and is marked; it is never compared across the break, and it is
-- not ranked (its span does not run from the first year of the series to the latest).
-- Real terms: the same comparisons in 2024-25 prices (out.la_spend_trends' real columns);
-- the rank stays on the cash change, as published analyses of this data rank.
WITH figures AS (
    SELECT * FROM out.la_spend_trends WHERE value_gbp_thousands IS NOT NULL
),
series_span AS (
    SELECT basis, min(fy_start) AS series_first, max(fy_start) AS series_last
    FROM figures GROUP BY basis
),
per_council AS (
    SELECT
        basis, ecode, category,
        arg_max(ons_code, fy_start) AS ons_code,
        arg_max(la_name, fy_start) AS la_name,
        arg_max(la_class, fy_start) AS la_class,
        arg_min(financial_year, fy_start) AS first_year,
        min(fy_start) AS first_fy_start,
        arg_min(value_gbp_thousands, fy_start) AS first_value_gbp_thousands,
        arg_max(financial_year, fy_start) AS latest_year,
        max(fy_start) AS latest_fy_start,
        arg_max(value_gbp_thousands, fy_start) AS latest_value_gbp_thousands,
        max(value_gbp_thousands) AS peak_value_gbp_thousands,
        arg_max(financial_year, value_gbp_thousands) AS peak_year,
        arg_min(value_real_gbp_thousands, fy_start) AS first_value_real_gbp_thousands,
        arg_max(value_real_gbp_thousands, fy_start) AS latest_value_real_gbp_thousands,
        max(value_real_gbp_thousands) AS real_peak_value_gbp_thousands,
        arg_max(financial_year, value_real_gbp_thousands) AS real_peak_year,
        any_value(price_base) AS price_base,
        arg_min(deflator_is_forecast, fy_start) OR arg_max(deflator_is_forecast, fy_start)
            AS deflator_is_forecast,
        count(*) AS years_with_figures
    FROM figures
    GROUP BY basis, ecode, category
),
abolished AS (
    SELECT ons_code, 'abolished from ' || abolished_from || ': ' || note AS reorganisation
    FROM reference.reorganisations
),
successors AS (
    SELECT unnest(string_split(successor_ons_codes, ';')) AS ons_code, abolished_from, name
    FROM reference.reorganisations
),
created AS (
    SELECT ons_code,
        'created ' || min(abolished_from) || ' (successor to '
            || string_agg(name, ' and ' ORDER BY name) || ')' AS reorganisation
    FROM successors GROUP BY ons_code
),
marked AS (
    SELECT c.*,
        coalesce(gone.reorganisation, new.reorganisation) AS reorganisation,
        span.series_first, span.series_last
    FROM per_council c
    JOIN series_span span USING (basis)
    LEFT JOIN abolished gone USING (ons_code)
    LEFT JOIN created new USING (ons_code)
),
changes AS (
    SELECT *,
        reorganisation IS NOT NULL AS is_reorganised,
        latest_value_gbp_thousands - first_value_gbp_thousands AS change_gbp_thousands,
        CASE WHEN first_value_gbp_thousands > 0 THEN
            100 * (latest_value_gbp_thousands - first_value_gbp_thousands)
                / first_value_gbp_thousands END AS change_pct,
        latest_value_gbp_thousands - peak_value_gbp_thousands AS change_since_peak_gbp_thousands,
        CASE WHEN peak_value_gbp_thousands > 0 THEN
            100 * (latest_value_gbp_thousands - peak_value_gbp_thousands)
                / peak_value_gbp_thousands END AS change_since_peak_pct,
        latest_value_real_gbp_thousands - first_value_real_gbp_thousands
            AS change_real_gbp_thousands,
        CASE WHEN first_value_real_gbp_thousands > 0 THEN
            100 * (latest_value_real_gbp_thousands - first_value_real_gbp_thousands)
                / first_value_real_gbp_thousands END AS change_real_pct,
        CASE WHEN real_peak_value_gbp_thousands > 0 THEN
            100 * (latest_value_real_gbp_thousands - real_peak_value_gbp_thousands)
                / real_peak_value_gbp_thousands END AS change_since_real_peak_pct,
        -25.0 AS large_fall_threshold_pct,
        reorganisation IS NULL
            AND first_fy_start = series_first AND latest_fy_start = series_last
            AND first_value_gbp_thousands > 0 AS is_comparable
    FROM marked
)
SELECT
    basis, category, ecode, ons_code, la_name, la_class,
    first_year, first_value_gbp_thousands,
    latest_year, latest_value_gbp_thousands,
    change_gbp_thousands, change_pct,
    peak_year, peak_value_gbp_thousands, change_since_peak_gbp_thousands, change_since_peak_pct,
    years_with_figures,
    first_value_real_gbp_thousands, latest_value_real_gbp_thousands,
    change_real_gbp_thousands, change_real_pct,
    real_peak_year, real_peak_value_gbp_thousands, change_since_real_peak_pct,
    price_base, deflator_is_forecast,
    is_comparable,
    CASE WHEN is_comparable THEN
        rank() OVER (PARTITION BY basis, category, is_comparable ORDER BY change_pct) END
        AS fall_rank,
    large_fall_threshold_pct,
    coalesce(change_pct <= large_fall_threshold_pct, false) AS is_large_fall,
    is_reorganised,
    reorganisation
FROM changes
ORDER BY basis, category, fall_rank NULLS LAST, ecode
