-- The ten council areas with the largest fall in adult substance misuse spend since 2013-14.
-- Budget (RA) basis, net current expenditure, cash; reorganised councils are compared as their
-- stable areas, and only areas compared from 2013-14 to the latest year with no suspect
-- figure at either end are ranked (out.la_disinvestment.is_comparable).
SELECT fall_rank, area_name, first_year, first_value_gbp_thousands,
    latest_year, latest_value_gbp_thousands, change_gbp_thousands, round(change_pct, 1) AS change_pct,
    round(change_real_pct, 1) AS change_real_pct
FROM out.la_disinvestment
WHERE basis = 'budget' AND category = 'adults' AND fall_rank <= 10
ORDER BY fall_rank
