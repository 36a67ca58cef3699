-- out.treatment_trends: people in treatment per year: adults by substance group (NDTMS), and
-- young people on each of their two bases (never mixed). Change since 2013-14 (where that year
-- exists in the series) and since the series' peak.
WITH series AS (
    SELECT financial_year, fy_start, 'adults' AS cohort, substance_group, 'ndtms' AS basis,
        people, source, is_derived
    FROM core.adults_in_treatment
    WHERE substance_group <> 'entering_treatment'
    UNION ALL
    SELECT financial_year, fy_start, 'young_people', 'all', basis, people,
        'ndtms_annual_report', is_derived
    FROM core.young_people_in_treatment
),
windowed AS (
    SELECT *,
        max(people) FILTER (WHERE fy_start = 2013) OVER w AS base_people,
        arg_max(financial_year, people) OVER w AS peak_year,
        max(people) OVER w AS peak_people
    FROM series
    WINDOW w AS (PARTITION BY cohort, substance_group, basis)
)
SELECT
    financial_year, fy_start, cohort, substance_group, basis, people, source, is_derived,
    people - base_people AS change_since_2013_14_people,
    100.0 * (people - base_people) / base_people AS change_since_2013_14_pct,
    peak_year,
    financial_year = peak_year AS is_peak,
    100.0 * (people - peak_people) / peak_people AS change_since_peak_pct
FROM windowed
ORDER BY cohort, substance_group, basis, fy_start
