"""UHRI export files built from the real rows of ../shared/data/uhri, once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.data import UHRI_DATA, require
from tests.fixtures.uhri import build


@pytest.fixture(scope="session")
def uhri_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(UHRI_DATA)
    folder = tmp_path_factory.mktemp("uhri-exports")
    build.build_json(folder / build.JSON_NAME)
    build.build_xlsx(folder / build.XLSX_NAME)
    return folder


@pytest.fixture(scope="session")
def json_sample(uhri_exports: Path) -> Path:
    """22 real records in the JSON export's shape (see tests/fixtures/uhri/README.md)."""
    return uhri_exports / build.JSON_NAME


@pytest.fixture(scope="session")
def xlsx_sample(uhri_exports: Path) -> Path:
    """The 6 real USA rows in an xlsx laid out as the search export."""
    return uhri_exports / build.XLSX_NAME
