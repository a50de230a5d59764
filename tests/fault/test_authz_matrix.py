"""Authorization matrix built from the app's own OpenAPI document.

Every write operation (POST, PUT, PATCH, DELETE) the document lists is tried with each
refused credential (no key, a revoked key, a read-only key, a key with every other write
scope, a key with the right scope for another country) on real objects of Paraguay and a
plausible body. Each attempt must answer the documented 401 or 403 as problem+json and
leave every domain table as it was (row counts and a content hash computed by SQL). The
same request with the right key for Paraguay must then succeed, which proves the refusal
came from the authorization check and not from a 404 or a 422.

A new write route is covered automatically: it needs a plausible body in
`authz_world.BODIES` (and, for a new path segment, its scope and objects there), or the
test fails and says what is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.api.app import create_app
from shared.auth import service as keys
from shared.auth.schemas import Scope
from shared.db import Database
from shared.people import devkey
from shared.people.config import MembershipSpec
from shared.queue import JobQueue
from shared.settings import Settings
from tests.conftest import KeyFactory
from tests.fault import authz_world as w
from tests.institutions.world import World, build

# Development settings: the API then trusts development tokens, which sign people in with
# a role (`followup dev-token`), beside the API keys.
DEV = Settings(
    environment="development",
    rate_limit_per_minute=0,
    rate_limit_anonymous_per_minute=0,
    secret_key="m" * 40,
)

WRITE_SCOPES = [
    s.value for s in Scope if s.value.endswith(":write")
]  # every scope that may write something


@pytest.fixture
def app(db: Database, clean_redis: JobQueue) -> FastAPI:
    return create_app(DEV, db=db, queue=clean_redis)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return w.operation_key(self.method, self.path)

    @property
    def documented(self) -> set[int]:
        return {int(code) for code in self.spec.get("responses", {}) if code.isdigit()}


class Keys:
    """Every key the matrix uses, made once before the first attempt."""

    def __init__(self, factory: KeyFactory) -> None:
        self.factory = factory
        self.cache: dict[tuple[tuple[str, ...], tuple[str, ...] | None], dict[str, str]] = {}
        # The keys that made Paraguay's objects: subscriptions answer only their maker.
        self.home: dict[str, dict[str, str]] = {}

    async def get(self, scopes: list[str], countries: list[str] | None) -> dict[str, str]:
        ident = (tuple(sorted(scopes)), tuple(countries) if countries is not None else None)
        if ident not in self.cache:
            self.cache[ident] = await self.factory.headers(*scopes, countries=countries)
        return self.cache[ident]


@dataclass(frozen=True)
class Credential:
    """One column of the matrix: how to make the caller's headers, and the refusal due."""

    name: str
    status: int
    headers: Callable[[Keys, str], Awaitable[dict[str, str]]]


async def _none(keys_: Keys, scope: str) -> dict[str, str]:
    return {}


def _revoked(revoked: dict[str, str]) -> Callable[[Keys, str], Awaitable[dict[str, str]]]:
    async def headers(keys_: Keys, scope: str) -> dict[str, str]:
        return revoked

    return headers


async def _read_only(keys_: Keys, scope: str) -> dict[str, str]:
    return await keys_.get([Scope.PERSONAL_DATA_READ.value], None)


async def _wrong_scope(keys_: Keys, scope: str) -> dict[str, str]:
    # Every write scope but the one needed (an admin operation: every write scope).
    return await keys_.get([s for s in WRITE_SCOPES if s != scope], None)


async def _other_country(keys_: Keys, scope: str) -> dict[str, str]:
    return await keys_.get([scope], [w.OTHER])


async def _admin_other_country(keys_: Keys, scope: str) -> dict[str, str]:
    return await keys_.get([Scope.ADMIN.value], [w.OTHER])


def _token(token: str) -> Callable[[Keys, str], Awaitable[dict[str, str]]]:
    async def headers(keys_: Keys, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return headers


# People signed in with a role in another scope than Paraguay's data: Uruguay, its
# institution, its NHRI, a civil-society organisation of it; a viewer has no scope.
ROLES = [
    MembershipSpec(role="coordinator", country=w.OTHER),
    MembershipSpec(role="focal_point", country=w.OTHER, institution=w.OTHER_INSTITUTION),
    MembershipSpec(role="nhri", country=w.OTHER, institution=w.OTHER_NHRI),
    MembershipSpec(role="civil_society", country=w.OTHER, institution=w.OTHER_CSO),
    MembershipSpec(role="viewer"),
]


def role_columns() -> list[Credential]:
    return [
        Credential(
            f"{spec.role} of {spec.institution or spec.country or 'nothing'}",
            403,
            _token(devkey.mint(DEV, spec, subject=f"matrix-{spec.role}")),
        )
        for spec in ROLES
    ]


def credentials(revoked: dict[str, str]) -> list[Credential]:
    return [
        Credential("no key", 401, _none),
        Credential("revoked key", 401, _revoked(revoked)),
        Credential("read-only key", 403, _read_only),
        Credential("key with the wrong scope", 403, _wrong_scope),
        Credential("key limited to another country", 403, _other_country),
        Credential("admin key limited to another country", 403, _admin_other_country),
        *role_columns(),
    ]


def write_operations(app: FastAPI) -> list[Operation]:
    return [
        Operation(method.upper(), path, spec)
        for path, methods in app.openapi()["paths"].items()
        for method, spec in methods.items()
        if method in w.WRITE_METHODS
    ]


async def _positive(keys_: Keys, op: Operation, scope: str) -> dict[str, str]:
    if op.key in w.GLOBAL_OPERATIONS:
        return await keys_.get([scope], None)
    if scope == Scope.ADMIN.value:
        return await keys_.get([scope], list(w.HOMES))
    return keys_.home[scope]


async def _current_etag(client: httpx.AsyncClient, path: str, admin: dict[str, str]) -> str:
    """The ETag of the resource a write changes: the path itself or its closest parent
    that has one (a sub-collection write is conditional on its parent)."""
    parts = path.split("/")
    while len(parts) > 3:
        # As an admin: some resources (unpublished progress reports) are not public.
        response = await client.get("/".join(parts), headers=admin)
        if response.status_code == 200 and "etag" in response.headers:
            return response.headers["etag"]
        parts.pop()
    return '"v1"'


async def _send(
    client: httpx.AsyncClient,
    op: Operation,
    seeded: w.Seeded,
    headers: dict[str, str],
    etag: str,
) -> httpx.Response:
    request = w.BODIES[op.key](seeded) if op.key in w.BODIES else w.Request()
    all_headers = {**headers, "If-Match": etag}
    if request.content_type is not None:
        all_headers["Content-Type"] = request.content_type
    return await client.request(
        op.method,
        w.concrete_path(op.path, seeded, op.method),
        json=request.json,
        content=request.content,
        params=request.params,
        headers=all_headers,
    )


def _uncovered(op: Operation) -> str | None:
    """Why the matrix cannot try this operation, or None."""
    if op.key in w.PUBLIC_BY_DESIGN:
        return None
    if w.required_scope(op.method, op.path) is None:
        return f"{op.key}: no scope known; add its path segment to SCOPE_BY_SEGMENT"
    if "requestBody" in op.spec and op.key not in w.BODIES:
        return f"{op.key}: no plausible body; add one to BODIES in tests/fault/authz_world.py"
    for part, before in zip(op.path.split("/")[1:], op.path.split("/"), strict=False):
        if part.startswith("{") and before not in w.PARAMETER_OBJECTS:
            return f"{op.key}: no seeded object for {part}; add it to PARAMETER_OBJECTS"
    return None


async def test_every_write_operation_refuses_every_wrong_caller_and_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    session: AsyncSession,
    api_keys: KeyFactory,
) -> None:
    operations = write_operations(app)
    assert len(operations) >= 40, [op.key for op in operations]
    uncovered = [reason for op in operations if (reason := _uncovered(op))]
    assert uncovered == [], "\n".join(uncovered)

    world: World = await build(session)
    keys_ = Keys(api_keys)
    keys_.home = {s: await keys_.get([s], list(w.HOMES)) for s in WRITE_SCOPES}
    keys_.home["admin"] = await keys_.get([Scope.ADMIN.value], None)
    seeded = await w.seed(client, world, keys_.home)
    # No worker runs here: the report the matrix retries has failed.
    await connection.execute(
        text("UPDATE reports SET status = 'failed', error = 'worker lost' WHERE id = :id"),
        {"id": seeded.ids["report"]},
    )
    created = await keys.create_key(session, "revoked", [Scope.ADMIN.value], None)
    await keys.revoke_key(session, str(created.id))
    await session.commit()
    columns = credentials({"Authorization": f"Bearer {created.key}"})
    for column in columns:
        # A person is registered at their first request: do it now, not in an attempt.
        await client.get("/v1/me", headers=await column.headers(keys_, "admin"))
    # Make every key before the first snapshot: keys are not domain data, but making one
    # inside an attempt would blur what the attempt changed.
    for op in operations:
        scope = w.required_scope(op.method, op.path)
        if scope is not None:
            for column in columns:
                await column.headers(keys_, scope)
            await _positive(keys_, op, scope)

    failures: list[str] = []
    tried = 0
    for op in operations:
        if op.key in w.PUBLIC_BY_DESIGN:
            continue
        scope = w.required_scope(op.method, op.path)
        assert scope is not None
        # Each operation starts from the seeded state: its positive control is undone.
        savepoint = await connection.begin_nested()
        try:
            etag = await _current_etag(
                client, w.concrete_path(op.path, seeded, op.method), keys_.home["admin"]
            )
            for column in columns:
                before = await w.snapshot(connection)
                response = await _send(client, op, seeded, await column.headers(keys_, scope), etag)
                after = await w.snapshot(connection)
                tried += 1
                expected = {column.status}
                if column.status == 403 and op.key in w.OWNER_SCOPED:
                    expected.add(404)
                if (column.name.split()[0], op.key) in w.ROLE_ALLOWED:
                    # Allowed by design: the request must then succeed, like the right key's.
                    expected = {200, 201, 202, 204}
                where = f"{op.key} with {column.name}"
                if response.status_code not in expected:
                    failures.append(
                        f"{where}: {response.status_code}, expected {sorted(expected)}: "
                        f"{response.text[:200]}"
                    )
                elif response.status_code >= 300 and response.status_code not in op.documented:
                    failures.append(f"{where}: {response.status_code} is not documented")
                elif response.status_code >= 300 and not response.headers.get(
                    "content-type", ""
                ).startswith("application/problem+json"):
                    failures.append(f"{where}: not problem+json")
                if response.status_code >= 300 and (moved := w.changed(before, after)):
                    failures.append(f"{where}: the refused request changed {moved}")
            positive = await _send(client, op, seeded, await _positive(keys_, op, scope), etag)
            if not 200 <= positive.status_code < 300:
                failures.append(
                    f"{op.key} with the right key: {positive.status_code} "
                    f"(the matrix's request is not plausible): {positive.text[:300]}"
                )
        finally:
            await savepoint.rollback()
    assert failures == [], "\n".join(failures)
    assert tried == len(columns) * (len(operations) - len(w.PUBLIC_BY_DESIGN))
