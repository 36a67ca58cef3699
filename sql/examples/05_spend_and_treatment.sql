-- As spend fell, what happened to the number of adults in treatment? England adult drug and
-- alcohol budgets beside the adults in drug and in alcohol-only treatment, and spend per person.
SELECT financial_year,
    round(drug_spend_gbp_millions, 1) AS drug_spend_gbp_millions, drug_clients,
    round(drug_spend_per_client_gbp) AS drug_spend_per_client_gbp,
    round(alcohol_spend_gbp_millions, 1) AS alcohol_spend_gbp_millions, alcohol_clients,
    round(alcohol_spend_per_client_gbp) AS alcohol_spend_per_client_gbp
FROM out.spend_per_person_in_treatment
WHERE basis = 'budget'
ORDER BY financial_year
