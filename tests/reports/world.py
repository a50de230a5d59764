"""A State's recommendations with progress, assessments and an action plan, built directly
in the database (the report and spreadsheet tests read them back)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from shared.action_plans.models import Action, ActionPlan, ActionRecommendation
from shared.assessments.models import Assessment
from shared.deadlines.models import Deadline
from shared.documents.models import Document
from shared.recommendations.models import ImplementationUpdate, Recommendation
from tests.recommendations import factory

# (paragraph, themes, position, latest government status or None)
UPR = [
    ("110.1", ["A12"], "supported", "in_progress"),
    ("110.2", ["A45", "D51"], "supported", "implemented"),
    ("110.3", ["D51"], "noted", None),
    ("110.4", ["E41"], "supported", "partially_implemented"),
    ("110.5", ["G3"], "partially_supported", "not_started"),
    ("110.10", ["Access to justice & remedy"], "supported", "in_progress"),
    ("110.11", [], "noted", None),
]


@dataclass
class World:
    upr: Document
    ccpr: Document
    recs: dict[str, Recommendation]
    plan: ActionPlan
    actions: list[Action]
    tb_recs: list[Recommendation] = field(default_factory=list)


def update(
    rec: Recommendation,
    status: str,
    narrative: str,
    *,
    source: str = "government",
    author: str | None = None,
    evidence: list[str] | None = None,
    day: int = 1,
) -> ImplementationUpdate:
    return ImplementationUpdate(
        id=uuid.uuid4(),
        recommendation_id=rec.id,
        status=status,
        narrative=narrative,
        evidence_links=evidence or [],
        source=source,
        author=author,
        reported_on=dt.date(2024, 3, day),
    )


async def build_world(session: AsyncSession, country: str = "PRY") -> World:
    upr = await factory.document(
        session, f"A/HRC/48/{country}", country, dt.date(2021, 7, 1), cycle=3, session_no=38
    )
    recs: dict[str, Recommendation] = {}
    for paragraph, themes, position, _ in UPR:
        recs[paragraph] = await factory.recommendation(
            session,
            upr,
            paragraph,
            f"Recommendation text {paragraph}",
            recommending=[("France", "FRA"), ("Chile", "CHL")],
            position=position,
            themes=themes,
            institutions=["Ministry of Justice"] if paragraph != "110.11" else [],
        )
    for paragraph, _, _, status in UPR:
        if status is None:
            continue
        rec = recs[paragraph]
        # An older update first: the report shows the newest one.
        session.add(update(rec, "not_started", "Work has not begun.", day=1))
        await session.flush()
        session.add(
            update(
                rec,
                status,
                f"Progress on {paragraph}.",
                evidence=[f"https://example.org/evidence/{paragraph}"],
                day=2,
            )
        )
        rec.status = status
        await session.flush()
    # Independent assessments: the annex shows them, the status never comes from them.
    session.add(
        update(
            recs["110.1"], "not_started", "Nothing seen yet.", source="nhri", author="Defensoría"
        )
    )
    session.add(
        update(
            recs["110.3"],
            "in_progress",
            "Some movement.",
            source="civil_society",
            author="Coordinadora de Derechos Humanos",
        )
    )
    session.add(
        Assessment(
            id=uuid.uuid4(),
            recommendation_id=recs["110.4"].id,
            country=country,
            source="nhri",
            organisation="Defensoría del Pueblo",
            status="partially_implemented",
            narrative="Clinics opened in two departments only.",
            evidence_links=["https://example.org/nhri/report"],
            assessed_on=dt.date(2024, 4, 1),
            author="María Pérez",
            version=1,
        )
    )
    plan = ActionPlan(id=uuid.uuid4(), country=country, title="Plan 2022-2026", status="adopted")
    session.add(plan)
    await session.flush()
    actions = [
        Action(id=uuid.uuid4(), plan_id=plan.id, country=country, description="Reform the courts"),
        Action(id=uuid.uuid4(), plan_id=plan.id, country=country, description="Train the police"),
    ]
    for action in actions:
        session.add(action)
        await session.flush()
    for action, paragraphs in zip(actions, [["110.1", "110.2"], ["110.2", "110.3"]], strict=True):
        for paragraph in paragraphs:
            session.add(
                ActionRecommendation(action_id=action.id, recommendation_id=recs[paragraph].id)
            )
    ccpr = await factory.document(
        session,
        f"CCPR/C/{country}/CO/4",
        country,
        dt.date(2019, 8, 20),
        kind="concluding_observations",
        mechanism="CCPR",
    )
    tb_recs = [
        await factory.recommendation(session, ccpr, p, f"Treaty text {p}", recommending=[])
        for p in ("12", "14", "30")
    ]
    # Paragraph 12 and 30 are selected for follow-up; 14 is not.
    for rec in (tb_recs[0], tb_recs[2]):
        session.add(
            Deadline(
                id=uuid.uuid4(),
                kind="treaty_followup",
                due_date=dt.date(2021, 8, 20),
                subject_type="recommendation",
                subject_id=str(rec.id),
                country=country,
                title="CCPR follow-up",
                origin="manual",
                status="open",
            )
        )
    await session.flush()
    return World(upr=upr, ccpr=ccpr, recs=recs, plan=plan, actions=actions, tb_recs=tb_recs)
