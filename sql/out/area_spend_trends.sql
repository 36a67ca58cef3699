-- out.area_spend_trends: net current expenditure per stable area, year, basis and category,
-- £ thousand, cash and 2024-25 prices, with population and £ per head. An area is a council
-- on April 2023 boundaries, or the exact union of the councils a boundary change involved
-- (reference.stable_areas): its value is the plain sum of its members' figures that year.
-- Every area has a row for every year of each basis: where no member printed a figure the
-- value is NULL (never 0), and the coverage columns say how many members were in the file
-- and how many printed every line of the category. Sums add in a fixed order (ORDER BY), so
-- every build gives the same last bit. Members counted: councils with public
-- health duties, and any other member that printed a non-zero figure (a district, say).
WITH members AS (
    SELECT ecode, area_code FROM reference.stable_areas
),
areas AS (
    SELECT area_code, any_value(area_name) AS area_name, any_value(area_kind) AS area_kind,
        arg_max(la_class, last_year) AS area_class
    FROM reference.stable_areas GROUP BY area_code
),
member_lines AS (
    -- a member counts towards coverage if it has public health duties or printed a non-zero
    -- figure (a district's zeros neither add money nor make a series incomplete)
    SELECT c.financial_year, c.fy_start, c.basis, m.area_code, c.ecode, c.ons_code, c.category,
        sum(c.value_gbp_thousands ORDER BY c.canonical_line) AS value_k,
        bool_and(c.value_gbp_thousands IS NOT NULL) AS complete,
        bool_or(cls.has_public_health_duties) OR coalesce(bool_or(c.value_gbp_thousands <> 0),
            false) AS counts,
        bool_or(c.is_imputed) AS imputed
    FROM core.la_substance_misuse_spend AS c
    JOIN members AS m USING (ecode)
    -- one row per class (two printed classes, L and LB, stand for London boroughs)
    LEFT JOIN (SELECT DISTINCT la_class, has_public_health_duties
        FROM reference.authority_classes) AS cls ON cls.la_class = c.la_class
    WHERE c.measure = 'net_current_expenditure'
    GROUP BY ALL
),
member_categories AS (
    SELECT * FROM member_lines
    UNION ALL
    SELECT financial_year, fy_start, basis, area_code, ecode, ons_code, 'adults',
        sum(value_k ORDER BY category),
        bool_and(complete), bool_or(counts), bool_or(imputed)
    FROM member_lines WHERE category IN ('drugs', 'alcohol') GROUP BY ALL
    UNION ALL
    SELECT financial_year, fy_start, basis, area_code, ecode, ons_code, 'all_substance_misuse',
        sum(value_k ORDER BY category), bool_and(complete), bool_or(counts), bool_or(imputed)
    FROM member_lines GROUP BY ALL
),
per_area AS (
    SELECT financial_year, basis, area_code, category,
        sum(value_k ORDER BY ecode) AS value_k,
        string_agg(coalesce(ons_code, ecode), ';' ORDER BY coalesce(ons_code, ecode))
            FILTER (WHERE counts) AS member_codes,
        count(*) FILTER (WHERE counts) AS members_in_file,
        count(*) FILTER (WHERE counts AND complete) AS members_reporting,
        coalesce(bool_or(imputed), false) AS has_imputed_member
    FROM member_categories GROUP BY ALL
),
years AS (
    SELECT DISTINCT financial_year, fy_start, basis FROM core.la_substance_misuse_spend
),
grid AS (
    SELECT a.*, y.financial_year, y.fy_start, y.basis, k.category
    FROM areas AS a
    CROSS JOIN years AS y
    CROSS JOIN (VALUES ('drugs'), ('alcohol'), ('young_people'), ('adults'),
        ('all_substance_misuse')) AS k(category)
),
population AS (
    -- the area's upper-tier councils on April 2023 boundaries (MYE4's geography)
    SELECT s.area_code, p.mid_year, sum(p.population ORDER BY s.ons_code) AS population
    FROM (SELECT DISTINCT area_code, ons_code FROM reference.stable_areas) AS s
    JOIN raw.ons__mye4 AS p ON p.ons_code = s.ons_code
    WHERE s.ons_code IN (SELECT utla_code FROM raw.ons__ltla_utla_lookup_2023)
    GROUP BY ALL
),
prices AS (
    SELECT financial_year, index_2024_25_eq_100, is_forecast,
        '2024-25 prices (' || series || ')' AS price_base
    FROM reference.gdp_deflator WHERE is_default
)
SELECT
    g.area_code, g.area_name, g.area_kind, g.area_class,
    v.member_codes,
    g.financial_year, g.fy_start, g.basis, g.category,
    v.value_k AS value_gbp_thousands,
    coalesce(v.members_in_file, 0) AS members_in_file,
    coalesce(v.members_reporting, 0) AS members_reporting,
    coalesce(v.members_in_file, 0) > 0 AND v.members_reporting = v.members_in_file
        AS is_complete,
    coalesce(v.has_imputed_member, false) AS has_imputed_member,
    v.value_k * 100 / d.index_2024_25_eq_100 AS value_real_gbp_thousands,
    d.price_base,
    d.is_forecast AS deflator_is_forecast,
    p.mid_year AS population_mid_year,
    p.population,
    1000 * v.value_k / p.population AS spend_per_head_gbp,
    1000 * (v.value_k * 100 / d.index_2024_25_eq_100) / p.population AS spend_per_head_real_gbp
FROM grid AS g
LEFT JOIN per_area AS v USING (financial_year, basis, area_code, category)
LEFT JOIN prices AS d USING (financial_year)
LEFT JOIN population AS p ON p.area_code = g.area_code AND p.mid_year = g.fy_start
ORDER BY g.basis, g.area_code, g.category, g.fy_start
