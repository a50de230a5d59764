"""Parsing throughput over the 38 WG-report PDFs (no database): docs/s, recs/s, extract share."""

from __future__ import annotations

import json
import time
from pathlib import Path

from shared.ingestion.extract import extract
from shared.ingestion.parse import parse_extracted

ROOT = Path(__file__).resolve().parents[1]
PDFS = ROOT.parent / "shared" / "data" / "upr" / "reports" / "pdf"
OUT = ROOT / "bench" / "results" / "parse.json"


def main(rounds: int = 3) -> None:
    files = sorted(PDFS.glob("*.pdf"))
    if not files:
        raise SystemExit(f"no PDFs at {PDFS}")
    blobs = [(f.name, f.read_bytes()) for f in files]
    extract_s = parse_s = 0.0
    recs = 0
    slowest = (0.0, "")
    for _ in range(rounds):
        for name, data in blobs:
            t0 = time.perf_counter()
            extracted = extract(data, name)
            t1 = time.perf_counter()
            doc = parse_extracted(extracted)
            t2 = time.perf_counter()
            extract_s += t1 - t0
            parse_s += t2 - t1
            recs += len(doc.recommendations)
            slowest = max(slowest, (t2 - t0, name))
    total = extract_s + parse_s
    docs = len(blobs) * rounds
    result = {
        "documents": len(blobs),
        "rounds": rounds,
        "seconds_total": round(total, 3),
        "documents_per_second": round(docs / total, 1),
        "recommendations_per_second": round(recs / total, 1),
        "recommendations_per_round": recs // rounds,
        "extraction_share": round(extract_s / total, 3),
        "slowest_document": {"name": slowest[1], "seconds": round(slowest[0], 4)},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{docs} documents in {total:.2f}s: {result['documents_per_second']} docs/s, "
        f"{result['recommendations_per_second']} recs/s, "
        f"extraction {extract_s / total:.0%} of time; "
        f"slowest {slowest[1]} {slowest[0] * 1000:.0f} ms -> {OUT.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
