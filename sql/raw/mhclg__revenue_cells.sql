-- raw.mhclg__revenue_cells: every cell of every value column of every MHCLG file, one row per
-- cell with all its attributes. Stored in three parts, each attribute once where it belongs:
-- a cell's value and marker (raw.mhclg__revenue_cell_values), the authority printed on its
-- row (raw.mhclg__revenue_cell_rows), the labels of its column and the file's year and basis
-- (raw.mhclg__revenue_cell_columns). Left joins: a cell without its row or column would show
-- NULLs, not vanish (a blocking check says there are none). `cell` is the column's letters
-- and the row number, as the extractor always wrote it.
SELECT
    v.source_id,
    c.file_name,
    c.form,
    c.financial_year,
    c.fy_start,
    c.basis,
    v.sheet,
    v.row_number,
    v.column_number,
    c.column_letters || v.row_number::VARCHAR AS cell,
    c.section,
    c.printed_label,
    c.label_key,
    c.form_line,
    c.asset_id,
    c.measure_label,
    c.measure,
    r.ecode,
    r.ons_code,
    r.la_name,
    r.la_class_printed,
    r.row_kind,
    r.imputed_flag,
    r.is_imputed,
    v.value,
    v.marker
FROM raw.mhclg__revenue_cell_values AS v
LEFT JOIN raw.mhclg__revenue_cell_rows AS r USING (source_id, sheet, row_number)
LEFT JOIN raw.mhclg__revenue_cell_columns AS c USING (source_id, sheet, column_number)
