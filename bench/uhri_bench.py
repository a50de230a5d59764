"""Benchmark of the UHRI JSON reader (not a test).

Generates a JSON export of 300,000 records in the real format (copies of the 22 real
rows of ../shared/data/uhri, shaped by tests/fixtures/uhri/build.py, each with its own id)
in a temporary folder, stream-parses it to normalized records, and prints and writes the
figures to bench/results/uhri_parse.json.

    .venv/bin/python bench/uhri_bench.py [--records N]

Targets for the whole import (parse + database): >= 5,000 records/s and <= 300 MB RSS.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ijson  # noqa: E402

from shared.uhri import UhriReport, iter_json_export  # noqa: E402
from tests.data import UHRI_DATA  # noqa: E402
from tests.uhri.samples import write_json_export  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "uhri_parse.json"


def _rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300_000)
    args = parser.parse_args()
    if not UHRI_DATA.exists():
        print(f"the real UHRI rows are needed as templates: {UHRI_DATA} not found")
        return 1

    with tempfile.TemporaryDirectory(prefix="uhri-bench-") as folder:
        path = Path(folder) / "export-full-en.json"
        started = time.perf_counter()
        size = write_json_export(path, args.records)
        generated = time.perf_counter() - started
        rss_before = _rss_mb()

        # The raw ijson rate, as a floor for what normalization costs.
        started = time.perf_counter()
        with path.open("rb") as handle:
            raw_count = sum(1 for _ in ijson.items(handle, "item", use_float=True))
        raw_seconds = time.perf_counter() - started

        report = UhriReport()
        started = time.perf_counter()
        with path.open("rb") as handle:
            count = sum(1 for _ in iter_json_export(handle, report=report))
        seconds = time.perf_counter() - started
        peak_rss = _rss_mb()

    figures = {
        "benchmark": "uhri_json_parse",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": count,
        "record_errors": report.error_count,
        "file_mb": round(size / 2**20, 1),
        "generate_seconds": round(generated, 2),
        "ijson_only_seconds": round(raw_seconds, 2),
        "ijson_only_records_per_s": round(raw_count / raw_seconds),
        "parse_seconds": round(seconds, 2),
        "records_per_s": round(count / seconds),
        "mb_per_s": round(size / 2**20 / seconds, 1),
        "rss_before_parse_mb": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss, 1),
        "ijson_backend": ijson.backend,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if count == args.records and not report.error_count else 1


if __name__ == "__main__":
    sys.exit(main())
