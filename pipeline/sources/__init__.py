"""Sources: the registry of every source file, its archive in data_raw/, and fetching.

Reads sources.toml, verifies archived bytes against their checksums, downloads over https
from the official addresses (the GOV.UK Content API client is in ``govuk``), finds new
releases and pins or adds them. Depends only on config and errors.
"""
