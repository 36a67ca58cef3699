"""Build: the table graph, the plan of what to rebuild, the build itself and publishing.

Writes each table into a candidate DuckDB, checks it, and publishes the candidate only when
every check passed; the record of the published build (its fingerprints) lives here.
"""
