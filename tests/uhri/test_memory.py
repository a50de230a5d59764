"""The JSON reader streams: memory does not grow with the size of the export."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from shared.uhri import UhriReport, iter_json_export
from tests.uhri.samples import write_json_export

RECORDS = 50_000
PEAK_LIMIT = 50 * 1024 * 1024


def test_json_reader_peak_memory_is_small_on_a_large_export(tmp_path: Path) -> None:
    path = tmp_path / "export-full-en.json"
    size = write_json_export(path, RECORDS)
    assert size > 60 * 1024 * 1024  # the file is larger than the limit below
    report = UhriReport()
    count = 0
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            for _record in iter_json_export(handle, report=report):
                count += 1
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == RECORDS
    assert report.error_count == 0
    assert peak < PEAK_LIMIT, f"peak Python allocations {peak / 2**20:.1f} MiB"
