-- out.la_spend_per_head_unmatched: councils with substance misuse spend that have no per-head
-- figure because their ONS code is not an upper-tier authority on April 2023 boundaries, with
-- the reason (reorganisations from pipeline/layouts/reorganisations.csv).
WITH utla AS (
    SELECT DISTINCT utla_code FROM raw.ons__ltla_utla_lookup_2023 WHERE utla_code LIKE 'E%'
)
SELECT
    t.ecode,
    t.ons_code,
    arg_max(t.la_name, t.fy_start) AS la_name,
    min(t.financial_year) AS first_year,
    max(t.financial_year) AS last_year,
    coalesce(
        any_value(r.note) || ' from ' || any_value(r.abolished_from)
            || '; successor code(s) ' || any_value(r.successor_ons_codes),
        CASE
            WHEN t.ons_code IS NULL THEN 'no ONS code printed or mapped'
            WHEN any_value(t.la_class) = 'SD' THEN 'a shire district (lower tier): its residents '
                || 'are counted in its county, so a per-head figure would double count'
            WHEN any_value(t.la_class) = 'O' THEN 'not a council area (an other body)'
            ELSE 'ONS code is not an upper-tier authority on April 2023 boundaries' END
    ) AS reason
FROM out.la_spend_trends AS t
LEFT JOIN reference.reorganisations AS r ON r.ons_code = t.ons_code
WHERE t.category = 'all_substance_misuse' AND t.value_gbp_thousands <> 0
    AND (t.ons_code IS NULL OR t.ons_code NOT IN (SELECT utla_code FROM utla))
GROUP BY t.ecode, t.ons_code
ORDER BY t.ecode
