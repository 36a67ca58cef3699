-- People in drug and alcohol treatment in England (NDTMS), from 2013-14: adults (all
-- substance groups) and young people on each basis (the original basis to 2018-19, the
-- revised basis from 2018-19; the two are never joined). No per-council treatment counts are
-- held, so every area page shows England's. This is exactly what that chart plots.
SELECT financial_year, fy_start, cohort, basis, people
FROM out.treatment_trends
WHERE fy_start >= 2013 AND (
    (cohort = 'adults' AND substance_group = 'total')
    OR (cohort = 'young_people' AND substance_group = 'all'))
ORDER BY cohort, basis, fy_start
