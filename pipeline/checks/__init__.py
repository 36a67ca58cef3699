"""Checks: primary keys, Great Expectations suites and the process that runs them.

Suites are JSON files in expectations/; they run in a separate worker process with a
deadline, so a validator that dies or hangs fails the build instead of passing it.
"""
