-- out.area_suspects: each stable area, basis, year and category whose figure is suspect, with
-- the rules. A figure is suspect for a category if a member's figure for it, or for a part of
-- it (adults = drugs + alcohol; all_substance_misuse = drugs + alcohol + young people), is
-- flagged in out.suspect_values; a swap between two parts of the same total leaves that total
-- right, so it does not count there. A rule the outturn witness withdrew on a basis
-- (checks.suspect_rule_agreement: verdict 'withdrawn') marks nothing suspect there; its hits
-- stay in out.suspect_values. The one definition out.la_disinvestment and the area pages use.
WITH standing AS (
    SELECT s.* FROM out.suspect_values AS s
    WHERE NOT EXISTS (SELECT 1 FROM checks.suspect_rule_agreement AS a
        WHERE a.rule = s.rule AND a.basis = s.basis AND a.verdict = 'withdrawn')
),
parts AS (
    SELECT * FROM (VALUES ('drugs', 'drugs'), ('alcohol', 'alcohol'),
        ('young_people', 'young_people'), ('adults', 'drugs'), ('adults', 'alcohol'),
        ('all_substance_misuse', 'drugs'), ('all_substance_misuse', 'alcohol'),
        ('all_substance_misuse', 'young_people')) AS k(category, part)
),
swaps AS (
    -- the categories a swap moved money between, per council and year
    SELECT ecode, basis, financial_year, list(DISTINCT category) AS swapped
    FROM standing WHERE rule = 'swapped_lines' GROUP BY ALL
)
SELECT s.area_code, s.basis, s.financial_year, k.category,
    string_agg(DISTINCT s.rule, ', ' ORDER BY s.rule) AS suspect_rules
FROM standing AS s
JOIN parts AS k ON k.part = s.category
LEFT JOIN swaps AS w USING (ecode, basis, financial_year)
LEFT JOIN (SELECT category, list(part) AS members FROM parts GROUP BY category) AS m
    ON m.category = k.category
WHERE NOT (s.rule = 'swapped_lines' AND len(list_intersect(w.swapped, m.members)) = 2)
GROUP BY ALL
ORDER BY ALL
