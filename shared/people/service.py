"""Users, memberships and the actor of a signed-in person. Usable without HTTP (the CLI,
the portal): every function takes a session and flushes, never commits."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit
from shared.auth.schemas import Actor, Membership, Scope
from shared.errors import Forbidden, InvalidInput, InvalidToken, NotFound
from shared.institutions.models import Institution
from shared.institutions.repository import InstitutionRepository
from shared.kernel.shapes import shape_of
from shared.pagination import decode_time_key, split_time_key_page
from shared.people.config import MembershipSpec
from shared.people.models import User, UserMembership
from shared.people.repository import Identity, PeopleRepository
from shared.people.schemas import (
    Capabilities,
    GrantIn,
    MembershipOut,
    MeOut,
    UserIn,
    UserOut,
    UserPage,
)
from shared.reference.countries import by_iso3

log = structlog.get_logger(__name__)

# What a coordinator's memberships allow through the routes written for API keys.
COORDINATOR_SCOPES = frozenset(
    {Scope.RECOMMENDATIONS_WRITE.value, Scope.PROGRAMMES_WRITE.value, Scope.MANDATES_WRITE.value}
)
# The roles a coordinator may grant in its own State; NHRI and civil-society roles are
# granted by an admin only, so that the government cannot pick who assesses it.
COORDINATOR_GRANTS = frozenset({"coordinator", "focal_point", "viewer"})
_ORGANISATION_KIND = {"nhri": "nhri", "civil_society": "civil_society"}


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    """What the people domain needs of a verified token."""

    issuer: str
    subject: str
    name: str | None
    email: str | None
    groups: tuple[str, ...] = ()


def user_actor(user_id: uuid.UUID, memberships: Iterable[Membership]) -> Actor:
    unique = tuple(dict.fromkeys(memberships))
    roles = {m.role for m in unique}
    if "admin" in roles:
        return Actor(
            name=f"user:{user_id}",
            scopes=frozenset({Scope.ADMIN.value}),
            countries=None,
            user_id=user_id,
            memberships=unique,
        )
    coordinated = frozenset(m.country for m in unique if m.role == "coordinator" and m.country)
    return Actor(
        name=f"user:{user_id}",
        scopes=COORDINATOR_SCOPES if coordinated else frozenset(),
        countries=coordinated,
        user_id=user_id,
        memberships=unique,
    )


def group_specs(
    mapping: dict[str, MembershipSpec], groups: Sequence[str], *, literal: bool = False
) -> list[MembershipSpec]:
    """The memberships a token's groups give. ``literal`` (development tokens only): a
    group is itself `role:COUNTRY:institution`."""
    specs: list[MembershipSpec] = []
    for group in groups:
        if group in mapping:
            specs.append(mapping[group])
        elif literal:
            role, _, rest = group.partition(":")
            country, _, institution = rest.partition(":")
            try:
                specs.append(
                    MembershipSpec.model_validate(
                        {
                            "role": role,
                            "country": country or None,
                            "institution": institution or None,
                        }
                    )
                )
            except ValueError:
                log.warning("dev_token_group_ignored")
    return specs


async def _resolve(repo: PeopleRepository, specs: Sequence[MembershipSpec]) -> list[Membership]:
    named = await repo.institutions_named(
        [(s.country, s.institution) for s in specs if s.country and s.institution]
    )
    out: list[Membership] = []
    for spec in specs:
        if spec.institution is None:
            out.append(Membership(role=spec.role, country=spec.country))
            continue
        inst = named.get((spec.country or "", spec.institution))
        if inst is None:
            # A deployment's mapping names an institution this database does not know:
            # the membership cannot be scoped, so it gives nothing.
            log.warning("group_institution_unknown", role=spec.role, country=spec.country)
            continue
        out.append(
            Membership(
                role=spec.role, country=inst.country, institution_id=inst.id, institution=inst.name
            )
        )
    return out


def _stored(identity: Identity) -> list[Membership]:
    return [
        Membership(role=r, country=c, institution_id=i, institution=n)
        for r, c, i, n in identity.memberships
    ]


async def token_actor(
    session: AsyncSession,
    token: TokenIdentity,
    specs: Sequence[MembershipSpec],
    *,
    may_write: bool,
) -> Actor | None:
    """The actor of a verified token. None when the user must first be created or their
    profile refreshed and ``may_write`` is false (the caller retries on the primary)."""
    repo = PeopleRepository(session)
    found = await repo.identity(token.issuer, token.subject)
    if found is not None and not found.active:
        # Before any profile refresh: an erased (deactivated) person's name and e-mail
        # must not come back with their next token.
        raise InvalidToken("this user is deactivated", code="inactive_user")
    stale = found is None or (
        (token.name is not None and token.name != found.name)
        or (token.email is not None and token.email != found.email)
    )
    if stale:
        if not may_write:
            return None
        await repo.upsert_user(
            token.issuer,
            token.subject,
            token.name if token.name is not None else (found.name if found else None),
            token.email if token.email is not None else (found.email if found else None),
        )
        found = await repo.identity(token.issuer, token.subject)
    assert found is not None
    if not found.active:
        raise InvalidToken("this user is deactivated", code="inactive_user")
    return user_actor(found.id, [*_stored(found), *await _resolve(repo, specs)])


# --- administration -------------------------------------------------------------------


def _membership_out(row: UserMembership, institution: str | None) -> MembershipOut:
    return shape_of(MembershipOut, row, institution=institution)


async def _users_out(repo: PeopleRepository, users: Sequence[User]) -> list[UserOut]:
    memberships = await repo.memberships([u.id for u in users])
    return [
        shape_of(UserOut, u, memberships=[_membership_out(m, n) for m, n in memberships[u.id]])
        for u in users
    ]


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> UserOut:
    repo = PeopleRepository(session)
    return (await _users_out(repo, [await repo.found("user", user_id)]))[0]


def _require_user_admin(actor: Actor, country: str | None) -> None:
    if actor.is_admin or (country is not None and actor.coordinates(country)):
        return
    raise Forbidden(
        "only an admin, or a coordinator of that State, manages its users", code="not_allowed"
    )


async def list_users(
    session: AsyncSession, actor: Actor, *, country: str | None, cursor: str | None, limit: int
) -> UserPage:
    """Users, oldest first; a coordinator lists those with a membership in its State."""
    _require_user_admin(actor, country)
    after = decode_time_key(cursor, "users", dt.datetime.fromisoformat)
    repo = PeopleRepository(session)
    rows = await repo.page(country=country, after=after, limit=limit + 1)
    page, next_cursor = split_time_key_page("users", rows, limit, lambda u: (u.created_at, u.id))
    return UserPage(items=await _users_out(repo, page), next_cursor=next_cursor)


async def create_user(session: AsyncSession, actor: Actor, data: UserIn) -> UserOut:
    """Register a person before their first sign-in (so that roles can be granted)."""
    if not (actor.is_admin or actor.roles_in("coordinator")):
        raise Forbidden("only an admin or a coordinator registers users", code="not_allowed")
    user_id = await PeopleRepository(session).ensure_user(data.issuer.strip(), data.subject.strip())
    audit.record_change(session, actor, "user.register", user_id, after={"issuer": data.issuer})
    return await get_user(session, user_id)


async def set_active(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, active: bool
) -> UserOut:
    if not actor.is_admin:
        raise Forbidden("only an admin activates or deactivates users", code="not_allowed")
    repo = PeopleRepository(session)
    user = await repo.found("user", user_id)
    before = user.active
    await repo.set_active(user_id, active)
    await session.refresh(user)
    audit.record_change(
        session, actor, "user.update", user_id, before={"active": before}, after={"active": active}
    )
    return (await _users_out(repo, [user]))[0]


async def _institution(session: AsyncSession, country: str | None, ident: str) -> Institution:
    repo = InstitutionRepository(session)
    try:
        found = await repo.get(uuid.UUID(ident))
    except ValueError:
        if country is None:
            raise InvalidInput("name the institution's country, or give its id") from None
        found = (await repo.by_names(country, [ident])).get(ident)
    if found is None or (country is not None and found.country != country):
        raise InvalidInput(
            f"no institution {ident!r} in {country or 'any State'}", code="unknown_institution"
        )
    return found


async def grant(
    session: AsyncSession, actor: Actor, user_id: uuid.UUID, spec: GrantIn
) -> MembershipOut:
    """Give a user a role in a scope (idempotent: an existing membership is returned)."""
    if spec.country is not None and spec.country not in by_iso3():
        raise InvalidInput(f"unknown country {spec.country!r}: use ISO 3166-1 alpha-3 codes")
    institution: Institution | None = None
    if spec.role in ("focal_point", "nhri", "civil_society"):
        if spec.institution is None:
            raise InvalidInput(
                f"the role {spec.role!r} needs an institution", code="institution_needed"
            )
        institution = await _institution(session, spec.country, spec.institution)
        wanted = _ORGANISATION_KIND.get(spec.role)
        if wanted is not None and institution.kind != wanted:
            raise InvalidInput(
                f"the role {spec.role!r} needs an organisation of kind {wanted!r},"
                f" not {institution.kind!r}",
                code="institution_kind",
            )
    elif spec.institution is not None:
        raise InvalidInput(f"the role {spec.role!r} takes no institution")
    country = institution.country if institution is not None else spec.country
    if spec.role == "coordinator" and country is None:
        raise InvalidInput("a coordinator needs a country", code="country_needed")
    if spec.role == "admin" and country is not None:
        raise InvalidInput("the admin role has no country")
    if not actor.is_admin and not (spec.role in COORDINATOR_GRANTS and actor.coordinates(country)):
        raise Forbidden(
            f"this caller may not grant {spec.role!r} in {country or 'every State'}",
            code="not_allowed",
        )
    repo = PeopleRepository(session)
    await repo.found("user", user_id)
    row = UserMembership(
        id=uuid.uuid4(),
        user_id=user_id,
        role=spec.role,
        country=country,
        institution_id=institution.id if institution else None,
        granted_by=actor.name,
    )
    if await repo.add_membership(row):
        audit.record_change(
            session,
            actor,
            "user.grant",
            user_id,
            after={
                "membership": str(row.id),
                "role": row.role,
                "country": country,
                "institution_id": str(row.institution_id) if row.institution_id else None,
            },
        )
    found = await repo.find_membership(user_id, spec.role, country, row.institution_id)
    assert found is not None
    await session.refresh(found)
    return _membership_out(found, institution.name if institution else None)


async def revoke(
    session: AsyncSession,
    actor: Actor,
    membership_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    repo = PeopleRepository(session)
    row = await repo.membership(membership_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFound(f"no membership {membership_id}")
    if not actor.is_admin and not (
        row.role in COORDINATOR_GRANTS and actor.coordinates(row.country)
    ):
        raise Forbidden("this caller may not revoke that membership", code="not_allowed")
    await repo.delete_membership(membership_id)
    audit.record_change(
        session,
        actor,
        "user.revoke",
        row.user_id,
        before={
            "membership": str(row.id),
            "role": row.role,
            "country": row.country,
            "institution_id": str(row.institution_id) if row.institution_id else None,
        },
    )


# --- who am I -------------------------------------------------------------------------


def capabilities(actor: Actor) -> Capabilities:
    if actor.user_id is None:
        countries = sorted(actor.countries) if actor.countries is not None else None
        return Capabilities(
            admin=actor.is_admin,
            validate_progress_in=countries or [] if actor.has(Scope.RECOMMENDATIONS_WRITE) else [],
            draft_progress_for=[],
            assess_as=[],
            write_countries=countries,
        )
    return Capabilities(
        admin=actor.is_admin,
        validate_progress_in=sorted(
            {m.country for m in actor.roles_in("coordinator") if m.country}
        ),
        draft_progress_for=sorted(actor.institutions("focal_point")),
        assess_as=sorted(actor.institutions("nhri") | actor.institutions("civil_society")),
        write_countries=None if actor.countries is None else sorted(actor.countries),
    )


async def me(session: AsyncSession, actor: Actor) -> MeOut:
    if actor.user_id is None:
        return MeOut(
            kind="api_key",
            id=actor.api_key_id,
            name=actor.name,
            scopes=sorted(actor.scopes),
            memberships=[],
            may=capabilities(actor),
        )
    user = await get_user(session, actor.user_id)
    granted = {(m.role, m.country, m.institution_id) for m in user.memberships}
    from_token = [
        shape_of(MembershipOut, m, id=None, source="token")
        for m in actor.memberships
        if (m.role, m.country, m.institution_id) not in granted
    ]
    return shape_of(
        MeOut,
        user,
        kind="user",
        scopes=sorted(actor.scopes),
        memberships=[*user.memberships, *from_token],
        may=capabilities(actor),
    )
