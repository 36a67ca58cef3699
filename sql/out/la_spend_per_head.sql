-- out.la_spend_per_head: substance misuse spend per resident (£, cash and 2024-25 prices) for
-- every council stable area (out.area_spend_trends): councils on April 2023 boundaries, and
-- the exact unions of councils that reorganisations changed (Dorset with BCP,
-- Northamptonshire, Cumbria), so that no council drops out. The mid-year estimate inside the
-- financial year is used (mid-2013 for 2013-14); years after mid-2023 have none held and are
-- absent, as are area-years with no figure (coverage in out.area_spend_trends).
SELECT
    financial_year, fy_start, basis, area_code, area_name, area_class, member_codes, category,
    value_gbp_thousands,
    population_mid_year,
    population,
    spend_per_head_gbp,
    value_real_gbp_thousands,
    spend_per_head_real_gbp,
    price_base,
    deflator_is_forecast,
    is_complete
FROM out.area_spend_trends
WHERE area_kind = 'council' AND value_gbp_thousands IS NOT NULL AND population IS NOT NULL
ORDER BY basis, area_code, category, fy_start
