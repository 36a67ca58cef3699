-- core.adults_in_treatment_source_comparison: every year and group both sources give, side by
-- side: the ViewIt export against the annual-report transcription, and their difference.
SELECT
    v.financial_year,
    v.substance_group,
    v.people AS viewit_people,
    r.people AS report_people,
    v.people - r.people AS difference_people,
    r.is_derived AS report_is_derived,
    r.citation AS report_citation
FROM raw.ndtms__viewit_adults AS v
JOIN raw.ndtms__published_adults AS r USING (financial_year, substance_group)
WHERE v.sex = 'total' AND v.age_band = 'total'
ORDER BY v.substance_group, v.financial_year
