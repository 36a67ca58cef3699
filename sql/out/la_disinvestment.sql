-- out.la_disinvestment: per stable area (out.area_spend_trends: councils, reorganised ones
-- included as their exact unions), basis and category, the spend at the baseline and in the
-- latest year with a figure, the change in £ thousand and %, cash and 2024-25 prices, the
-- change since the area's own peak, a rank among comparable areas and a large-fall flag.
-- Never across a suspect figure (out.area_suspects, from out.suspect_values): the baseline is
-- the first year whose figure no rule flags, and a moved baseline says so (comparability_note)
-- and is not ranked with areas compared from the series' first year; a suspect latest year is
-- not ranked either.
-- Peaks are taken over years no rule flags.
WITH figures AS (
    SELECT t.*, a.suspect_rules, a.suspect_rules IS NOT NULL AS is_suspect
    FROM out.area_spend_trends AS t
    LEFT JOIN out.area_suspects AS a USING (area_code, basis, financial_year, category)
    WHERE t.area_kind = 'council' AND t.value_gbp_thousands IS NOT NULL
),
series_span AS (
    SELECT basis, min(fy_start) AS series_first, max(fy_start) AS series_last
    FROM out.area_spend_trends GROUP BY basis
),
per_area AS (
    SELECT
        basis, area_code, category,
        any_value(area_name) AS area_name,
        any_value(area_class) AS area_class,
        arg_max(member_codes, fy_start) AS latest_member_codes,
        min(fy_start) AS first_with_figure,
        min(fy_start) FILTER (WHERE NOT is_suspect) AS baseline_fy_start,
        arg_min(financial_year, fy_start) FILTER (WHERE NOT is_suspect) AS baseline_year,
        arg_min(value_gbp_thousands, fy_start) FILTER (WHERE NOT is_suspect)
            AS baseline_value_gbp_thousands,
        arg_min(value_real_gbp_thousands, fy_start) FILTER (WHERE NOT is_suspect)
            AS baseline_value_real_gbp_thousands,
        arg_min(is_complete, fy_start) FILTER (WHERE NOT is_suspect) AS baseline_complete,
        string_agg(financial_year || ' (' || suspect_rules || ')', '; ' ORDER BY fy_start)
            FILTER (WHERE is_suspect) AS suspect_years,
        arg_max(financial_year, fy_start) AS latest_year,
        max(fy_start) AS latest_fy_start,
        arg_max(value_gbp_thousands, fy_start) AS latest_value_gbp_thousands,
        arg_max(value_real_gbp_thousands, fy_start) AS latest_value_real_gbp_thousands,
        arg_max(is_suspect, fy_start) AS latest_is_suspect,
        arg_max(is_complete, fy_start) AS latest_complete,
        max(value_gbp_thousands) FILTER (WHERE NOT is_suspect) AS peak_value_gbp_thousands,
        arg_max(financial_year, value_gbp_thousands) FILTER (WHERE NOT is_suspect) AS peak_year,
        max(value_real_gbp_thousands) FILTER (WHERE NOT is_suspect)
            AS real_peak_value_gbp_thousands,
        arg_max(financial_year, value_real_gbp_thousands) FILTER (WHERE NOT is_suspect)
            AS real_peak_year,
        any_value(price_base) AS price_base,
        arg_max(deflator_is_forecast, fy_start) AS deflator_is_forecast,
        count(*) AS years_with_figures
    FROM figures
    GROUP BY basis, area_code, category
),
reorganised AS (
    SELECT area_code,
        string_agg(DISTINCT rule, ', ' ORDER BY rule) || ': ' || string_agg(la_name || ' ('
            || first_year || ' to ' || last_year || ')', ', ' ORDER BY first_year, la_name)
            AS reorganisation
    FROM reference.stable_areas
    WHERE rule IN ('merged', 'code_change')
    GROUP BY area_code
),
changes AS (
    SELECT c.*, r.reorganisation, span.series_first, span.series_last,
        c.latest_value_gbp_thousands - c.baseline_value_gbp_thousands AS change_gbp_thousands,
        CASE WHEN c.baseline_value_gbp_thousands > 0 THEN
            100 * (c.latest_value_gbp_thousands - c.baseline_value_gbp_thousands)
                / c.baseline_value_gbp_thousands END AS change_pct,
        c.latest_value_real_gbp_thousands - c.baseline_value_real_gbp_thousands
            AS change_real_gbp_thousands,
        CASE WHEN c.baseline_value_real_gbp_thousands > 0 THEN
            100 * (c.latest_value_real_gbp_thousands - c.baseline_value_real_gbp_thousands)
                / c.baseline_value_real_gbp_thousands END AS change_real_pct,
        c.latest_value_gbp_thousands - c.peak_value_gbp_thousands
            AS change_since_peak_gbp_thousands,
        CASE WHEN c.peak_value_gbp_thousands > 0 THEN
            100 * (c.latest_value_gbp_thousands - c.peak_value_gbp_thousands)
                / c.peak_value_gbp_thousands END AS change_since_peak_pct,
        CASE WHEN c.real_peak_value_gbp_thousands > 0 THEN
            100 * (c.latest_value_real_gbp_thousands - c.real_peak_value_gbp_thousands)
                / c.real_peak_value_gbp_thousands END AS change_since_real_peak_pct,
        c.baseline_fy_start IS DISTINCT FROM c.first_with_figure AS baseline_moved
    FROM per_area AS c
    JOIN series_span AS span USING (basis)
    LEFT JOIN reorganised AS r USING (area_code)
),
judged AS (
    SELECT *,
        -25.0 AS large_fall_threshold_pct,
        baseline_fy_start = series_first AND NOT baseline_moved
            AND latest_fy_start = series_last AND NOT latest_is_suspect
            AND baseline_complete AND latest_complete
            AND baseline_value_gbp_thousands > 0 AS is_comparable,
        concat_ws('; ',
            CASE WHEN baseline_moved THEN 'baseline moved from '
                || printf('%d-%02d', first_with_figure, (first_with_figure + 1) % 100)
                || ' to ' || coalesce(baseline_year, 'no year') || ': suspect '
                || suspect_years END,
            CASE WHEN latest_is_suspect THEN 'the latest figure (' || latest_year
                || ') is suspect' END,
            CASE WHEN first_with_figure > series_first THEN 'no figure before '
                || printf('%d-%02d', first_with_figure, (first_with_figure + 1) % 100) END,
            CASE WHEN latest_fy_start < series_last THEN 'no figure after ' || latest_year END,
            CASE WHEN NOT baseline_complete OR NOT latest_complete
                THEN 'a member printed no figure in the baseline or latest year' END,
            CASE WHEN baseline_value_gbp_thousands <= 0 THEN 'baseline is zero or less' END
        ) AS comparability_note
    FROM changes
)
SELECT
    basis, category, area_code, area_name, area_class, latest_member_codes AS member_codes,
    baseline_year AS first_year, baseline_value_gbp_thousands AS first_value_gbp_thousands,
    latest_year, latest_value_gbp_thousands,
    change_gbp_thousands, change_pct,
    peak_year, peak_value_gbp_thousands, change_since_peak_gbp_thousands, change_since_peak_pct,
    years_with_figures,
    baseline_value_real_gbp_thousands AS first_value_real_gbp_thousands,
    latest_value_real_gbp_thousands,
    change_real_gbp_thousands, change_real_pct,
    real_peak_year, real_peak_value_gbp_thousands, change_since_real_peak_pct,
    price_base, deflator_is_forecast,
    baseline_moved,
    suspect_years,
    is_comparable,
    nullif(comparability_note, '') AS comparability_note,
    CASE WHEN is_comparable THEN
        rank() OVER (PARTITION BY basis, category, is_comparable ORDER BY change_pct) END
        AS fall_rank,
    large_fall_threshold_pct,
    coalesce(change_pct <= large_fall_threshold_pct, false) AS is_large_fall,
    reorganisation IS NOT NULL AS is_reorganised,
    reorganisation
FROM judged
ORDER BY basis, category, fall_rank NULLS LAST, area_code
