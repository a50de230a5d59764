"""The 38 PDFs and 211 texts: no crash or hang, unique ids, recommendations, names resolved."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from shared.ingestion.parse import parse_bytes
from shared.ingestion.parsed import ParsedDocument
from tests.data import UPR_DATA, require
from tests.ingestion.corpus import corpus_files

PDFS = corpus_files("reports/pdf", "*.pdf")
TEXTS = corpus_files("texts", "*.txt")
# Reports whose conclusions list no individual recommendations in the source text
# (genuine exceptions of the corpus, not parser gaps): see the ingestion report.
NO_LIST: set[str] = set()
MAX_SECONDS = 10.0


def _parse(path: Path) -> tuple[float, ParsedDocument]:
    start = time.perf_counter()
    doc = parse_bytes(path.read_bytes(), filename=path.name)
    return time.perf_counter() - start, doc


@pytest.mark.parametrize("path", PDFS + TEXTS, ids=lambda p: p.name)
def test_every_report_parses(path: Path) -> None:
    elapsed, doc = _parse(path)
    assert isinstance(doc, ParsedDocument)
    assert elapsed < MAX_SECONDS
    assert doc.kind == "wg_report"
    ids = [r.paragraph for r in doc.recommendations]
    assert len(ids) == len(set(ids))
    if path.name not in NO_LIST:
        assert doc.recommendations, doc.warnings
    assert doc.cycle in (1, 2, None)


def _meta_missing(path: Path) -> bool:
    doc = parse_bytes(path.read_bytes(), filename=path.name)
    return doc.state_under_review is None or doc.session is None


def test_recommending_states_resolve_across_corpus() -> None:
    require(UPR_DATA / "texts")
    total = resolved = 0
    unresolved: Counter[str] = Counter()
    for path in PDFS + TEXTS:
        doc = parse_bytes(path.read_bytes(), filename=path.name)
        for rec in doc.recommendations:
            for state in rec.recommending_states:
                total += 1
                if state.iso3:
                    resolved += 1
                else:
                    unresolved[state.name] += 1
    share = resolved / total
    missing = [p.name for p in PDFS + TEXTS if _meta_missing(p)]
    print(f"documents without State or session: {missing}")
    assert len(missing) <= len(PDFS + TEXTS) // 20
    print(f"\nrecommending States resolved: {resolved}/{total} = {share:.4%}")
    print("unresolved:", unresolved.most_common(40))
    assert total > 20000
    assert share >= 0.99
