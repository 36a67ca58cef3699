"""Extract: read spreadsheet cells and turn them into long tables by layouts held as data.

Workbook readers (calamine, openpyxl), the per-year layout/crosswalk tables, column and row
classification, and the MHCLG sheet extractor. Knows nothing of DuckDB or of sources.
"""
