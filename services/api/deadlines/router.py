"""Deadlines: derived from documents, mandates and programmes, or entered by hand."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.api import edge
from services.api.deps import DataWriter, Reader, ReadSession, WriteSession
from services.api.schemas import PageOut
from shared.deadlines import schemas, service

router = APIRouter(prefix="/v1/deadlines", tags=["deadlines"])
routes = edge.Routes(router)


def deadline_filter(
    country: edge.CountryParam = [],  # noqa: B006
    kind: Annotated[list[schemas.DeadlineKind], Query()] = [],  # noqa: B006
    subject: Annotated[
        list[schemas.SubjectType], Query(description="type of the subject the deadline is about")
    ] = [],  # noqa: B006
    subject_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[list[schemas.DeadlineStatus], Query()] = [],  # noqa: B006
    due_before: Annotated[dt.date | None, Query(description="due strictly before")] = None,
    due_after: Annotated[dt.date | None, Query(description="due strictly after")] = None,
) -> schemas.DeadlineFilter:
    return schemas.DeadlineFilter(
        countries=edge.country_codes(country),
        kinds=tuple(dict.fromkeys(kind)),
        subject_types=tuple(dict.fromkeys(subject)),
        subject_id=subject_id,
        statuses=tuple(dict.fromkeys(status)),
        due_before=due_before,
        due_after=due_after,
    )


Filter = Annotated[schemas.DeadlineFilter, Depends(deadline_filter)]


@routes.read("", PageOut[schemas.DeadlineOut], "List deadlines")
async def list_deadlines(
    paging: edge.Paging, session: ReadSession, _reader: Reader, f: Filter
) -> PageOut[schemas.DeadlineOut]:
    """Follow-up deadlines matching every filter given, soonest first (then by id).

    `origin` tells whether a rule derived the deadline (responses to pending UPR
    recommendations, mid-term report, next review, treaty-body follow-up, mandates,
    programmes) or someone entered it by hand. Open deadlines become `missed` once their
    due date has passed, unless marked `met`.
    """
    return await paging.fetch(PageOut[schemas.DeadlineOut], service.list_page, session, f)


@routes.read("/{deadline_id}", schemas.DeadlineOut, "One deadline")
async def get_deadline(
    deadline_id: uuid.UUID, if_none_match: edge.IfNoneMatch, session: ReadSession, _reader: Reader
) -> Response:
    """One deadline, with an `ETag` (send `If-None-Match` for a 304)."""
    return edge.current(await service.get(session, deadline_id), if_none_match)


@routes.create("", schemas.DeadlineOut, "Enter a deadline by hand")
async def create_deadline(
    data: schemas.DeadlineIn, request: Request, session: WriteSession, actor: DataWriter
) -> Response:
    """Enter a deadline no rule derives. Needs the scope that maintains its subject
    (`recommendations:write` for recommendations, documents and countries,
    `programmes:write`, `mandates:write`) or `admin`, and a key allowed for its country.
    Derivation never changes a manual deadline."""
    item = await service.create_manual(session, actor, data)
    return edge.created(request, item, "get_deadline", deadline_id=item.id)


Deadline = Annotated[edge.Target, edge.target_of("deadline_id", WriteSession, DataWriter)]


@routes.change("/{deadline_id}", schemas.DeadlineOut, "Change a deadline")
async def patch_deadline(
    data: schemas.DeadlinePatch, version: edge.IfMatch, target: Deadline
) -> Response:
    """Mark a deadline `met` (or reopen it), or change a manual deadline's date and texts.

    Needs `If-Match` with the deadline's ETag (412 when someone changed it meanwhile).
    """
    return edge.versioned(await service.patch(*target.args, version, data))
