-- Spend against outcomes: for every council area, the change in real adult drug and alcohol
-- spend per resident (budgets, 2024-25 prices) from 2013-14 to 2019-20, beside the change in
-- the age-standardised drug misuse death rate (persons, per 100,000) from 2011-13 to 2019-21,
-- and the correlation between the two across areas (DuckDB's corr(), Pearson).
--
-- What an area-level correlation can show: whether areas that cut more tended to see death
-- rates rise more, over these years, in these figures. What it cannot show: that the cuts
-- caused the deaths (or did not). Areas differ in deprivation, drug markets, age, and in what
-- they spent before 2013; deaths are counted by year of registration, often long after the
-- death; rates from few deaths are unreliable (ONS marks those from 10 to 19 deaths); a
-- correlation over areas says nothing about any one person (the ecological fallacy). Areas
-- without both figures are left out (a union of councils has no age-standardised rate; a
-- suspect or incomplete spend figure is skipped), and the count of areas used is shown.
WITH spend AS (
    SELECT area_code, any_value(area_name) AS area_name,
        any_value(spend_per_head_real_gbp) FILTER (WHERE financial_year = '2013-14') AS s0,
        any_value(spend_per_head_real_gbp) FILTER (WHERE financial_year = '2019-20') AS s1
    FROM out.area_spend_trends AS t
    WHERE basis = 'budget' AND category = 'adults' AND area_kind = 'council' AND is_complete
        AND financial_year IN ('2013-14', '2019-20')
        AND NOT EXISTS (SELECT 1 FROM out.area_suspects AS f WHERE f.area_code = t.area_code
            AND f.basis = t.basis AND f.financial_year = t.financial_year
            AND f.category = t.category)
    GROUP BY area_code
),
deaths AS (
    SELECT area_code,
        any_value(rate_per_100k) FILTER (WHERE period = '2011-13') AS r0,
        any_value(rate_per_100k) FILTER (WHERE period = '2019-21') AS r1,
        bool_or(rate_is_low_reliability) AS any_low_reliability
    FROM out.area_drug_death_rates
    WHERE measure = 'misuse' AND sex = 'persons' AND period IN ('2011-13', '2019-21')
    GROUP BY area_code
),
both_figures AS (
    SELECT s.area_code, s.area_name,
        round(s1 - s0, 2) AS change_real_spend_per_head_gbp,
        round(100 * (s1 - s0) / s0, 1) AS change_real_spend_per_head_pct,
        d.r0 AS misuse_rate_2011_13, d.r1 AS misuse_rate_2019_21,
        round(d.r1 - d.r0, 1) AS change_misuse_rate_per_100k,
        d.any_low_reliability
    FROM spend AS s JOIN deaths AS d USING (area_code)
    WHERE s0 > 0 AND s1 IS NOT NULL AND d.r0 IS NOT NULL AND d.r1 IS NOT NULL
)
SELECT *,
    round(corr(change_real_spend_per_head_pct, change_misuse_rate_per_100k) OVER (), 3)
        AS corr_across_areas,
    count(*) OVER () AS areas_used
FROM both_figures
ORDER BY change_real_spend_per_head_pct
