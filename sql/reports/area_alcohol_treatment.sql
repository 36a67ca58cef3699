-- One council area's adults in alcohol treatment, the estimated number of adults dependent on
-- alcohol and met need (people in treatment as a percentage of dependent drinkers) by
-- financial year, from out.area_alcohol_treatment (UK SDG indicator 3.5.1, ONS from NDTMS and
-- Fingertips; alcohol only: no per-council drug treatment series is held). A union of
-- councils adds the counts and recomputes met need from the sums (met_need_is_recomputed);
-- note says why an area has no figure. The England rows are the file's own England row
-- (raw.ons__sdg_alcohol_treatment), repeated for each area: the chart plots England's met
-- need beside the area's, not its counts. A figure the file prints twice with different values
-- (England's 2015-16 met need) is not used: NULL, and note says so.
-- This is exactly what the area page's alcohol treatment chart plots.
WITH england AS (
    SELECT financial_year, fy_start,
        CAST(any_value(value) FILTER (
            WHERE measure = 'people_in_treatment' AND NOT is_duplicate) AS BIGINT)
            AS people_in_treatment,
        any_value(value) FILTER (
            WHERE measure = 'dependent_drinkers_estimate' AND NOT is_duplicate)
            AS dependent_drinkers_estimate,
        any_value(value) FILTER (WHERE measure = 'met_need_pct' AND NOT is_duplicate)
            AS met_need_pct,
        'the file prints England''s '
            || string_agg(DISTINCT measure, ', ') FILTER (WHERE is_duplicate)
            || ' more than once, with different values: none is used' AS note
    FROM raw.ons__sdg_alcohol_treatment
    WHERE row_kind = 'england'
    GROUP BY ALL
),
areas AS (
    SELECT DISTINCT area_code FROM out.area_alcohol_treatment
    WHERE area_code IN (
        SELECT area_code FROM reference.stable_areas WHERE area_kind = 'council')
)
SELECT * FROM (
    SELECT t.area_code, t.financial_year, t.fy_start, 'area' AS series,
        t.people_in_treatment, t.dependent_drinkers_estimate, t.met_need_pct,
        t.met_need_is_recomputed, t.members_in_file, t.member_codes, t.note
    FROM out.area_alcohol_treatment AS t JOIN areas USING (area_code)
    UNION ALL
    SELECT a.area_code, e.financial_year, e.fy_start, 'england',
        e.people_in_treatment, e.dependent_drinkers_estimate, e.met_need_pct,
        NULL, NULL, NULL, e.note
    FROM areas AS a CROSS JOIN england AS e
)
WHERE TRUE  -- area filter
ORDER BY area_code, series, fy_start
