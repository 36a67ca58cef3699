-- Budget against outturn, England, by canonical line, for the years that have both
-- (2013-14 and 2023-24): what councils planned (RA) beside what they spent (RO3), £ million.
WITH england AS (
    SELECT financial_year, basis, canonical_line,
        coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands) / 1000 AS gbp_m
    FROM core.england_substance_misuse_spend
    WHERE measure = 'net_current_expenditure'
)
SELECT b.financial_year, b.canonical_line,
    round(b.gbp_m, 1) AS budget_gbp_millions,
    round(o.gbp_m, 1) AS outturn_gbp_millions,
    round(o.gbp_m - b.gbp_m, 1) AS outturn_minus_budget_gbp_millions,
    round(100 * (o.gbp_m - b.gbp_m) / nullif(b.gbp_m, 0), 1) AS outturn_vs_budget_pct
FROM england b
JOIN england o ON o.financial_year = b.financial_year AND o.canonical_line = b.canonical_line
WHERE b.basis = 'budget' AND o.basis = 'outturn'
ORDER BY b.financial_year, b.canonical_line
