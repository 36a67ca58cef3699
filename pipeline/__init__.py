"""spendtrack machinery: fetching, reading, layouts, building, checking and publishing.

Nothing in this package knows the quirks of one source; those live in `pipeline/layouts/`
(as data) and in `assets/` (one module per source family).
"""
