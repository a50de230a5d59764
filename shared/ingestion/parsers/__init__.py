"""Parsers for the UPR document kinds: WG reports, Add.1 views and matrices."""
