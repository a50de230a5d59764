"""Milestones and evaluations of programmes, each mirrored by a follow-up deadline."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.schemas import Actor
from shared.kernel.patches import invalid
from shared.programmes.models import Evaluation, Milestone, Programme
from shared.programmes.repository import ProgrammeRepository
from shared.programmes.schemas import EvaluationIn, EvaluationOut, MilestoneIn, MilestoneOut
from shared.programmes.service import (
    EVALUATION_RULE,
    MILESTONE_RULE,
    clean_text,
    existing,
    found_part,
    part,
    record_change,
    remove_deadline,
    sync_deadlines,
    writable,
)

Model = TypeVar("Model", bound=BaseModel)
RowT = TypeVar("RowT", Milestone, Evaluation)
InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)


def _milestone_values(data: MilestoneIn) -> dict[str, Any]:
    return {
        "title": " ".join(data.title.split()),
        "due_date": data.due_date,
        "achieved_on": data.achieved_on,
    }


def _evaluation_values(data: EvaluationIn) -> dict[str, Any]:
    return {"date": data.date, "kind": data.kind, "findings": clean_text(data.findings)}


def _patched(model: Model, changes: BaseModel) -> Model:
    """``model`` with ``changes`` applied, validated again as a whole (422 if it breaks)."""
    try:
        return type(model).model_validate(
            {**model.model_dump(), **changes.model_dump(exclude_unset=True)}
        )
    except ValidationError as exc:
        raise invalid(exc) from None


async def _sync_deadline(session: AsyncSession, p: Programme, row: Milestone | Evaluation) -> None:
    """The deadline of one milestone or evaluation follows the row."""
    if isinstance(row, Milestone):
        await sync_deadlines(session, p, [row], [])
    else:
        await sync_deadlines(session, p, [], [row])


@dataclass(frozen=True)
class DatedParts(Generic[RowT, InT, OutT]):
    """Milestones or evaluations: the parts of a programme whose date is a deadline.

    Every change moves the deadline, the programme's version and writes the audit entry
    (``programme.<what>_add|_update|_delete``).
    """

    model: type[RowT]
    fields: type[InT]
    out: type[OutT]
    rule: str
    values: Callable[[InT], dict[str, Any]]
    # The field the audit entry of a deletion names beside the id.
    label: str

    @property
    def what(self) -> str:
        return self.model.__name__.lower()

    def _out(self, row: RowT) -> OutT:
        return self.out.model_validate(row, from_attributes=True)

    async def list_all(self, session: AsyncSession, programme_id: uuid.UUID) -> list[OutT]:
        repo = ProgrammeRepository(session)
        await existing(repo, programme_id)
        return [self._out(row) for row in await repo.parts(self.model, programme_id)]

    async def add(
        self, session: AsyncSession, actor: Actor, programme_id: uuid.UUID, data: InT
    ) -> OutT:
        repo = ProgrammeRepository(session)
        p = await writable(session, actor, programme_id)
        row = self.model(id=uuid.uuid4(), programme_id=p.id, **self.values(data))
        await repo.insert(row)
        await _sync_deadline(session, p, row)
        key = f"{self.what}_id"
        await record_change(
            session, actor, p, f"programme.{self.what}_add", after=part(key, row.id, data)
        )
        return self._out(row)

    async def patch(
        self,
        session: AsyncSession,
        actor: Actor,
        programme_id: uuid.UUID,
        part_id: uuid.UUID,
        changes: BaseModel,
    ) -> OutT:
        p = await writable(session, actor, programme_id)
        row = await found_part(ProgrammeRepository(session), self.model, p.id, part_id)
        before = self.fields.model_validate(row, from_attributes=True)
        data = _patched(before, changes)
        for name, value in self.values(data).items():
            setattr(row, name, value)
        await session.flush()
        await _sync_deadline(session, p, row)
        key = f"{self.what}_id"
        await record_change(
            session,
            actor,
            p,
            f"programme.{self.what}_update",
            before=part(key, row.id, before),
            after=part(key, row.id, data),
        )
        return self._out(row)

    async def delete(
        self, session: AsyncSession, actor: Actor, programme_id: uuid.UUID, part_id: uuid.UUID
    ) -> None:
        """Delete the part with the deadline it implies."""
        repo = ProgrammeRepository(session)
        p = await writable(session, actor, programme_id)
        row = await found_part(repo, self.model, p.id, part_id)
        await remove_deadline(session, p.id, f"{self.rule}{row.id}")
        await repo.remove(row)
        before = {f"{self.what}_id": str(part_id), self.label: getattr(row, self.label)}
        await record_change(session, actor, p, f"programme.{self.what}_delete", before=before)


# A milestone's due date is a deadline, met once achieved.
MILESTONES = DatedParts(
    Milestone, MilestoneIn, MilestoneOut, MILESTONE_RULE, _milestone_values, "title"
)
# An evaluation's date is a deadline, met once it has findings.
EVALUATIONS = DatedParts(
    Evaluation, EvaluationIn, EvaluationOut, EVALUATION_RULE, _evaluation_values, "kind"
)
