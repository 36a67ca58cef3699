-- One area's unbroken series: Northamptonshire, whose county council was split into North and
-- West Northamptonshire in April 2021, as one stable area from 2013-14, budget and outturn,
-- in cash and 2024-25 prices, with which councils were summed each year and per head.
SELECT financial_year, basis, member_codes,
    round(value_gbp_thousands) AS adults_gbp_thousands,
    round(value_real_gbp_thousands) AS adults_real_gbp_thousands,
    round(spend_per_head_gbp, 2) AS per_head_gbp,
    is_complete
FROM out.area_spend_trends
WHERE area_code = 'E10000021' AND category = 'adults'
ORDER BY basis, fy_start
