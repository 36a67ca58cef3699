-- Substance misuse spend per resident, the latest budget year with a population estimate
-- (2023-24 uses mid-2023), highest and lowest five council areas; reorganised councils are
-- their stable areas (Dorset with BCP, Northamptonshire, Cumbria), so none is left out.
WITH latest AS (
    SELECT * FROM out.la_spend_per_head
    WHERE basis = 'budget' AND category = 'all_substance_misuse'
      AND fy_start = (SELECT max(fy_start) FROM out.la_spend_per_head WHERE basis = 'budget')
),
ranked AS (
    SELECT *, rank() OVER (ORDER BY spend_per_head_gbp DESC) AS highest,
        rank() OVER (ORDER BY spend_per_head_gbp) AS lowest
    FROM latest
)
SELECT financial_year, area_name, population, value_gbp_thousands,
    round(spend_per_head_gbp, 2) AS spend_per_head_gbp,
    CASE WHEN highest <= 5 THEN 'highest' ELSE 'lowest' END AS end_of_range
FROM ranked
WHERE highest <= 5 OR lowest <= 5
ORDER BY spend_per_head_gbp DESC
