"""UN documents the recommendations come from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from services.api import edge
from services.api.deps import Reader, ReadSession
from services.api.schemas import PageOut
from shared.documents import service
from shared.documents.models import DOCUMENT_KINDS
from shared.documents.schemas import DocumentDetail, DocumentOut
from shared.kernel import validation
from shared.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.get("", response_model=PageOut[DocumentOut], summary="List documents")
async def list_documents(
    request: Request,
    response: Response,
    session: ReadSession,
    _reader: Reader,
    country: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[str], Query(description=", ".join(DOCUMENT_KINDS))] = [],  # noqa: B006
    mechanism: Annotated[list[str], Query()] = [],  # noqa: B006
    cycle: Annotated[list[Annotated[int, Field(ge=1, le=20)]], Query()] = [],  # noqa: B006
    symbol: Annotated[list[str], Query()] = [],  # noqa: B006
    limit: edge.LimitParam = DEFAULT_LIMIT,
    cursor: edge.Cursor = None,
) -> PageOut[DocumentOut]:
    """Documents, newest first: Working Group reports, Add.1 views, matrices, ..."""
    problems = validation.Problems("query")
    countries = validation.countries(country, "country", problems)
    mechanisms = validation.mechanism_codes(mechanism, "mechanism", problems)
    for k in kind:
        if k not in DOCUMENT_KINDS:
            problems.add("kind", f"unknown kind {k!r}; allowed: {list(DOCUMENT_KINDS)}")
    problems.raise_if_any()
    page = await service.list_documents(
        session,
        countries=countries,
        kinds=tuple(kind),
        mechanisms=mechanisms,
        cycles=tuple(cycle),
        symbols=tuple(symbol),
        cursor=cursor,
        limit=limit,
    )
    edge.link_header(request, response, page.next_cursor)
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.get("/{ident:path}", response_model=DocumentDetail, summary="One document")
async def get_document(ident: str, session: ReadSession, _reader: Reader) -> DocumentDetail:
    """A document by UUID or by UN symbol (`A/HRC/43/15/Add.1`)."""
    return await service.get_document(session, ident)
