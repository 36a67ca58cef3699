-- Cash against real terms: England adult drug and alcohol budgets each year, in cash, in
-- 2024-25 prices (the out table's own column) and re-based with the real_terms macro to
-- 2013-14 prices, with the change since 2013-14 both ways. A year with no deflator gives NULL.
SELECT
    financial_year,
    round(value_gbp_millions, 1) AS cash_gbp_millions,
    round(value_real_gbp_millions, 1) AS gbp_millions_2024_25_prices,
    round(real_terms(value_gbp_millions, financial_year, '2013-14'), 1)
        AS gbp_millions_2013_14_prices,
    round(change_since_2013_14_pct, 1) AS change_cash_pct,
    round(change_since_2013_14_real_pct, 1) AS change_real_pct,
    deflator_is_forecast
FROM out.spend_trends
WHERE basis = 'budget' AND category = 'adults'
ORDER BY fy_start
