-- Substance misuse as a share of all public health net current expenditure, England, per year
-- and basis (State of the Sector 2017 quoted "a third"; see out.reproduction).
SELECT financial_year, basis,
    round(substance_misuse_gbp_millions, 1) AS substance_misuse_gbp_millions,
    round(total_public_health_gbp_millions, 1) AS total_public_health_gbp_millions,
    round(share_pct, 1) AS share_pct
FROM out.share_of_public_health
ORDER BY basis, financial_year
