-- out.spend_per_person_in_treatment: England adult drug spend per adult in drug treatment, and
-- alcohol spend per adult in alcohol-only treatment, per year and basis (£ per person, cash and 2024-25 prices).
-- Rule: the non-opiate-and-alcohol group counts with drug clients (each person once), so
-- drug clients = opiate + non-opiate only + non-opiate and alcohol; alcohol clients = alcohol
-- only. From 2020-21 the reports give the two non-opiate groups only combined; that total is
-- used then, which is the same sum.
WITH groups AS (
    SELECT financial_year,
        max(people) FILTER (WHERE substance_group = 'opiate') AS opiate,
        max(people) FILTER (WHERE substance_group = 'non_opiate_only') AS non_opiate_only,
        max(people) FILTER (WHERE substance_group = 'non_opiate_and_alcohol')
            AS non_opiate_and_alcohol,
        max(people) FILTER (WHERE substance_group = 'non_opiate_groups_combined')
            AS non_opiate_combined,
        max(people) FILTER (WHERE substance_group = 'alcohol_only') AS alcohol_only
    FROM core.adults_in_treatment
    GROUP BY financial_year
),
clients AS (
    SELECT financial_year,
        opiate + coalesce(non_opiate_only + non_opiate_and_alcohol, non_opiate_combined)
            AS drug_clients,
        alcohol_only AS alcohol_clients
    FROM groups
),
spend AS (
    SELECT financial_year, fy_start, basis,
        max(value_gbp_millions) FILTER (WHERE category = 'drugs') AS drug_spend_gbp_millions,
        max(value_gbp_millions) FILTER (WHERE category = 'alcohol') AS alcohol_spend_gbp_millions,
        max(value_real_gbp_millions) FILTER (WHERE category = 'drugs')
            AS drug_spend_real_gbp_millions,
        max(value_real_gbp_millions) FILTER (WHERE category = 'alcohol')
            AS alcohol_spend_real_gbp_millions,
        any_value(price_base) AS price_base,
        bool_or(deflator_is_forecast) AS deflator_is_forecast
    FROM out.spend_trends
    GROUP BY ALL
)
SELECT
    s.financial_year, s.fy_start, s.basis,
    s.drug_spend_gbp_millions,
    c.drug_clients,
    1e6 * s.drug_spend_gbp_millions / c.drug_clients AS drug_spend_per_client_gbp,
    s.alcohol_spend_gbp_millions,
    c.alcohol_clients,
    1e6 * s.alcohol_spend_gbp_millions / c.alcohol_clients AS alcohol_spend_per_client_gbp,
    s.drug_spend_real_gbp_millions,
    1e6 * s.drug_spend_real_gbp_millions / c.drug_clients AS drug_spend_per_client_real_gbp,
    s.alcohol_spend_real_gbp_millions,
    1e6 * s.alcohol_spend_real_gbp_millions / c.alcohol_clients
        AS alcohol_spend_per_client_real_gbp,
    s.price_base,
    s.deflator_is_forecast
FROM spend AS s
JOIN clients AS c USING (financial_year)
WHERE c.drug_clients IS NOT NULL
ORDER BY s.basis, s.fy_start
