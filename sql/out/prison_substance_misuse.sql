-- out.prison_substance_misuse: one row per financial year from 2012-13 (the State of the Sector
-- prison baseline) to the latest year either source holds. Beside each other:
--   * the prison spending figures held for the year, each with its status (published,
--     indicative or derived): a substance misuse figure, and all adult prison healthcare (of
--     which substance misuse is only a part). No yearly series is published, so most years
--     are NULL, with the reason;
--   * the people in treatment in prisons and other secure settings (NDTMS): adults on the
--     series' basis (a restated figure in place of the first publication), the first
--     publication beside it, and young people where held;
--   * spending per adult in treatment where both exist, marked indicative: the spending
--     covers adult prisons, the count every secure setting.
-- Two figures of one scope for one year would give two rows, which the primary key refuses.
WITH spend AS (
    SELECT fy_start, scope, value_gbp_millions, status, series, citation
    FROM core.prison_substance_misuse_spend
),
counts AS (
    SELECT * FROM core.secure_settings_in_treatment
),
first_held AS (
    SELECT cohort, min(fy_start) AS first_fy, max(fy_start) AS last_fy
    FROM counts GROUP BY cohort
),
years AS (
    SELECT unnest(range(2012, max(fy_start) + 1)) AS fy_start
    FROM (SELECT fy_start FROM spend UNION ALL SELECT fy_start FROM counts)
),
joined AS (
    SELECT
        y.fy_start,
        sm.value_gbp_millions AS substance_misuse_spend_gbp_millions,
        sm.status AS substance_misuse_spend_status,
        sm.series AS substance_misuse_spend_series,
        sm.citation AS substance_misuse_spend_citation,
        ph.value_gbp_millions AS prison_health_spend_gbp_millions,
        ph.status AS prison_health_spend_status,
        ph.citation AS prison_health_spend_citation,
        a.value AS adults_in_treatment,
        a.is_restated AS adults_in_treatment_is_restated,
        af.value AS adults_in_treatment_first_published,
        a.citation AS adults_in_treatment_citation,
        yp.value AS young_people_in_treatment,
        yp.citation AS young_people_in_treatment_citation
    FROM years AS y
    LEFT JOIN spend AS sm ON sm.fy_start = y.fy_start AND sm.scope = 'substance_misuse'
    LEFT JOIN spend AS ph ON ph.fy_start = y.fy_start AND ph.scope = 'prison_health'
    LEFT JOIN counts AS a ON a.fy_start = y.fy_start AND a.cohort = 'adults' AND a.in_series
    LEFT JOIN counts AS af
        ON af.fy_start = y.fy_start AND af.cohort = 'adults' AND NOT af.is_restated
    LEFT JOIN counts AS yp
        ON yp.fy_start = y.fy_start AND yp.cohort = 'young_people' AND yp.in_series
)
SELECT
    printf('%d-%02d', j.fy_start, (j.fy_start + 1) % 100) AS financial_year,
    j.fy_start,
    j.substance_misuse_spend_gbp_millions,
    j.substance_misuse_spend_status,
    j.substance_misuse_spend_series,
    j.substance_misuse_spend_citation,
    CASE WHEN j.substance_misuse_spend_gbp_millions IS NULL THEN 'no published series' END
        AS substance_misuse_spend_missing_reason,
    j.prison_health_spend_gbp_millions,
    j.prison_health_spend_status,
    j.prison_health_spend_citation,
    CASE WHEN j.prison_health_spend_gbp_millions IS NULL THEN 'no published series' END
        AS prison_health_spend_missing_reason,
    j.adults_in_treatment,
    j.adults_in_treatment_is_restated,
    j.adults_in_treatment_first_published,
    j.adults_in_treatment_citation,
    CASE
        WHEN j.adults_in_treatment IS NOT NULL THEN NULL
        WHEN fa.first_fy IS NULL THEN 'no figure for adults held'
        WHEN j.fy_start < fa.first_fy THEN
            'before the secure settings series began in '
            || printf('%d-%02d', fa.first_fy, (fa.first_fy + 1) % 100)
        WHEN j.fy_start > fa.last_fy THEN 'not yet published in the reports held'
        ELSE 'not held: no report for this year transcribed (missing, not interpolated)'
    END AS adults_in_treatment_missing_reason,
    j.young_people_in_treatment,
    j.young_people_in_treatment_citation,
    CASE
        WHEN j.young_people_in_treatment IS NOT NULL THEN NULL
        WHEN fy.first_fy IS NULL THEN 'no figure for young people held'
        WHEN j.fy_start < fy.first_fy THEN
            'before the secure settings series began in '
            || printf('%d-%02d', fy.first_fy, (fy.first_fy + 1) % 100)
        ELSE 'not held: no young people figure transcribed for this year (missing, '
            || 'not interpolated)'
    END AS young_people_in_treatment_missing_reason,
    1e6 * j.substance_misuse_spend_gbp_millions / j.adults_in_treatment
        AS spend_per_adult_in_treatment_gbp,
    CASE
        WHEN j.substance_misuse_spend_gbp_millions IS NOT NULL
            AND j.adults_in_treatment IS NOT NULL THEN 'indicative'
    END AS spend_per_adult_in_treatment_status,
    CASE
        WHEN j.substance_misuse_spend_gbp_millions IS NULL AND j.adults_in_treatment IS NULL
            THEN 'no spending figure and no count of adults in treatment for this year'
        WHEN j.substance_misuse_spend_gbp_millions IS NULL
            THEN 'no spending figure for this year (no published series)'
        WHEN j.adults_in_treatment IS NULL
            THEN 'no count of adults in treatment held for this year'
    END AS spend_per_adult_in_treatment_missing_reason
FROM joined AS j
LEFT JOIN first_held AS fa ON fa.cohort = 'adults'
LEFT JOIN first_held AS fy ON fy.cohort = 'young_people'
ORDER BY j.fy_start
