"""Query parameters and headers of keyset-paginated lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

LimitParam = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"page size (default {DEFAULT_LIMIT})")
]


def next_url(request: Request, cursor: str) -> str:
    return str(request.url.include_query_params(cursor=cursor))


def link_header(request: Request, response: Response, cursor: str | None) -> None:
    if cursor is not None:
        response.headers["Link"] = f'<{next_url(request, cursor)}>; rel="next"'
