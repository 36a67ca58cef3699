-- One council area's spend by year: budget and outturn for adult drug services, adult alcohol
-- services, all adult services and young people's services, £ thousand, cash and 2024-25
-- prices, from out.area_spend_trends. Each figure says how many of the area's councils
-- reported, whether a member's record was imputed, and whether a rule in out.suspect_values
-- flags it (a figure is suspect for a category if a member's figure for it or for one of its
-- parts is flagged; a swap between two parts of the same total leaves that total right).
-- This is exactly what the area page's spend chart plots.
WITH parts AS (
    SELECT * FROM (VALUES ('drugs', 'drugs'), ('alcohol', 'alcohol'),
        ('young_people', 'young_people'), ('adults', 'drugs'), ('adults', 'alcohol'))
        AS k(category, part)
),
swaps AS (
    SELECT ecode, basis, financial_year, list(DISTINCT category) AS swapped
    FROM out.suspect_values WHERE rule = 'swapped_lines' GROUP BY ALL
),
suspects AS (
    SELECT s.area_code, s.basis, s.financial_year, k.category,
        string_agg(DISTINCT s.rule, ', ' ORDER BY s.rule) AS suspect_rules
    FROM out.suspect_values AS s
    JOIN parts AS k ON k.part = s.category
    LEFT JOIN swaps AS w USING (ecode, basis, financial_year)
    LEFT JOIN (SELECT category, list(part) AS members FROM parts GROUP BY category) AS m
        ON m.category = k.category
    WHERE NOT (s.rule = 'swapped_lines' AND len(list_intersect(w.swapped, m.members)) = 2)
    GROUP BY ALL
)
SELECT t.area_code, t.financial_year, t.basis, t.category,
    t.value_gbp_thousands, t.value_real_gbp_thousands, t.price_base,
    t.members_in_file, t.members_reporting, t.is_complete, t.has_imputed_member,
    s.suspect_rules IS NOT NULL AS is_suspect, s.suspect_rules
FROM out.area_spend_trends AS t
LEFT JOIN suspects AS s USING (area_code, basis, financial_year, category)
WHERE t.area_kind = 'council' AND t.category IN ('drugs', 'alcohol', 'adults', 'young_people')
    AND TRUE  -- area filter
ORDER BY t.area_code, t.basis, t.category, t.fy_start
