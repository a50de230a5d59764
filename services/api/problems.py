"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared.errors import DomainError, RateLimited, Unauthorized

log = structlog.get_logger(__name__)

PROBLEM_TYPE_BASE = "https://followup.example.org/problems/"
MEDIA_TYPE = "application/problem+json"

_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition_failed", "Precondition failed"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Invalid input"),
    428: ("precondition_required", "Precondition required"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("service_unavailable", "Service unavailable"),
}


class FieldError(BaseModel):
    loc: list[str | int]
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document with a stable machine-readable ``code``."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str
    errors: list[FieldError] | None = Field(default=None)


# Titles by status, for the problems the handlers write and for the document.
STATUS_TITLES = {status: title for status, (_, title) in _STATUS_CODES.items()}


def problem_response(
    request: Request,
    status: int,
    *,
    code: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default_code, default_title = _STATUS_CODES.get(status, ("error", "Error"))
    code = code or default_code
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or default_title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(
        content=orjson.dumps(body), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def _www_authenticate(exc: Unauthorized) -> str:
    """RFC 6750 challenge: the error and a short description (never the token)."""
    value = 'Bearer realm="followup"'
    if exc.bearer_error:
        description = exc.detail.replace('"', "'").replace("\\", "/")[:200]
        value += f', error="{exc.bearer_error}", error_description="{description}"'
    return value


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        if len(loc) > 1 and loc[0] in ("query", "header", "path", "cookie"):
            field = str(loc[1])  # a repeated parameter's index says nothing to the client
        else:
            field = ".".join(str(p) for p in loc[1:]) or ".".join(str(p) for p in loc)
        errors.append(
            {"loc": loc, "field": field, "message": str(err.get("msg")), "type": err.get("type")}
        )
    return errors


def unavailable(request: Request, exc: Exception, code: str, service: str) -> Response:
    """503 (retry in 5 s) for a backing service that did not answer, logged under `code`."""
    log.warning(code, error=str(exc)[:300])
    return problem_response(
        request,
        503,
        code=code,
        detail=f"{service} is unreachable; retry shortly",
        headers={"Retry-After": "5"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = _field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(request, 422, detail=detail, errors=errors)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route for {request.url.path}"
        if exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}"
        return problem_response(
            request, exc.status_code, detail=detail, headers=dict(exc.headers or {})
        )

    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": _www_authenticate(exc)}
        return problem_response(
            request,
            exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=exc.errors,
            headers=headers,
        )

    def data_problem(request: Request, state: str) -> Response | None:
        """A problem for an error caused by the request's values (by SQLSTATE), or None."""
        if state.startswith("22"):
            return problem_response(
                request,
                422,
                code="invalid_value",
                detail="a value in the request cannot be stored (a NUL character, a number"
                " out of range or a text too long)",
            )
        if state == "23505":
            return problem_response(request, 409, detail="this conflicts with an existing resource")
        if state.startswith("23"):
            return problem_response(
                request,
                422,
                code="constraint_violation",
                detail="the request breaks a rule of the data model"
                " (an unknown reference or a value out of its range)",
            )
        if state in ("40001", "40P01", "55P03", "57014"):
            log.warning("database_contention", sqlstate=state)
            return problem_response(
                request,
                503,
                code="database_busy",
                detail="the database could not finish the request in time; retry",
                headers={"Retry-After": "1"},
            )
        return None

    async def database_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DBAPIError)
        answer = data_problem(request, str(getattr(exc.orig, "sqlstate", None) or ""))
        if answer is not None:
            return answer
        if not exc.connection_invalidated and not isinstance(
            exc, OperationalError | InterfaceError
        ):
            return await unexpected(request, exc)
        return database_down(exc, request)

    def database_down(exc: Exception, request: Request) -> Response:
        return unavailable(request, exc, "database_unavailable", "the database")

    async def driver_error(request: Request, exc: Exception) -> Response:
        # Raised unwrapped by the reads that run on the asyncpg connection itself (lists,
        # details, exports): the same answers as the same errors wrapped by SQLAlchemy.
        answer = data_problem(request, str(getattr(exc, "sqlstate", None) or ""))
        if answer is not None:
            return answer
        if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
            return database_down(exc, request)
        return await unexpected(request, exc)

    async def os_error(request: Request, exc: Exception) -> Response:
        return unavailable(request, exc, "dependency_unavailable", "a backing service")

    async def redis_down(request: Request, exc: Exception) -> Response:
        return unavailable(request, exc, "queue_unavailable", "the job queue")

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", exc_info=exc)
        return problem_response(request, 500, detail="an unexpected error occurred")

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(asyncpg.PostgresError, driver_error)
    app.add_exception_handler(asyncpg.InterfaceError, driver_error)
    app.add_exception_handler(OSError, os_error)
    app.add_exception_handler(RedisConnectionError, redis_down)
    app.add_exception_handler(RedisTimeoutError, redis_down)
    app.add_exception_handler(Exception, unexpected)
