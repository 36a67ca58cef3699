-- One council area's deaths related to drug poisoning and, a subset of them, deaths related to
-- drug misuse (never add the two), registered each calendar year from 1993, residents only,
-- from out.area_drug_deaths (ONS, deaths related to drug poisoning by local authority, 2021
-- edition, Tables 1 and 2, on 2021 boundaries). A year is the year of registration, not of
-- death. A union of councils has the sum of its members' deaths, NULL unless every member
-- printed a figure (members_reporting_*). This is exactly what the area page's drug deaths
-- chart plots.
SELECT d.area_code, d.year, d.deaths_drug_poisoning, d.deaths_drug_misuse,
    d.members_in_file, d.members_reporting_poisoning, d.members_reporting_misuse,
    d.member_codes
FROM out.area_drug_deaths AS d
WHERE d.area_code IN (
        SELECT area_code FROM reference.stable_areas WHERE area_kind = 'council')
    AND TRUE  -- area filter
ORDER BY d.area_code, d.year
