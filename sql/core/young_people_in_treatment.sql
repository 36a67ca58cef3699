-- core.young_people_in_treatment: young people (under 18) in specialist substance misuse
-- treatment in England, on two bases that must not be joined into one line: `original` (as
-- first published) and `revised` (restated from the 2019/20 report on; aged 17 and under).
SELECT
    financial_year,
    CAST(left(financial_year, 4) AS INTEGER) AS fy_start,
    basis,
    basis_printed,
    people,
    is_derived,
    note,
    citation
FROM raw.ndtms__published_young_people
ORDER BY basis, financial_year
