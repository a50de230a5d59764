"""Reference lists shipped as package data (UN member States, UHRI taxonomies, SDG targets).

The CSV files in ``data/`` are copies of the project's reference taxonomies; their sources
and derivation rules are in ``data/SOURCES.md``.
"""
