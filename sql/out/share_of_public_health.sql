-- out.share_of_public_health: substance misuse net current expenditure as a share of
-- TOTAL PUBLIC HEALTH, England, per year and basis (ENGLAND row where the file has one).
-- Sums add in a fixed order (ORDER BY), so every build gives the same last bit.
WITH totals AS (
    SELECT financial_year, fy_start, basis,
        sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)
            ORDER BY canonical_line)
            FILTER (WHERE category <> 'public_health_total') AS substance_misuse_k,
        sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)
            ORDER BY canonical_line)
            FILTER (WHERE category IN ('drugs', 'alcohol')) AS adults_k,
        sum(coalesce(published_total_gbp_thousands, authorities_sum_gbp_thousands)
            ORDER BY canonical_line)
            FILTER (WHERE category = 'public_health_total') AS public_health_k
    FROM core.england_substance_misuse_spend
    WHERE measure = 'net_current_expenditure'
    GROUP BY ALL
)
SELECT
    financial_year, fy_start, basis,
    substance_misuse_k / 1000 AS substance_misuse_gbp_millions,
    public_health_k / 1000 AS total_public_health_gbp_millions,
    100 * substance_misuse_k / public_health_k AS share_pct,
    100 * adults_k / public_health_k AS adults_share_pct
FROM totals
ORDER BY basis, fy_start
