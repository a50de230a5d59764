"""Real UHRI rows (from ../shared/data/uhri, see tests/fixtures/uhri) and exports made of them."""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from tests.data import UHRI_DATA, require
from tests.fixtures.uhri import build

PERU_ID = "a9ceae8c-fe1c-40f9-a326-1529e0ab678f"
USA_FIRST_ID = "4c46ccbd-bfb2-4eca-876d-c12d86050b2c"


@cache
def _json_records() -> tuple[str, ...]:
    return tuple(json.dumps(record) for record in build.export_records())


def json_records() -> list[dict[str, Any]]:
    """The 22 real records in the JSON export's shape (fresh copies: tests may change them).

    Skips the calling test when the shared corpus is absent.
    """
    require(UHRI_DATA)
    return [json.loads(record) for record in _json_records()]


def record(annotation_id: str) -> dict[str, Any]:
    """One real record, by annotation id."""
    for candidate in json_records():
        if candidate["AnnotationId"] == annotation_id:
            return candidate
    raise KeyError(annotation_id)


def peru() -> dict[str, Any]:
    """The real CRC/Peru JSON-export record."""
    return record(PERU_ID)


def usa_upr() -> dict[str, Any]:
    """The first real USA UPR record (A/HRC/46/15 para 26.1) in the JSON shape."""
    return record(USA_FIRST_ID)


def write_json_export(path: Path, count: int) -> int:
    """Write a JSON export of ``count`` records, cycling through the real ones.

    Each copy gets a new annotation id (and UPR copies a new paragraph number); the file is
    written record by record, so generating it takes no more memory than reading it.
    Returns the file's size in bytes.
    """
    templates = json_records()
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for number in range(count):
            item = copy.copy(templates[number % len(templates)])
            item["AnnotationId"] = str(uuid.UUID(int=number + 1))
            if item["Body"] == "- UPR":
                item["Text"] = f"{100 + number // 1000}.{number % 1000} " + item["Text"][5:]
            if number:
                handle.write(",")
            handle.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        handle.write("]")
    return path.stat().st_size
