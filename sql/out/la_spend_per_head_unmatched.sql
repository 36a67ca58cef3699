-- out.la_spend_per_head_unmatched: authorities with substance misuse spend that have no
-- per-head figure under their own code, and where their money is counted instead: a
-- reorganised council in its stable area, a shire district in its county's area (its
-- residents are the county's), an other body nowhere (no resident population).
SELECT
    s.ecode,
    s.ons_code,
    s.la_name,
    s.first_year,
    s.last_year,
    s.area_code,
    s.area_name,
    CASE s.rule
        WHEN 'merged' THEN 'reorganised: counted in the stable area ' || s.area_name
            || ' (' || s.area_code || ')' || coalesce('; ' || r.note, '')
        WHEN 'code_change' THEN 'reorganised over the same area: counted as ' || s.area_name
            || ' (' || s.area_code || ')' || coalesce('; ' || r.note, '')
        WHEN 'district_in_upper_tier' THEN 'a shire district (lower tier): its residents are '
            || 'counted in ' || s.area_name || ', so a per-head figure of its own would double '
            || 'count; its spend is in that area'
        WHEN 'abolished_district_in_county' THEN 'a shire district abolished in a '
            || 'reorganisation: its spend is in ' || s.area_name
        WHEN 'other_body' THEN 'not a council area (an other body): no resident population'
    END AS reason
FROM reference.stable_areas AS s
LEFT JOIN reference.reorganisations AS r ON r.ons_code = s.ons_code
WHERE s.rule <> 'unchanged'
    AND s.ecode IN (SELECT ecode FROM core.la_substance_misuse_spend WHERE value_gbp_thousands <> 0)
ORDER BY s.ecode
