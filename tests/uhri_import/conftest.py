"""Export files built at run time from the real UHRI rows (see helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data import UHRI_DATA, require
from tests.fixtures.uhri import build
from tests.uhri_import.helpers import records, write_export


@pytest.fixture
def json_export(tmp_path: Path) -> Path:
    """The 22 real records as a JSON export."""
    require(UHRI_DATA)
    return write_export(tmp_path / "export-full-en.json", records())


@pytest.fixture
def xlsx_export(tmp_path: Path) -> Path:
    """The 6 real USA UPR rows as an xlsx search export."""
    require(UHRI_DATA)
    path = tmp_path / build.XLSX_NAME
    build.build_xlsx(path)
    return path
