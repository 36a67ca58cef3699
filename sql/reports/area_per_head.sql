-- One council area's adult drug and alcohol spend per resident, £ in 2024-25 prices,
-- budget and outturn, beside England and beside the median of the areas of its class (county,
-- unitary, metropolitan district, London borough), from out.area_spend_trends.
-- England is the spend of every council area with a complete, unflagged figure divided by
-- those areas' residents; the class median is taken over the same kind of figure. A figure is
-- left out of both when not all of an area's councils reported (is_complete) or its adult
-- figure is suspect that year (out.area_suspects). areas_counted says how many areas each
-- England or median figure covers. Per head needs a population estimate: none is held for
-- years after mid-2023. This is exactly what the area page's per-head chart plots.
WITH figures AS (
    SELECT t.*, s.area_code IS NOT NULL AS is_suspect,
        t.is_complete AND s.area_code IS NULL AND t.spend_per_head_real_gbp IS NOT NULL AS counts
    FROM out.area_spend_trends AS t
    LEFT JOIN out.area_suspects AS s USING (area_code, basis, financial_year, category)
    WHERE t.area_kind = 'council' AND t.category = 'adults'
),
england AS (
    SELECT financial_year, fy_start, basis,
        1000 * sum(value_real_gbp_thousands) FILTER (WHERE counts)
            / sum(population) FILTER (WHERE counts) AS spend_per_head_real_gbp,
        count(*) FILTER (WHERE counts) AS areas_counted
    FROM figures GROUP BY ALL
),
class_median AS (
    SELECT area_class, financial_year, fy_start, basis,
        median(spend_per_head_real_gbp) FILTER (WHERE counts) AS spend_per_head_real_gbp,
        count(*) FILTER (WHERE counts) AS areas_counted
    FROM figures GROUP BY ALL
)
SELECT * FROM (
    SELECT f.area_code, f.financial_year, f.fy_start, f.basis, 'area' AS series,
        f.spend_per_head_real_gbp, f.price_base,
        CAST(NULL AS BIGINT) AS areas_counted, f.is_complete, f.is_suspect
    FROM figures AS f
    UNION ALL
    SELECT f.area_code, e.financial_year, e.fy_start, e.basis, 'england',
        e.spend_per_head_real_gbp, f.price_base,
        e.areas_counted, NULL, NULL
    FROM figures AS f JOIN england AS e USING (financial_year, basis)
    UNION ALL
    SELECT f.area_code, c.financial_year, c.fy_start, c.basis, 'class_median',
        c.spend_per_head_real_gbp, f.price_base,
        c.areas_counted, NULL, NULL
    FROM figures AS f JOIN class_median AS c USING (area_class, financial_year, basis)
)
WHERE TRUE  -- area filter
ORDER BY area_code, series, basis, fy_start
