-- real_terms(value, financial_year, base_year [, series]): `value`, in the prices of
-- `financial_year`, re-expressed in the prices of `base_year`, with the default deflator
-- series (HM Treasury's financial-year GDP deflator) or the series named. A year that the
-- series does not hold gives NULL. Example: SELECT real_terms(100, '2013-14', '2024-25').
-- reference.deflate is the one definition; its parameters are named apart from the columns
-- of reference.gdp_deflator so that they cannot be confused with them.
CREATE OR REPLACE MACRO reference.deflate(amount, from_year, to_year, price_series) AS
    amount
    * (SELECT g.deflator_index FROM reference.gdp_deflator AS g
       WHERE g.series = price_series AND g.financial_year = to_year)
    / (SELECT g.deflator_index FROM reference.gdp_deflator AS g
       WHERE g.series = price_series AND g.financial_year = from_year);

CREATE OR REPLACE MACRO real_terms(value, financial_year, base_year) AS
    reference.deflate(value, financial_year, base_year,
        (SELECT any_value(g.series) FROM reference.gdp_deflator AS g WHERE g.is_default)),
    (value, financial_year, base_year, series) AS
    reference.deflate(value, financial_year, base_year, series);
