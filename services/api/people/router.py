"""Who the caller is, and the people who sign in with their roles."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from services.api import edge
from services.api.deps import GlobalAdminWriter, PeopleManager, ReadSession, SignedIn, WriteSession
from shared.errors import Forbidden
from shared.people import schemas, service

router = APIRouter(tags=["people"])
routes = edge.Routes(router)


@routes.read("/v1/me", schemas.MeOut, "Who am I")
async def get_me(session: ReadSession, actor: SignedIn) -> schemas.MeOut:
    """The caller (a person signed in with OpenID Connect, or an API key), its roles and
    what they allow: the States whose progress reports it validates, the institutions it
    drafts progress for, the organisations it publishes assessments for."""
    return await service.me(session, actor)


@routes.read("/v1/users", schemas.UserPage, "List users", responses=edge.errors(403))
async def list_users(
    paging: edge.Paging,
    session: ReadSession,
    actor: SignedIn,
    country: Annotated[
        str | None, Query(description="only users with a membership in this State (ISO3)")
    ] = None,
) -> schemas.UserPage:
    """Users with their memberships, oldest first. An admin lists everyone; a
    coordinator lists the users of its State (`country` required)."""
    country_code = edge.country_code(country)
    return await paging.fetch(
        schemas.UserPage, service.list_users, session, actor, country=country_code
    )


@routes.create("/v1/users", schemas.UserOut, "Register")
async def create_user(
    data: schemas.UserIn, session: WriteSession, actor: PeopleManager
) -> schemas.UserOut:
    """Register a person by the `issuer` and `subject` of their tokens, so that roles can
    be granted before their first sign-in (a person is also registered when they first
    call the API). Admins and coordinators. Idempotent."""
    return await service.create_user(session, actor, data)


@routes.read("/v1/users/{user_id}", schemas.UserOut, "One user", responses=edge.errors(403))
async def get_user(user_id: uuid.UUID, session: ReadSession, actor: SignedIn) -> schemas.UserOut:
    """A user with their memberships: admins, the user, or a coordinator of a State
    the user has a role in."""
    user = await service.get_user(session, user_id)
    if not (
        actor.is_admin
        or actor.user_id == user_id
        or any(m.country is not None and actor.coordinates(m.country) for m in user.memberships)
    ):
        raise Forbidden("this caller may not read that user", code="not_allowed")
    return user


@routes.change("/v1/users/{user_id}", schemas.UserOut, "Activate or deactivate")
async def patch_user(
    user_id: uuid.UUID, data: schemas.UserPatch, session: WriteSession, actor: GlobalAdminWriter
) -> schemas.UserOut:
    """Deactivate (or reactivate) a user: a deactivated user's tokens are refused with 401
    `inactive_user`. Admins only."""
    return await service.set_active(session, actor, user_id, data.active)


@routes.create("/v1/users/{user_id}/memberships", schemas.MembershipOut, "Grant a role")
async def grant_membership(
    user_id: uuid.UUID, data: schemas.GrantIn, session: WriteSession, actor: PeopleManager
) -> schemas.MembershipOut:
    """Give a user a role in a scope: `admin`; `coordinator` of a `country`;
    `focal_point` of an `institution` (name or id) of a `country`; `nhri` or
    `civil_society` of an organisation (an institution of that kind); `viewer`.
    Admins grant everything; a coordinator grants `coordinator`, `focal_point` and
    `viewer` in its own State. Idempotent."""
    return await service.grant(session, actor, user_id, data)


@routes.delete("/v1/users/{user_id}/memberships/{membership_id}", "Revoke a role")
async def revoke_membership(
    user_id: uuid.UUID, membership_id: uuid.UUID, session: WriteSession, actor: PeopleManager
) -> None:
    """Remove a membership (same rules as granting)."""
    await service.revoke(session, actor, membership_id, user_id=user_id)
