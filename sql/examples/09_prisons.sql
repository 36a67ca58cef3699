-- Prisons: what is published each year. People in alcohol and drug treatment in prisons and
-- other secure settings (NDTMS) beside the only prison spending figures held, from 2012-13.
-- No yearly prison substance misuse spending series is published: those years are empty and
-- say so. 2020-21 adults is the figure restated in the 2021 to 2022 report (first published
-- figure beside it); 2016-17 and 2017-18 counts are not held. Spending per adult in treatment
-- appears only where both exist, and is indicative.
SELECT
    financial_year,
    adults_in_treatment,
    CASE WHEN adults_in_treatment_is_restated
        THEN adults_in_treatment_first_published END AS adults_as_first_published,
    young_people_in_treatment,
    adults_in_treatment_missing_reason AS why_no_count,
    substance_misuse_spend_gbp_millions,
    substance_misuse_spend_status,
    prison_health_spend_gbp_millions,
    coalesce(substance_misuse_spend_missing_reason, substance_misuse_spend_series)
        AS spend_note,
    round(spend_per_adult_in_treatment_gbp) AS spend_per_adult_in_treatment_gbp,
    spend_per_adult_in_treatment_status
FROM out.prison_substance_misuse
ORDER BY fy_start
