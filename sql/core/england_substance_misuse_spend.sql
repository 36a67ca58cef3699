-- core.england_substance_misuse_spend: per year, basis, measure and service line, the file's own
-- ENGLAND row (MHCLG's grossed-up total) beside the plain sum of authorities, and the difference.
-- Files without an ENGLAND row (the RA 2023-24 CSV export) have a null published total.
-- TOTAL PUBLIC HEALTH is carried as its own line (category public_health_total) as the
-- denominator for shares; it is not part of any substance misuse category.
-- Sums run in cell order (ORDER BY): a parallel sum adds in whatever order threads finish, and
-- floating point addition is not associative, so two builds of the same files would differ in
-- the last bit.
SELECT
    c.financial_year,
    c.fy_start,
    c.basis,
    c.measure,
    s.canonical_line,
    s.category,
    sum(c.value ORDER BY c.source_id, c.sheet, c.row_number, c.column_number)
        FILTER (WHERE c.row_kind = 'england') AS published_total_gbp_thousands,
    sum(c.value ORDER BY c.source_id, c.sheet, c.row_number, c.column_number)
        FILTER (WHERE c.row_kind = 'authority') AS authorities_sum_gbp_thousands,
    sum(c.value ORDER BY c.source_id, c.sheet, c.row_number, c.column_number)
        FILTER (WHERE c.row_kind = 'england')
        - sum(c.value ORDER BY c.source_id, c.sheet, c.row_number, c.column_number)
            FILTER (WHERE c.row_kind = 'authority') AS difference_gbp_thousands,
    -- a figure on the ENGLAND row, not a cell: a marker there ('[x]') is no published total
    count(c.value) FILTER (WHERE c.row_kind = 'england') > 0 AS has_england_row,
    count(DISTINCT c.ecode) FILTER (WHERE c.row_kind = 'authority' AND c.value <> 0)
        AS authorities_reporting_spend,
    any_value(c.source_id) AS source_id
FROM raw.mhclg__revenue_cells AS c
JOIN reference.service_lines AS s ON s.label_key = c.label_key AND s.status = 'mapped'
WHERE c.row_kind IN ('england', 'authority')
GROUP BY ALL
