"""Who the caller is, and the people who sign in with their roles."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api import edge
from services.api.deps import GlobalAdminWriter, PeopleManager, ReadSession, SignedIn, WriteSession
from shared.errors import Forbidden
from shared.people import service
from shared.people.schemas import (
    GrantIn,
    MembershipOut,
    MeOut,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)

router = APIRouter(tags=["people"])


@router.get("/v1/me", response_model=MeOut, summary="Who am I")
async def get_me(session: ReadSession, actor: SignedIn) -> MeOut:
    """The caller (a person signed in with OpenID Connect, or an API key), its roles and
    what they allow: the States whose progress reports it validates, the institutions it
    drafts progress for, the organisations it publishes assessments for."""
    return await service.me(session, actor)


@router.get("/v1/users", response_model=UserPage, responses=edge.errors(403), summary="List users")
async def list_users(
    paging: edge.Paging,
    session: ReadSession,
    actor: SignedIn,
    country: Annotated[
        str | None, Query(description="only users with a membership in this State (ISO3)")
    ] = None,
) -> UserPage:
    """Users with their memberships, oldest first. An admin lists everyone; a
    coordinator lists the users of its State (`country` required)."""
    page = await service.list_users(
        session, actor, country=edge.country_code(country), cursor=paging.cursor, limit=paging.limit
    )
    return paging.answer(page)


@router.post(
    "/v1/users", response_model=UserOut, status_code=status.HTTP_201_CREATED, summary="Register"
)
async def create_user(data: UserIn, session: WriteSession, actor: PeopleManager) -> UserOut:
    """Register a person by the `issuer` and `subject` of their tokens, so that roles can
    be granted before their first sign-in (a person is also registered when they first
    call the API). Admins and coordinators. Idempotent."""
    return await service.create_user(session, actor, data)


@router.get(
    "/v1/users/{user_id}", response_model=UserOut, responses=edge.errors(403), summary="One user"
)
async def get_user(user_id: uuid.UUID, session: ReadSession, actor: SignedIn) -> UserOut:
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


@router.patch("/v1/users/{user_id}", response_model=UserOut, summary="Activate or deactivate")
async def patch_user(
    user_id: uuid.UUID, data: UserPatch, session: WriteSession, actor: GlobalAdminWriter
) -> UserOut:
    """Deactivate (or reactivate) a user: a deactivated user's tokens are refused with 401
    `inactive_user`. Admins only."""
    return await service.set_active(session, actor, user_id, data.active)


@router.post(
    "/v1/users/{user_id}/memberships",
    response_model=MembershipOut,
    status_code=status.HTTP_201_CREATED,
    summary="Grant a role",
)
async def grant_membership(
    user_id: uuid.UUID, data: GrantIn, session: WriteSession, actor: PeopleManager
) -> MembershipOut:
    """Give a user a role in a scope: `admin`; `coordinator` of a `country`;
    `focal_point` of an `institution` (name or id) of a `country`; `nhri` or
    `civil_society` of an organisation (an institution of that kind); `viewer`.
    Admins grant everything; a coordinator grants `coordinator`, `focal_point` and
    `viewer` in its own State. Idempotent."""
    return await service.grant(session, actor, user_id, data)


@router.delete(
    "/v1/users/{user_id}/memberships/{membership_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a role",
)
async def revoke_membership(
    user_id: uuid.UUID, membership_id: uuid.UUID, session: WriteSession, actor: PeopleManager
) -> Response:
    """Remove a membership (same rules as granting)."""
    await service.revoke(session, actor, membership_id, user_id=user_id)
    return Response(status_code=204)
