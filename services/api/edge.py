"""The HTTP edge every router uses: responses, conditional requests, errors, pagination.

Routers translate HTTP into service calls and back; everything HTTP-specific they share
lives here, so that one rule has one spelling and the OpenAPI document can tell what each
operation sends and returns (``services/api/openapi.py`` reads the declarations below):

- route declarations by kind: ``Routes`` (``read``, ``create``, ``change``, ``replace``,
  ``delete``), one line each;
- responses: ``versioned`` (JSON + ``ETag``), ``current`` (the same or 304 for a matching
  ``If-None-Match``), ``created`` (201 + ``Location`` + ``ETag``, declared with
  ``Routes.create``), ``paged`` (``Link``);
- ``Target``: the resource a write acts on, the caller and the session, in one dependency
  (``target_of`` declares it; ``path_id`` reads an id whose name is known at run time);
- conditional headers, as dependencies declared in the document: ``IfMatch`` (a write
  that needs the version: 428 without it, 412 when stale), ``OptionalIfMatch`` (a write
  that checks the version only when sent), ``IfNoneMatch`` (a cacheable read);
- errors: ``raises(...)`` on a dependency and ``errors(...)`` on a route declare the
  problem statuses they can produce; the document lists, per operation, only those;
- pagination and common query parameters: ``Paging`` (``LimitParam`` and ``Cursor``;
  ``paging.fetch`` calls a service's list and answers its page), ``CountryParam``,
  ``StateParam``, ``CycleParam``.
"""

from __future__ import annotations

import hashlib
import inspect
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import parse_qsl, quote_plus, urlencode

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import QueryParams

from services.api.problems import MEDIA_TYPE, STATUS_TITLES
from shared.auth.schemas import Actor
from shared.errors import InvalidInput, PreconditionFailed, PreconditionRequired
from shared.kernel import validation
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

JSON = "application/json"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

F = TypeVar("F", bound=Callable[..., Any])

# --- error declarations ----------------------------------------------------------------------

_RAISES: dict[Callable[..., Any], frozenset[int]] = {}


def raises(*statuses: int) -> Callable[[F], F]:
    """Declare the problem statuses a dependency can answer with. Every operation that
    depends on it (directly or through another dependency) declares them."""

    def mark(call: F) -> F:
        _RAISES[call] = _RAISES.get(call, frozenset()) | frozenset(statuses)
        return call

    return mark


def declared_by(call: Callable[..., Any]) -> frozenset[int]:
    return _RAISES.get(call, frozenset())


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    """One `responses` entry: a problem+json document of the `Problem` schema."""
    return {
        "description": description or STATUS_TITLES.get(status, "Error"),
        "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
    }


def errors(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """The problems a route's service can answer with beyond those its parameters and
    dependencies imply (a 409 on a conflict, a 404 for a referenced id in the body...).
    ``errors(409)``, or with a description: ``errors(**{"409": "in use"})``."""
    out: dict[int | str, dict[str, Any]] = {s: problem_response(s) for s in statuses}
    for status, description in described.items():
        out[int(status)] = problem_response(int(status), description)
    return out


# --- conditional requests --------------------------------------------------------------------


def request_digest(request: Request) -> str:
    """What a GET asks for: its path and query parameters in a canonical order (an ETag
    that holds a data snapshot is only matched to the same question)."""
    return _digest(request.url.path, request.scope["query_string"])


# Clients ask the same questions again and again (the next poll, the next visitor).
@lru_cache(maxsize=1024)
def _digest(path: str, query_string: bytes) -> str:
    items = sorted(QueryParams(query_string).multi_items())
    return hashlib.sha256(orjson.dumps([path, items])).hexdigest()[:16]


def etag_for(version: int) -> str:
    return f'"v{version}"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """True when the client's If-None-Match already names this representation."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _version_of(if_match: str) -> int:
    tag = if_match.strip().removeprefix("W/")
    digits = tag[2:-1]
    # isascii: str.isdigit also accepts superscripts, which int() refuses.
    if not (tag.startswith('"v') and tag.endswith('"') and digits.isascii() and digits.isdigit()):
        raise PreconditionFailed(
            "If-Match does not name a version of this resource", code="stale_version"
        )
    return int(tag[2:-1])


_IF_MATCH_DOC = "the `ETag` of the version this write is based on"
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description=_IF_MATCH_DOC, max_length=200)
]


@raises(412, 428)
async def required_version(if_match: IfMatchHeader = None) -> int:
    """The version a write is based on, from If-Match; 428 without it."""
    if not if_match:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you are changing",
            code="if_match_required",
        )
    return _version_of(if_match)


@raises(412)
async def optional_version(if_match: IfMatchHeader = None) -> int | None:
    """The If-Match version when one is sent (for writes that accept it without needing it)."""
    return _version_of(if_match) if if_match else None


async def if_none_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            description="an `ETag` you hold: 304 without a body when it is still current",
            max_length=2000,
        ),
    ] = None,
) -> str | None:
    return value


IfMatch = Annotated[int, Depends(required_version)]
OptionalIfMatch = Annotated[int | None, Depends(optional_version)]
IfNoneMatch = Annotated[str | None, Depends(if_none_match)]


# --- responses -------------------------------------------------------------------------------


class Versioned(Protocol):
    @property
    def version(self) -> int: ...

    def model_dump_json(self) -> str: ...


def json_response(
    body: str | bytes, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON text already built (a model's dump, a stored item, a cached answer)."""
    return Response(content=body, status_code=status_code, media_type=JSON, headers=headers)


def versioned(model: Versioned, *, status_code: int = 200) -> Response:
    """The resource as JSON with the `ETag` of its version. (`Vary: Authorization` on
    reads whose body depends on the caller comes from services/api/caching.py.)"""
    headers = {"ETag": etag_for(model.version)}
    return json_response(model.model_dump_json(), status_code=status_code, headers=headers)


def current(model: Versioned, if_none_match: str | None) -> Response:
    """304 when the client already holds this version, else the JSON with its ETag."""
    etag = etag_for(model.version)
    if not_modified(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return versioned(model)


def current_json(json: str, version: int, if_none_match: str | None) -> Response:
    """`current` for a JSON text already built (the hot reads)."""
    etag = etag_for(version)
    if not_modified(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return json_response(json.encode(), headers={"ETag": etag})


def set_etag(response: Response, version: int) -> None:
    """For routes that return a model and take the injected ``Response``."""
    response.headers["ETag"] = etag_for(version)


def location(request: Request, route: str, **path_params: object) -> str:
    return str(request.url_for(route, **{k: str(v) for k, v in path_params.items()}))


class Routes:
    """The kinds of route a resource has, each declared in one line with the rules of its
    kind (``declaration``: further arguments of the router's decorator, such as
    ``responses`` or ``tags``):

    - ``read``: GET, 200 with ``model``;
    - ``create``: POST, 201 with ``model`` (the route answers with ``created``, or sets
      ``Location`` itself);
    - ``change``: PATCH, 200 with ``model``; ``replace``: PUT, 200 with ``model``;
    - ``delete``: DELETE, 204 without a body (the route returns None).
    """

    __slots__ = ("router",)

    def __init__(self, router: APIRouter) -> None:
        self.router = router

    def read(self, path: str, model: Any, summary: str, **declaration: Any) -> Callable[[F], F]:
        return self.router.get(path, response_model=model, summary=summary, **declaration)

    def create(self, path: str, model: Any, summary: str, **declaration: Any) -> Callable[[F], F]:
        return self.router.post(
            path, response_model=model, status_code=201, summary=summary, **declaration
        )

    def change(self, path: str, model: Any, summary: str, **declaration: Any) -> Callable[[F], F]:
        return self.router.patch(path, response_model=model, summary=summary, **declaration)

    def replace(self, path: str, model: Any, summary: str, **declaration: Any) -> Callable[[F], F]:
        return self.router.put(path, response_model=model, summary=summary, **declaration)

    def delete(self, path: str, summary: str, **declaration: Any) -> Callable[[F], F]:
        return self.router.delete(
            path, status_code=204, response_class=Response, summary=summary, **declaration
        )


def created(request: Request, model: Versioned, route: str, **path_params: object) -> Response:
    """201 with the new resource, its `ETag` and its `Location` (the URL of ``route``)."""
    response = versioned(model, status_code=201)
    response.headers["Location"] = location(request, route, **path_params)
    return response


def set_location(request: Request, response: Response, route: str, **path_params: object) -> None:
    """`Location` of a created resource, for routes that return a model."""
    response.headers["Location"] = location(request, route, **path_params)


@dataclass(frozen=True, slots=True)
class Target:
    """The resource a route acts on (its id, from the path), the caller and the session: the
    dependencies of a route on one resource, in one (each router declares its own, with
    the path parameter's name and the caller it needs)."""

    id: uuid.UUID
    session: AsyncSession
    actor: Actor

    @property
    def args(self) -> tuple[AsyncSession, Actor, uuid.UUID]:
        """The first arguments of a service call on the target: ``(session, actor, id)``."""
        return self.session, self.actor, self.id


# --- request bodies --------------------------------------------------------------------------

CSV_UPLOAD: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}
"""``openapi_extra`` of a CSV import: the file as the body, or as the `file` field of a
form (what browsers and most generated clients send)."""


@raises(400, 413, 422)
async def csv_upload(request: Request) -> bytes:
    """The bytes of an uploaded CSV file, sent as the body (`text/csv`) or as the `file`
    part of a `multipart/form-data` form."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return await request.body()
    # A malformed form is Starlette's 400 problem.
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("send the CSV file in the form field `file`", code="file_required")
        return await upload.read()


CsvUpload = Annotated[bytes, Depends(csv_upload)]


# --- pagination and common query parameters --------------------------------------------------

LimitParam = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"page size (default {DEFAULT_LIMIT})")
]
Cursor = Annotated[
    str | None,
    Query(max_length=2000, description="`next_cursor` of the previous page (opaque)"),
]


class HasCursor(Protocol):
    @property
    def next_cursor(self) -> str | None: ...


class Paged(HasCursor, Protocol):
    """A page of a service's list: ``shared.pagination.Page`` or a page model."""

    @property
    def items(self) -> Sequence[Any]: ...


def next_url(request: Request, cursor: str) -> str:
    """The request's URL with ``cursor`` set, last (as ``URL.include_query_params`` puts
    it); the other parameters are encoded once per distinct question."""
    base, _, query = str(request.url).partition("?")
    kept = "&".join(p for p in query.split("&") if not p.startswith("cursor="))
    return _cursor_prefix(base, kept) + quote_plus(cursor)


@lru_cache(maxsize=1024)
def _cursor_prefix(base: str, query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    others = urlencode([(name, value) for name, value in pairs if name != "cursor"])
    return f"{base}?{others}&cursor=" if others else f"{base}?cursor="


def link_header(request: Request, response: Response, cursor: str | None) -> None:
    if cursor is not None:
        response.headers["Link"] = f'<{next_url(request, cursor)}>; rel="next"'


P = TypeVar("P", bound=HasCursor)


def paged(request: Request, response: Response, page: P) -> P:
    """The page, with the `Link: <...>; rel="next"` header when there is a next one."""
    link_header(request, response, page.next_cursor)
    return page


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The page a list request asks for (`limit`, `cursor`), and the response whose `Link`
    header points to the next one."""

    request: Request
    response: Response
    limit: int
    cursor: str | None

    def answer(self, page: P) -> P:
        """The page, with the `Link: <...>; rel="next"` header when there is a next one."""
        return paged(self.request, self.response, page)

    def answer_as(self, page: Paged, model: type[M]) -> M:
        """A service's page as the route's page model, with its `Link` header."""
        link_header(self.request, self.response, page.next_cursor)
        return model(items=page.items, next_cursor=page.next_cursor)

    async def fetch(
        self, model: type[M], query: Callable[..., Awaitable[Paged]], *args: Any, **filters: Any
    ) -> M:
        """The page ``query(*args, **filters, cursor=..., limit=...)`` returns (a service's
        list), as the route's page model with its `Link` header."""
        page = await query(*args, **filters, cursor=self.cursor, limit=self.limit)
        return self.answer_as(page, model)


async def page_request(
    request: Request,
    response: Response,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> PageRequest:
    return PageRequest(request, response, limit, cursor)


Paging = Annotated[PageRequest, Depends(page_request)]
"""`limit` and `cursor` of a list route. The document lists a route's own query parameters
first, then those of its dependencies in their order: declare `Paging` after a filter
dependency so that `limit` and `cursor` stay last."""


CountryParam = Annotated[list[str], Query(description="ISO3 (any case); repeat for several")]


def country_codes(values: list[str]) -> tuple[str, ...]:
    """The codes of a `country` filter, 422 naming the unknown ones. Called in the route
    (not a dependency) so that FastAPI's own validation of the other parameters answers
    first, as for every other filter."""
    problems = validation.Problems("query")
    codes = validation.countries(values, "country", problems)
    problems.raise_if_any()
    return codes


def country_code(value: str | None) -> str | None:
    """The code of a single, optional `country` filter (None without one), 422 when it is
    unknown; called in the route, as `country_codes`."""
    codes = country_codes([value] if value else [])
    return codes[0] if codes else None


# --- path parameters -------------------------------------------------------------------------


class AnyTextConvertor(Convertor[str]):
    """Starlette's ``path`` across line breaks too. A catch-all identifier (a ref or a
    document symbol, slashes included) must match whatever the client sent: with ``path``
    a line break made the GET route miss and a PATCH or DELETE route of the same prefix
    match, so a malformed identifier was a 405 rather than the route's own 404."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Used as ``{name:anything}``; the OpenAPI document shows ``{name}`` as for any parameter.
register_url_convertor("anything", AnyTextConvertor())


# --- write targets ---------------------------------------------------------------------------


def target_of(path_id: str, session: Any, actor: Any) -> Any:
    """The dependency of the writes to one resource, for ``Annotated[edge.Target, ...]``:
    its id from the path parameter ``path_id``, the write ``session`` and the caller
    ``actor`` (both annotated dependencies, e.g. ``WriteSession`` and ``MandatesWriter``)."""

    async def target(**values: Any) -> Target:
        return Target(values[path_id], values["session"], values["actor"])

    return _taking(target, **{path_id: uuid.UUID, "session": session, "actor": actor})


def path_id(name: str) -> Any:
    """The dependency that reads the UUID path parameter ``name``, for routes declared
    for several kinds of resource at once, whose path names the id after the kind
    (``{milestone_id}``, ``{evaluation_id}``): ``part_id: uuid.UUID = edge.path_id(...)``."""

    async def read(**values: uuid.UUID) -> uuid.UUID:
        return values[name]

    return _taking(read, **{name: uuid.UUID})


def _taking(call: Callable[..., Any], **parameters: Any) -> Any:
    """``Depends(call)``, ``call`` declared to take the keyword ``parameters`` (name:
    annotation): FastAPI reads what a dependency takes from its signature, and these
    names are only known at run time."""
    named = inspect.Parameter.KEYWORD_ONLY
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, named, annotation=a) for name, a in parameters.items()]
    )
    return Depends(call)


# --- one State, one cycle --------------------------------------------------------------------

StateParam = Annotated[str | None, Query(description="ISO3 of the State")]
"""An optional `country` naming one State, read with `country_code`."""

CycleParam = Annotated[int | None, Query(ge=1, le=20)]
"""An optional review cycle."""
