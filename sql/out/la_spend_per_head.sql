-- out.la_spend_per_head: council substance misuse spend per resident (£, cash), for councils
-- whose ONS code is an upper-tier authority on April 2023 boundaries (the ONS MYE4 geography),
-- using the mid-year estimate inside the financial year (mid-2013 for 2013-14). Councils that do
-- not match (reorganised before 2023) are listed, with the reason, in
-- out.la_spend_per_head_unmatched. Years after mid-2023 have no estimate held and are absent,
-- as are council-years whose file printed no figure (a marker; see out.la_spend_trends).
WITH utla AS (
    SELECT DISTINCT utla_code FROM raw.ons__ltla_utla_lookup_2023 WHERE utla_code LIKE 'E%'
),
population AS (
    SELECT ons_code, mid_year, population
    FROM raw.ons__mye4
    WHERE ons_code IN (SELECT utla_code FROM utla)
)
SELECT
    t.financial_year, t.fy_start, t.basis, t.ecode, t.ons_code, t.la_name, t.category,
    t.value_gbp_thousands,
    p.mid_year AS population_mid_year,
    p.population,
    1000 * t.value_gbp_thousands / p.population AS spend_per_head_gbp,
    t.value_real_gbp_thousands,
    1000 * t.value_real_gbp_thousands / p.population AS spend_per_head_real_gbp,
    t.price_base,
    t.deflator_is_forecast
FROM out.la_spend_trends AS t
JOIN population AS p ON p.ons_code = t.ons_code AND p.mid_year = t.fy_start
WHERE t.value_gbp_thousands IS NOT NULL
ORDER BY t.basis, t.ecode, t.category, t.fy_start
