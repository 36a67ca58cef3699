-- core.la_substance_misuse_spend: one row per authority x year x basis x measure x service line.
-- Authorities only (no ENGLAND or class rows). ONS codes for files that print none (to RA
-- 2016-17, RO3 2013-14) come from the latest file that prints both codes for that E-code.
-- A printed "ONS code" that is not a GSS code (Lee Valley Regional Park Authority has none and
-- MHCLG prints its E-code there) is treated as absent; raw keeps what was printed.
-- is_imputed: true where the file marks the authority's figures as imputed or synthetic, false
-- where the file has such a mark and this authority lacks it, NULL where the file says nothing
-- (pipeline/layouts/mhclg_sheets.csv, imputed_column).
WITH gss AS (
    SELECT *, CASE WHEN regexp_full_match(ons_code, 'E\d{8}') THEN ons_code END AS gss_code
    FROM raw.mhclg__revenue_cells
    WHERE row_kind = 'authority'
),
-- The E-code to ONS code map needs only what is printed on each authority row and the file's
-- year: read from the rows and columns the raw cells view joins (9,000 rows, not 1.3 million).
ons_map AS (
    SELECT r.ecode, arg_max(r.ons_code, f.fy_start) AS ons_code
    FROM raw.mhclg__revenue_cell_rows AS r
    JOIN (SELECT DISTINCT source_id, fy_start FROM raw.mhclg__revenue_cell_columns) AS f
        USING (source_id)
    WHERE r.row_kind = 'authority' AND regexp_full_match(r.ons_code, 'E\d{8}')
    GROUP BY r.ecode
)
SELECT
    c.financial_year,
    c.fy_start,
    c.basis,
    c.measure,
    coalesce(c.gss_code, m.ons_code) AS ons_code,
    c.ecode,
    c.la_name,
    coalesce(k.la_class, c.la_class_printed) AS la_class,
    s.canonical_line,
    s.category,
    c.value AS value_gbp_thousands,
    nullif(c.marker, '') AS marker,
    c.is_imputed,
    c.source_id,
    c.sheet,
    c.cell
FROM gss AS c
JOIN reference.service_lines AS s
    ON s.label_key = c.label_key AND s.status = 'mapped' AND s.category <> 'public_health_total'
LEFT JOIN ons_map AS m ON m.ecode = c.ecode
LEFT JOIN reference.authority_classes AS k ON k.printed_class = c.la_class_printed
