"""Milestones and evaluations of programmes, each mirrored by a follow-up deadline."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.schemas import Actor
from shared.errors import NotFound
from shared.programmes.models import (
    Evaluation,
    Milestone,
    Programme,
)
from shared.programmes.repository import ProgrammeRepository
from shared.programmes.schemas import (
    EvaluationIn,
    EvaluationOut,
    EvaluationPatch,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
)
from shared.programmes.service import (
    EVALUATION_RULE,
    MILESTONE_RULE,
    clean_text,
    existing,
    invalid,
    part,
    record_change,
    remove_deadline,
    sync_deadlines,
    writable,
)

Model = TypeVar("Model", bound=BaseModel)


# --- milestones and evaluations -----------------------------------------------------------


def _milestone_out(m: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=m.id,
        programme_id=m.programme_id,
        title=m.title,
        due_date=m.due_date,
        achieved_on=m.achieved_on,
        created_at=m.created_at,
    )


def _evaluation_out(e: Evaluation) -> EvaluationOut:
    return EvaluationOut(
        id=e.id,
        programme_id=e.programme_id,
        date=e.date,
        kind=e.kind,
        findings=e.findings,
        created_at=e.created_at,
    )


def _milestone_values(data: MilestoneIn) -> dict[str, Any]:
    return {
        "title": " ".join(data.title.split()),
        "due_date": data.due_date,
        "achieved_on": data.achieved_on,
    }


def _evaluation_values(data: EvaluationIn) -> dict[str, Any]:
    return {"date": data.date, "kind": data.kind, "findings": clean_text(data.findings)}


def _assign(row: Milestone | Evaluation, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


async def _milestone(
    repo: ProgrammeRepository, programme_id: uuid.UUID, milestone_id: uuid.UUID
) -> Milestone:
    row = await repo.milestone(programme_id, milestone_id)
    if row is None:
        raise NotFound(f"no milestone {milestone_id} in programme {programme_id}")
    return row


async def _evaluation(
    repo: ProgrammeRepository, programme_id: uuid.UUID, evaluation_id: uuid.UUID
) -> Evaluation:
    row = await repo.evaluation(programme_id, evaluation_id)
    if row is None:
        raise NotFound(f"no evaluation {evaluation_id} in programme {programme_id}")
    return row


async def list_milestones(session: AsyncSession, programme_id: uuid.UUID) -> list[MilestoneOut]:
    repo = ProgrammeRepository(session)
    await existing(repo, programme_id)
    return [_milestone_out(m) for m in await repo.milestones(programme_id)]


async def list_evaluations(session: AsyncSession, programme_id: uuid.UUID) -> list[EvaluationOut]:
    repo = ProgrammeRepository(session)
    await existing(repo, programme_id)
    return [_evaluation_out(e) for e in await repo.evaluations(programme_id)]


async def _record_patch(
    session: AsyncSession,
    actor: Actor,
    p: Programme,
    row: Milestone | Evaluation,
    what: str,
    before: BaseModel,
    after: BaseModel,
) -> None:
    """After a patched milestone or evaluation: its deadline follows, the change is
    recorded (programme version, change event, audit entry)."""
    await session.flush()
    if isinstance(row, Milestone):
        await sync_deadlines(session, p, [row], [])
    else:
        await sync_deadlines(session, p, [], [row])
    await record_change(
        session,
        actor,
        p,
        f"programme.{what}_update",
        before=part(f"{what}_id", row.id, before),
        after=part(f"{what}_id", row.id, after),
    )


def _patched(model: Model, changes: BaseModel) -> Model:
    """``model`` with ``changes`` applied, validated again as a whole (422 if it breaks)."""
    try:
        return type(model).model_validate(
            {**model.model_dump(), **changes.model_dump(exclude_unset=True)}
        )
    except ValidationError as exc:
        raise invalid(exc) from None


async def _delete_dated(
    session: AsyncSession,
    actor: Actor,
    p: Programme,
    row: Milestone | Evaluation,
    rule: str,
    action: str,
    before: dict[str, Any],
) -> None:
    """Delete a milestone or evaluation with the deadline it implies."""
    await remove_deadline(session, p.id, rule)
    await ProgrammeRepository(session).remove(row)
    await record_change(session, actor, p, action, before=before)


async def add_milestone(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: MilestoneIn
) -> MilestoneOut:
    """A milestone; its due date becomes a deadline, met once achieved."""
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    row = Milestone(id=uuid.uuid4(), programme_id=p.id, **_milestone_values(data))
    await repo.add_row(row)
    await sync_deadlines(session, p, [row], [])
    await record_change(
        session, actor, p, "programme.milestone_add", after=part("milestone_id", row.id, data)
    )
    return _milestone_out(row)


async def patch_milestone(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    milestone_id: uuid.UUID,
    changes: MilestonePatch,
) -> MilestoneOut:
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    row = await _milestone(repo, p.id, milestone_id)
    before = MilestoneIn(title=row.title, due_date=row.due_date, achieved_on=row.achieved_on)
    data = _patched(before, changes)
    _assign(row, _milestone_values(data))
    await _record_patch(session, actor, p, row, "milestone", before, data)
    return _milestone_out(row)


async def delete_milestone(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, milestone_id: uuid.UUID
) -> None:
    p = await writable(session, actor, programme_id)
    row = await _milestone(ProgrammeRepository(session), p.id, milestone_id)
    await _delete_dated(
        session,
        actor,
        p,
        row,
        f"{MILESTONE_RULE}{row.id}",
        "programme.milestone_delete",
        {"milestone_id": str(milestone_id), "title": row.title},
    )


async def add_evaluation(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: EvaluationIn
) -> EvaluationOut:
    """An evaluation; its date becomes a deadline, met once it has findings."""
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    row = Evaluation(id=uuid.uuid4(), programme_id=p.id, **_evaluation_values(data))
    await repo.add_row(row)
    await sync_deadlines(session, p, [], [row])
    await record_change(
        session, actor, p, "programme.evaluation_add", after=part("evaluation_id", row.id, data)
    )
    return _evaluation_out(row)


async def patch_evaluation(
    session: AsyncSession,
    actor: Actor,
    programme_id: uuid.UUID,
    evaluation_id: uuid.UUID,
    changes: EvaluationPatch,
) -> EvaluationOut:
    repo = ProgrammeRepository(session)
    p = await writable(session, actor, programme_id)
    row = await _evaluation(repo, p.id, evaluation_id)
    before = EvaluationIn(date=row.date, kind=row.kind, findings=row.findings)
    data = _patched(before, changes)
    _assign(row, _evaluation_values(data))
    await _record_patch(session, actor, p, row, "evaluation", before, data)
    return _evaluation_out(row)


async def delete_evaluation(
    session: AsyncSession, actor: Actor, programme_id: uuid.UUID, evaluation_id: uuid.UUID
) -> None:
    p = await writable(session, actor, programme_id)
    row = await _evaluation(ProgrammeRepository(session), p.id, evaluation_id)
    await _delete_dated(
        session,
        actor,
        p,
        row,
        f"{EVALUATION_RULE}{row.id}",
        "programme.evaluation_delete",
        {"evaluation_id": str(evaluation_id), "kind": row.kind},
    )
