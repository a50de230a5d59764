"""UN documents the recommendations come from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from services.api import edge
from services.api.deps import Reader, ReadSession
from services.api.schemas import PageOut
from shared.documents import service
from shared.documents.models import DOCUMENT_KINDS
from shared.documents.schemas import DocumentDetail, DocumentOut
from shared.kernel import validation

router = APIRouter(prefix="/v1/documents", tags=["documents"])
routes = edge.Routes(router)


@routes.read("", PageOut[DocumentOut], "List documents")
async def list_documents(
    paging: edge.Paging,
    session: ReadSession,
    _reader: Reader,
    country: Annotated[list[str], Query()] = [],  # noqa: B006
    kind: Annotated[list[str], Query(description=", ".join(DOCUMENT_KINDS))] = [],  # noqa: B006
    mechanism: Annotated[list[str], Query()] = [],  # noqa: B006
    cycle: Annotated[list[Annotated[int, Field(ge=1, le=20)]], Query()] = [],  # noqa: B006
    symbol: Annotated[list[str], Query()] = [],  # noqa: B006
) -> PageOut[DocumentOut]:
    """Documents, newest first: Working Group reports, Add.1 views, matrices, ..."""
    problems = validation.Problems("query")
    countries = validation.countries(country, "country", problems)
    mechanisms = validation.mechanism_codes(mechanism, "mechanism", problems)
    for k in kind:
        if k not in DOCUMENT_KINDS:
            problems.add("kind", f"unknown kind {k!r}; allowed: {list(DOCUMENT_KINDS)}")
    problems.raise_if_any()
    return await paging.fetch(
        PageOut[DocumentOut],
        service.list_documents,
        session,
        countries=countries,
        kinds=tuple(kind),
        mechanisms=mechanisms,
        cycles=tuple(cycle),
        symbols=tuple(symbol),
    )


@routes.read("/{ident:anything}", DocumentDetail, "One document")
async def get_document(ident: str, session: ReadSession, _reader: Reader) -> DocumentDetail:
    """A document by UUID or by UN symbol (`A/HRC/43/15/Add.1`)."""
    return await service.get_document(session, ident)
