"""Derivation rules: which follow-up deadlines a document implies.

Pure functions over a few facts, so the rules are easy to read and to test. Where the
source documents do not say a date, the rules approximate it, as documented per rule:

- ``upr.hrc_response``: a State answers pending UPR recommendations by the Human Rights
  Council session that adopts the outcome. The report text names that session, but it
  is not parsed yet: due ``hrc_response_months`` (3) after the WG report date, roughly
  the next regular session (the Council meets in March, June and September). Met when
  no recommendation of the report is pending any more.
- ``upr.midterm_report``: mid-term report ``midterm_years`` (2) after the adoption of
  the outcome; adoption is the date of the report's Add.1 when one is known, else the
  report date + ``adoption_months`` (4). Met when a mid-term report of the State for
  a later date is ingested.
- ``upr.next_review``: next review ``next_review_months`` (54, about 4.5 years) after
  the last WG report of the State; one deadline per country that moves with it.
- ``treaty.followup``: follow-up report 1 year after concluding observations (2 for
  CEDAW and CMW).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from shared.reference.countries import by_iso3

HRC_RESPONSE = "upr.hrc_response"
MIDTERM_REPORT = "upr.midterm_report"
NEXT_REVIEW = "upr.next_review"
TREATY_FOLLOWUP = "treaty.followup"


@dataclass(frozen=True, slots=True)
class RuleConfig:
    hrc_response_months: int = 3
    adoption_months: int = 4
    midterm_years: int = 2
    next_review_months: int = 54
    treaty_followup_years: int = 1
    treaty_followup_years_by_body: dict[str, int] = field(
        default_factory=lambda: {"CEDAW": 2, "CMW": 2}
    )


RULES = RuleConfig()


@dataclass(frozen=True, slots=True)
class Derived:
    """One deadline a rule implies; ``create=False`` only updates an existing one."""

    rule: str
    kind: str
    subject_type: str
    subject_id: str
    due_date: dt.date
    country: str | None
    title: str
    met: bool = False
    create: bool = True


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the rules need to know about one UPR working-group report."""

    document_id: str
    symbol: str
    date: dt.date
    country: str
    cycle: int | None
    pending: int
    recommendations: int
    add1_date: dt.date | None
    midterm_submitted: bool
    is_latest: bool


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def country_name(iso3: str | None) -> str:
    if iso3 is None:
        return "unknown State"
    country = by_iso3().get(iso3)
    return country.name if country else iso3


def on_document(
    rule: str,
    kind: str,
    document_id: str,
    country: str | None,
    due_date: dt.date,
    title: str,
    *,
    met: bool = False,
    create: bool = True,
) -> Derived:
    """A deadline whose subject is one document (of the State ``country``)."""
    return Derived(rule, kind, "document", document_id, due_date, country, title, met, create)


def for_wg_report(facts: ReportFacts, rules: RuleConfig = RULES) -> list[Derived]:
    name = country_name(facts.country)
    cycle = f" (cycle {facts.cycle})" if facts.cycle else ""
    out: list[Derived] = []
    if facts.recommendations:
        out.append(
            on_document(
                HRC_RESPONSE,
                "hrc_response",
                facts.document_id,
                facts.country,
                add_months(facts.date, rules.hrc_response_months),
                f"{name}: responses to pending UPR recommendations of {facts.symbol}",
                met=facts.pending == 0,
                # Nothing pending and no deadline yet: there is nothing to answer.
                create=facts.pending > 0,
            )
        )
    adoption = facts.add1_date or add_months(facts.date, rules.adoption_months)
    out.append(
        on_document(
            MIDTERM_REPORT,
            "upr_midterm_report",
            facts.document_id,
            facts.country,
            add_months(adoption, 12 * rules.midterm_years),
            f"{name}: UPR mid-term report{cycle} on {facts.symbol}",
            met=facts.midterm_submitted,
        )
    )
    if facts.is_latest:
        out.append(
            Derived(
                rule=NEXT_REVIEW,
                kind="upr_next_review",
                subject_type="country",
                subject_id=facts.country,
                due_date=add_months(facts.date, rules.next_review_months),
                country=facts.country,
                title=f"{name}: next Universal Periodic Review",
            )
        )
    return out


def for_concluding_observations(
    document_id: str,
    symbol: str,
    date: dt.date,
    country: str | None,
    body: str,
    rules: RuleConfig = RULES,
) -> list[Derived]:
    years = rules.treaty_followup_years_by_body.get(body, rules.treaty_followup_years)
    title = f"{country_name(country)}: {body} follow-up on concluding observations {symbol}"
    due_date = add_months(date, 12 * years)
    return [on_document(TREATY_FOLLOWUP, "treaty_followup", document_id, country, due_date, title)]
