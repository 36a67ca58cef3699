-- One council area's spend by year: budget and outturn for adult drug services, adult alcohol
-- services, all adult services and young people's services, £ thousand, cash and 2024-25
-- prices, from out.area_spend_trends. Each figure says how many of the area's councils
-- reported, whether a member's record was imputed, and whether it is suspect
-- (out.area_suspects: a rule in out.suspect_values flags it or one of its parts).
-- This is exactly what the area page's spend chart plots.
SELECT t.area_code, t.financial_year, t.basis, t.category,
    t.value_gbp_thousands, t.value_real_gbp_thousands, t.price_base,
    t.members_in_file, t.members_reporting, t.is_complete, t.has_imputed_member,
    s.suspect_rules IS NOT NULL AS is_suspect, s.suspect_rules
FROM out.area_spend_trends AS t
LEFT JOIN out.area_suspects AS s USING (area_code, basis, financial_year, category)
WHERE t.area_kind = 'council' AND t.category IN ('drugs', 'alcohol', 'adults', 'young_people')
    AND TRUE  -- area filter
ORDER BY t.area_code, t.basis, t.category, t.fy_start
