"""Request-scoped dependencies: the unit of work, the read session and the caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.edge import raises
from shared.auth.schemas import Actor, Scope
from shared.auth.service import KEY_PREFIX, authenticate
from shared.db import Database, unit_of_work
from shared.errors import Forbidden, InvalidToken, Unauthorized, Unavailable
from shared.people import service as people
from shared.people.oidc import TokenVerifier
from shared.queue import JobQueue
from shared.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.queue
    return queue


async def write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent."""
    db: Database = request.app.state.db
    async with unit_of_work(db.sessionmaker, request.app.state.queue) as session:
        yield session


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads; it goes to the replica when one is configured."""
    db: Database = request.app.state.db
    async with db.read_sessionmaker() as session:
        yield session


# scope="function": the transaction ends before the response leaves, so a client never
# sees a success for a write that later fails to commit.
WriteSession = Annotated[AsyncSession, Depends(write_session, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_session, scope="function")]
# Streamed responses read from the session after the route returns: request scope keeps
# it open until the last byte is sent.
StreamSession = Annotated[AsyncSession, Depends(read_session, scope="request")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
QueueDep = Annotated[JobQueue, Depends(get_queue)]


@raises(503)
async def live_queue(request: Request) -> JobQueue:
    """The job queue, for routes whose purpose is to start a job: when Redis is down they
    answer 503 and write nothing, rather than accept work they cannot hand over."""
    queue: JobQueue = request.app.state.queue
    try:
        async with asyncio.timeout(2):
            await queue.ping()
    except (RedisError, OSError, TimeoutError) as exc:
        raise Unavailable(
            "the job queue is unreachable; nothing was started, retry shortly",
            code="queue_unavailable",
        ) from exc
    return queue


LiveQueue = Annotated[JobQueue, Depends(live_queue)]


class _BadAuthorization(Unauthorized):
    bearer_error = "invalid_request"


def is_anonymous(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request carries no credentials (raw ASGI headers): no `Authorization`,
    or an empty one, as ``BearerCredentials`` reads it (the first). The one definition of
    an anonymous caller, for the lean routes, the rate limiter and the cache policy: a
    request the routes answer as anonymous must be counted per address."""
    for name, value in headers:
        if name == b"authorization":
            return not value
    return True


class BearerCredentials(HTTPBearer):
    """`Authorization: Bearer <api key or access token>`, declared in the document as the
    `bearer` security scheme (the Authorize button of /docs). Parsed here rather than by
    FastAPI's class so that a malformed header is a 401 problem with its own code, and no
    header is None."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _BadAuthorization(
                "use 'Authorization: Bearer <api key or access token>'",
                code="invalid_authorization",
            )
        return token.strip()


bearer = BearerCredentials(
    scheme_name="bearer",
    description="An API key or an OpenID Connect access token:"
    " `Authorization: Bearer <api key or access token>`.",
    auto_error=False,
)
BearerToken = Annotated[str | None, Depends(bearer)]


async def _token_actor(
    request: Request, session: AsyncSession, token: str, *, primary: bool
) -> Actor:
    """The person behind an OpenID Connect access token: verified once, then looked up
    (one query); created or refreshed on the primary when new or changed."""
    verifier: TokenVerifier = request.app.state.tokens
    identity, specs = await verifier.verify(token)
    actor = await people.token_actor(session, identity, specs, may_write=primary)
    if actor is None:
        # End the read transaction first: nothing was read that the request needs, and
        # (with a bound test database) it would otherwise swallow the write below.
        await session.rollback()
        db: Database = request.app.state.db
        async with unit_of_work(db.sessionmaker, request.app.state.queue) as write:
            actor = await people.token_actor(write, identity, specs, may_write=True)
    assert actor is not None
    return actor


async def _actor(
    request: Request, session: AsyncSession, token: str | None, *, primary: bool
) -> Actor | None:
    if token is None:
        return None
    if token.startswith(KEY_PREFIX) or not request.app.state.tokens.enabled:
        actor = await authenticate(session, token)
        if actor is None:
            raise InvalidToken("the API key is unknown or revoked", code="invalid_api_key")
    else:
        actor = await _token_actor(request, session, token, primary=primary)
    await request.app.state.rate_limiter.check(actor, request.scope.setdefault("state", {}))
    return actor


async def _required_actor(
    request: Request,
    session: AsyncSession,
    token: str | None,
    *,
    primary: bool,
    missing: tuple[str, str] = ("an API key is required", "api_key_required"),
) -> Actor:
    """The caller, who must present a credential: without one, a 401 with the `missing`
    detail and code."""
    actor = await _actor(request, session, token, primary=primary)
    if actor is None:
        detail, code = missing
        raise Unauthorized(detail, code=code)
    return actor


@raises(401, 429)
async def optional_reader(
    request: Request, session: ReadSession, token: BearerToken
) -> Actor | None:
    """The caller of a read route; a key is needed only when public reads are off."""
    actor = await _actor(request, session, token, primary=False)
    if actor is None and not get_settings(request).api_public_read:
        raise Unauthorized("an API key is required to read", code="api_key_required")
    return actor


@raises(401, 429)
async def stream_reader(
    request: Request, session: StreamSession, token: BearerToken
) -> Actor | None:
    """``optional_reader`` for streamed answers: the caller is read on the streaming
    session, so one response holds one connection."""
    return await optional_reader(request, session, token)


@raises(401, 429)
async def writer(request: Request, session: WriteSession, token: BearerToken) -> Actor:
    return await _required_actor(request, session, token, primary=True)


@raises(401, 429)
async def signed_in(request: Request, session: ReadSession, token: BearerToken) -> Actor:
    """Any authenticated caller (an API key or a person)."""
    return await _required_actor(
        request,
        session,
        token,
        primary=False,
        missing=("sign in or present an API key", "authentication_required"),
    )


SignedIn = Annotated[Actor, Depends(signed_in)]


Reader = Annotated[Actor | None, Depends(optional_reader)]
StreamReader = Annotated[Actor | None, Depends(stream_reader)]
Writer = Annotated[Actor, Depends(writer)]


def _scoped(scope: Scope) -> Callable[[Actor], Awaitable[Actor]]:
    @raises(403)
    async def dependency(actor: Writer) -> Actor:
        actor.require(scope)
        return actor

    return dependency


RecommendationsWriter = Annotated[Actor, Depends(_scoped(Scope.RECOMMENDATIONS_WRITE))]
ProgrammesWriter = Annotated[Actor, Depends(_scoped(Scope.PROGRAMMES_WRITE))]
MandatesWriter = Annotated[Actor, Depends(_scoped(Scope.MANDATES_WRITE))]
SubscriptionsWriter = Annotated[Actor, Depends(_scoped(Scope.SUBSCRIPTIONS_WRITE))]
AdminWriter = Annotated[Actor, Depends(_scoped(Scope.ADMIN))]


@raises(403)
async def _global_admin(actor: Writer) -> Actor:
    actor.require_global_admin()
    return actor


# For writes to data of no country (ingestion runs): an admin key limited to countries
# may not make them.
GlobalAdminWriter = Annotated[Actor, Depends(_global_admin)]


@raises(403)
async def _data_writer(actor: Writer) -> Actor:
    """A key that may write some follow-up data; the route then checks which."""
    if not any(
        actor.has(s)
        for s in (Scope.RECOMMENDATIONS_WRITE, Scope.PROGRAMMES_WRITE, Scope.MANDATES_WRITE)
    ):
        raise Forbidden("this API key has no write scope for follow-up data", code="missing_scope")
    return actor


DataWriter = Annotated[Actor, Depends(_data_writer)]


@raises(401, 403, 429)
async def admin_reader(request: Request, session: ReadSession, token: BearerToken) -> Actor:
    actor = await _required_actor(request, session, token, primary=False)
    # What admins read (audit log, ingestion runs, imports) spans every country.
    actor.require_global_admin()
    return actor


AdminReader = Annotated[Actor, Depends(admin_reader)]


@raises(403)
async def _people_manager(actor: Writer) -> Actor:
    """An admin not limited to countries, or a coordinator (who manages the people of its
    own State)."""
    if not (actor.is_global_admin or actor.roles_in("coordinator")):
        raise Forbidden("only admins and coordinators manage users", code="not_allowed")
    return actor


PeopleManager = Annotated[Actor, Depends(_people_manager)]


@raises(403)
async def _report_writer(actor: Writer) -> Actor:
    """A caller who may take part in the review of progress reports at all; which report
    it may touch is checked on the report (shared/review)."""
    if not (
        actor.has(Scope.RECOMMENDATIONS_WRITE)
        or actor.roles_in("focal_point")
        or actor.roles_in("coordinator")
    ):
        raise Forbidden(
            "only focal points, coordinators and keys that write recommendations take part"
            " in the review of progress reports",
            code="not_allowed",
        )
    return actor


ReportWriter = Annotated[Actor, Depends(_report_writer)]


@raises(403)
async def _assessment_writer(actor: Writer) -> Actor:
    """Admins, and members of an NHRI or civil-society organisation; which assessment they
    may touch is checked on it (shared/assessments)."""
    if not (actor.is_admin or actor.roles_in("nhri") or actor.roles_in("civil_society")):
        raise Forbidden(
            "only NHRI and civil-society organisations (and admins) publish assessments",
            code="not_allowed",
        )
    return actor


AssessmentWriter = Annotated[Actor, Depends(_assessment_writer)]
