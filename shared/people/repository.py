"""All SQL of users and memberships."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from shared.institutions.models import Institution
from shared.kernel.repository import Repository, keyset_page, lists_by_key
from shared.people.models import User, UserMembership


@dataclass(frozen=True, slots=True)
class Identity:
    """A user and their stored memberships, read in one round trip (every request with
    a token needs it)."""

    id: uuid.UUID
    name: str | None
    email: str | None
    active: bool
    # (role, country, institution id, institution name)
    memberships: list[tuple[str, str | None, uuid.UUID | None, str | None]]


_IDENTITY = text(
    """
    SELECT u.id, u.name, u.email, u.active,
           coalesce(json_agg(json_build_array(m.role, m.country, m.institution_id, i.name)
                             ORDER BY m.created_at, m.id) FILTER (WHERE m.id IS NOT NULL),
                    '[]'::json) AS memberships
    FROM users u
    LEFT JOIN user_memberships m ON m.user_id = u.id
    LEFT JOIN institutions i ON i.id = m.institution_id
    WHERE u.issuer = :issuer AND u.subject = :subject
    GROUP BY u.id
    """
)


class PeopleRepository(Repository[User]):
    model = User

    async def identity(self, issuer: str, subject: str) -> Identity | None:
        row = (
            await self.session.execute(_IDENTITY, {"issuer": issuer, "subject": subject})
        ).first()
        if row is None:
            return None
        return Identity(
            id=row.id,
            name=row.name,
            email=row.email,
            active=row.active,
            memberships=[
                (m[0], m[1], uuid.UUID(m[2]) if m[2] else None, m[3]) for m in row.memberships
            ],
        )

    async def upsert_user(
        self, issuer: str, subject: str, name: str | None, email: str | None
    ) -> uuid.UUID:
        """Create the user, or refresh the name and e-mail the provider now reports."""
        values: dict[str, Any] = {
            "name": name,
            "email": email,
            "updated_at": func.clock_timestamp(),
        }
        stmt = (
            insert(User)
            .values(id=uuid.uuid4(), issuer=issuer, subject=subject, **values)
            .on_conflict_do_update(index_elements=["issuer", "subject"], set_=values)
            .returning(User.id)
        )
        return (await self.session.execute(stmt)).scalar_one()

    async def ensure_user(self, issuer: str, subject: str) -> uuid.UUID:
        """The user's id, creating a user without profile when the person never signed in."""
        stmt = (
            insert(User)
            .values(id=uuid.uuid4(), issuer=issuer, subject=subject)
            .on_conflict_do_nothing(index_elements=["issuer", "subject"])
        )
        await self.session.execute(stmt)
        found = await self.session.execute(
            select(User.id).where(User.issuer == issuer, User.subject == subject)
        )
        return found.scalar_one()

    async def set_active(self, user_id: uuid.UUID, active: bool) -> None:
        await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(active=active, updated_at=func.clock_timestamp())
        )

    async def page(
        self,
        *,
        country: str | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[User]:
        query = select(User)
        if country is not None:
            query = query.where(
                User.id.in_(select(UserMembership.user_id).where(UserMembership.country == country))
            )
        query = keyset_page(query, User.created_at, User.id, after, limit)
        return (await self.session.execute(query)).scalars().all()

    async def memberships(
        self, user_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[UserMembership, str | None]]]:
        if not user_ids:
            return {}
        rows = await self.session.execute(
            select(UserMembership, Institution.name)
            .outerjoin(Institution, Institution.id == UserMembership.institution_id)
            .where(UserMembership.user_id.in_(user_ids))
            .order_by(UserMembership.created_at, UserMembership.id)
        )
        return lists_by_key(user_ids, ((m.user_id, (m, name)) for m, name in rows))

    async def membership(self, membership_id: uuid.UUID) -> UserMembership | None:
        return await self.session.get(UserMembership, membership_id)

    async def add_membership(self, row: UserMembership) -> bool:
        """False when the user already holds exactly that membership."""
        stmt = (
            insert(UserMembership)
            .values(
                id=row.id,
                user_id=row.user_id,
                role=row.role,
                country=row.country,
                institution_id=row.institution_id,
                granted_by=row.granted_by,
            )
            .on_conflict_do_nothing()
            .returning(UserMembership.id)
        )
        return (await self.session.execute(stmt)).first() is not None

    async def find_membership(
        self, user_id: uuid.UUID, role: str, country: str | None, institution_id: uuid.UUID | None
    ) -> UserMembership | None:
        rows = await self.session.execute(
            select(UserMembership).where(
                UserMembership.user_id == user_id,
                UserMembership.role == role,
                UserMembership.country.is_not_distinct_from(country),
                UserMembership.institution_id.is_not_distinct_from(institution_id),
            )
        )
        return rows.scalar_one_or_none()

    async def delete_membership(self, membership_id: uuid.UUID) -> None:
        await self.session.execute(delete(UserMembership).where(UserMembership.id == membership_id))

    async def institutions_named(
        self, pairs: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], Institution]:
        if not pairs:
            return {}
        rows = await self.session.execute(
            select(Institution).where(tuple_(Institution.country, Institution.name).in_(pairs))
        )
        return {(i.country, i.name): i for i in rows.scalars()}

    # --- personal data (shared/privacy) ------------------------------------------------

    async def users_of_person(self, email: str | None, name: str | None) -> list[uuid.UUID]:
        """Users with this e-mail address or this name (without regard to case)."""
        conditions = []
        if email:
            conditions.append(func.lower(User.email) == email.lower())
        if name:
            conditions.append(func.lower(User.name) == name.lower())
        if not conditions:
            return []
        found = await self.session.execute(select(User.id).where(or_(*conditions)))
        return list(found.scalars())

    async def closed_users(self, before: dt.datetime) -> list[uuid.UUID]:
        """Users deactivated before ``before`` who still have a profile or a membership."""
        found = await self.session.execute(
            select(User.id).where(
                User.active.is_(False),
                User.updated_at < before,
                or_(
                    User.name.is_not(None),
                    User.email.is_not(None),
                    User.id.in_(select(UserMembership.user_id)),
                ),
            )
        )
        return list(found.scalars())

    async def anonymise(self, ids: Sequence[uuid.UUID]) -> None:
        """Drop the users' name, e-mail and memberships and deactivate them. The row stays
        (the audit log names users by id); signing in again is refused."""
        if not ids:
            return
        await self.session.execute(delete(UserMembership).where(UserMembership.user_id.in_(ids)))
        await self.session.execute(
            update(User)
            .where(User.id.in_(ids))
            .values(name=None, email=None, active=False, updated_at=func.clock_timestamp())
        )
