"""Slovenia across four cycles: official counts and positions (README ground truth)."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from tests.ingestion.corpus import parsed

SLO = "reports/slovenia/"


def positions(relative: str) -> Counter[str | None]:
    return Counter(r.position for r in parsed(relative).recommendations)


def changes(relative: str) -> Counter[str]:
    return Counter(c.position for c in parsed(relative).position_changes)


@pytest.mark.parametrize(
    ("name", "symbol", "session", "cycle", "expected"),
    [
        ("C1_A_HRC_14_15_WG_report.pdf", "A/HRC/14/15", 7, 1, {"pending": 97}),
        ("C2_A_HRC_28_15_WG_report.pdf", "A/HRC/28/15", 20, 2, {"pending": 163}),
        ("C3_A_HRC_43_15_WG_report.pdf", "A/HRC/43/15", 34, 3, {"supported": 58, "pending": 157}),
        ("C4_A_HRC_59_15_WG_report.pdf", "A/HRC/59/15", 48, 4, {"pending": 254}),
    ],
)
def test_wg_report_counts(
    name: str, symbol: str, session: int, cycle: int, expected: dict[str, int]
) -> None:
    doc = parsed(SLO + name)
    assert doc.kind == "wg_report"
    assert doc.symbol == symbol
    assert doc.state_under_review == "SVN"
    assert (doc.session, doc.cycle) == (session, cycle)
    assert positions(SLO + name) == expected
    assert all(r.position_source == symbol for r in doc.recommendations)


def test_c1_items_numbered_under_lead_in() -> None:
    doc = parsed(SLO + "C1_A_HRC_14_15_WG_report.pdf")
    first = doc.recommendations[0]
    assert (first.paragraph, first.printed_number) == ("111.1", "1")
    assert [s.iso3 for s in first.recommending_states] == ["DZA", "EGY", "BIH", "ARG"]
    assert doc.recommendations[-1].paragraph == "111.97"


def test_c3_ids_states_and_lead_in_wording() -> None:
    doc = parsed(SLO + "C3_A_HRC_43_15_WG_report.pdf")
    by_id = {r.paragraph: r for r in doc.recommendations}
    assert [s.iso3 for s in by_id["121.1"].recommending_states] == ["FRA", "LTU"]
    # Several asks in one item, each with its own State.
    assert [s.iso3 for s in by_id["121.2"].recommending_states] == ["UKR", "SVK"]
    assert [s.iso3 for s in by_id["121.3"].recommending_states] == ["GBR"]
    assert "(No. 29)" in by_id["121.3"].text
    assert by_id["122.157"].position_raw
    assert "will be examined" in by_id["122.157"].position_raw
    assert doc.date == datetime.date(2019, 12, 19)


def test_c2_multi_state_parenthesis() -> None:
    doc = parsed(SLO + "C2_A_HRC_28_15_WG_report.pdf")
    by_id = {r.paragraph: r for r in doc.recommendations}
    assert [s.iso3 for s in by_id["115.4"].recommending_states] == ["ESP", "TUN", "PRT"]
    assert [r.paragraph for r in doc.recommendations] == [f"115.{n}" for n in range(1, 164)]


def test_c2_add1_bare_numbers_take_report_paragraph() -> None:
    doc = parsed(SLO + "C2_A_HRC_28_15_Add1_views.pdf")
    assert doc.kind == "add1_views"
    assert doc.report_symbol == "A/HRC/28/15"
    assert changes(SLO + "C2_A_HRC_28_15_Add1_views.pdf") == {"supported": 142, "noted": 21}
    assert {c.paragraph for c in doc.position_changes} == {f"115.{n}" for n in range(1, 164)}


def test_c3_add1_resolves_the_pending_157() -> None:
    doc = parsed(SLO + "C3_A_HRC_43_15_Add1_views.pdf")
    assert doc.report_symbol == "A/HRC/43/15"
    assert changes(SLO + "C3_A_HRC_43_15_Add1_views.pdf") == {"supported": 124, "noted": 33}
    pending = {
        r.paragraph
        for r in parsed(SLO + "C3_A_HRC_43_15_WG_report.pdf").recommendations
        if r.position == "pending"
    }
    assert {c.paragraph for c in doc.position_changes} == pending
    by_id = {c.paragraph: c.position for c in doc.position_changes}
    # Ranges with odd separators: "122.17-18", "122.34- 35", "122.62-\n66".
    assert by_id["122.18"] == by_id["122.35"] == by_id["122.64"] == "supported"


def test_c4_add1_counts_and_period_separators() -> None:
    doc = parsed(SLO + "C4_A_HRC_59_15_Add1_views.pdf")
    assert changes(SLO + "C4_A_HRC_59_15_Add1_views.pdf") == {"supported": 217, "noted": 37}
    by_id = {c.paragraph: c.position for c in doc.position_changes}
    assert by_id["140.35"] == by_id["140.36"] == "supported"  # "140.35. 140.36"
    assert len(by_id) == 254


def test_c1_add1_item_by_item() -> None:
    doc = parsed(SLO + "C1_A_HRC_14_15_Add1_views.pdf")
    by_id = {c.paragraph: c.position for c in doc.position_changes}
    assert by_id["5"] == by_id["9"] == "supported"  # "5., 6., 7., 8., 9. ... accepts"
    assert doc.report_symbol == "A/HRC/14/15"


@pytest.mark.parametrize(
    "cycle", ["C1_A_HRC_DEC_14_105", "C2_A_HRC_DEC_28_111", "C3_A_HRC_DEC_43_112"]
)
def test_outcome_decisions_are_other(cycle: str) -> None:
    doc = parsed(f"{SLO}{cycle}_outcome_decision.pdf")
    assert doc.kind == "other"
    assert doc.recommendations == ()
    assert doc.symbol is not None
    assert "/DEC/" in doc.symbol


def test_text_extraction_of_the_same_report_agrees() -> None:
    pdf = parsed(SLO + "C3_A_HRC_43_15_WG_report.pdf")
    txt = parsed(SLO + "C3_A_HRC_43_15_WG_report.txt")
    assert [r.paragraph for r in txt.recommendations] == [r.paragraph for r in pdf.recommendations]
