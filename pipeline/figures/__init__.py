"""Figures: one number from the published database, defined, and checked against a claim.

`answer` turns a question (area, category, basis, years, statistic, prices) into a value with
its definition, SQL and coverage; `claims` compares published figures with ours; `words`
reads the question's vocabulary; `output` prints it for `spendtrack check`.
"""
