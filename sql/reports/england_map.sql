-- The council area index's map: each council area's adult drug and alcohol budget per
-- resident, £ in 2024-25 prices, in the latest financial year with a budget figure per head,
-- from out.area_spend_trends. The map colours map_value: the figure where all of the area's
-- councils reported and no rule flags it (out.area_suspects), else NULL, drawn grey as no
-- comparable figure: the same figures the area pages' England and class-median lines count.
WITH adults AS (
    SELECT t.area_code, t.area_name, t.financial_year, t.fy_start, t.spend_per_head_real_gbp,
        t.price_base, t.is_complete, s.area_code IS NOT NULL AS is_suspect
    FROM out.area_spend_trends AS t
    LEFT JOIN out.area_suspects AS s USING (area_code, basis, financial_year, category)
    WHERE t.area_kind = 'council' AND t.category = 'adults' AND t.basis = 'budget'
)
SELECT area_code, area_name, financial_year, spend_per_head_real_gbp, is_complete, is_suspect,
    CASE WHEN is_complete AND NOT is_suspect THEN spend_per_head_real_gbp END AS map_value,
    price_base
FROM adults
WHERE fy_start = (SELECT max(fy_start) FROM adults WHERE spend_per_head_real_gbp IS NOT NULL)
ORDER BY area_code
