"""Reports: what a published database says, for people to read.

The reproduction report (published figures against ours), the national report and a page
per council, drawn with matplotlib and rendered from the Jinja2 templates in templates/.
"""
