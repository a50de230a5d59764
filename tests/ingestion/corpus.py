"""Shared, cached access to the real-document corpus for the ingestion tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from shared.ingestion.parse import parse_bytes
from shared.ingestion.parsed import ParsedDocument
from tests.data import UPR_DATA, require


@cache
def parsed(relative: str) -> ParsedDocument:
    """Parse a corpus file once per test session."""
    path = require(UPR_DATA / relative)
    return parse_bytes(path.read_bytes(), filename=path.name)


def corpus_files(folder: str, pattern: str) -> list[Path]:
    root = UPR_DATA / folder
    return sorted(root.glob(pattern)) if root.exists() else []
