-- One council area's drug death rates beside England's: ONS's age-standardised mortality rate
-- per 100,000 (2013 European Standard Population) with its 95% confidence limits, persons,
-- three registration years pooled, for deaths related to drug misuse and to drug poisoning,
-- from out.area_drug_death_rates (ONS, 2021 edition, Tables 3 to 8). ONS calculates no rate
-- from fewer than 10 deaths and marks rates from 10 to 19 deaths as unreliable
-- (rate_is_low_reliability); a union of councils has its summed deaths and no rate, because
-- age-standardised rates cannot be added (rate_note says which). The England rows are
-- England's own figures, repeated for each area. This is exactly what the area page's drug
-- death rates chart plots.
WITH rates AS (
    SELECT * FROM out.area_drug_death_rates WHERE sex = 'persons'
),
councils AS (
    SELECT DISTINCT area_code FROM reference.stable_areas WHERE area_kind = 'council'
)
SELECT * FROM (
    SELECT r.area_code, r.period, r.period_start, r.period_end, r.measure, 'area' AS series,
        r.deaths, r.rate_per_100k, r.ci_lower, r.ci_upper, r.rate_is_low_reliability,
        r.rate_note, r.member_codes
    FROM rates AS r JOIN councils USING (area_code)
    UNION ALL
    SELECT c.area_code, e.period, e.period_start, e.period_end, e.measure, 'england',
        e.deaths, e.rate_per_100k, e.ci_lower, e.ci_upper, e.rate_is_low_reliability,
        e.rate_note, e.member_codes
    FROM councils AS c CROSS JOIN rates AS e
    WHERE e.area_code = 'E92000001'
)
WHERE TRUE  -- area filter
ORDER BY area_code, measure, series, period_start
