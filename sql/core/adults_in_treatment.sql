-- core.adults_in_treatment: adults in drug and alcohol treatment in England, per year and
-- substance group. Where the NDTMS ViewIt export and the annual reports both give a figure the
-- export is used (it is the system of record); the reports fill the years and groups the export
-- lacks (2022-23 on, and non_opiate_groups_combined). `source` says which; `is_derived` marks
-- transcribed cells that are arithmetic rather than published values.
WITH viewit AS (
    SELECT financial_year, substance_group, people, 'ndtms_viewit' AS source,
        false AS is_derived, 'NDTMS ViewIt export, adults in treatment, England' AS citation
    FROM raw.ndtms__viewit_adults
    WHERE sex = 'total' AND age_band = 'total'
),
reports AS (
    SELECT financial_year, substance_group, people, 'ndtms_annual_report' AS source,
        is_derived, citation
    FROM raw.ndtms__published_adults
    WHERE substance_group <> 'entering_treatment'
)
SELECT CAST(left(financial_year, 4) AS INTEGER) AS fy_start, *
FROM (
    SELECT * FROM viewit
    UNION ALL
    SELECT r.* FROM reports AS r ANTI JOIN viewit AS v USING (financial_year, substance_group)
)
ORDER BY substance_group, financial_year
