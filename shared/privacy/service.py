"""Personal data: erase one person on request, and purge what is past its retention.

Personal data here: focal points of national mechanisms (name, role, contact), users
(name, e-mail, memberships), e-mail addresses of reminder subscriptions, and the
mentions of those addresses in the audit log (subscription snapshots). Focal points and
users never reach the audit log in clear (a redacted marker, a user id). A domain that
adds personal data registers an eraser and a retention purge here; both run in the same
transaction as the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.repository import AuditRepository
from shared.audit.service import record
from shared.auth.schemas import Actor
from shared.institutions.repository import MechanismRepository
from shared.notifications.repository import NotificationRepository
from shared.people.repository import PeopleRepository
from shared.privacy.schemas import ERASED, ErasureIn, ErasureOut, RetentionOut

# (session, person) -> rows erased; the eraser also scrubs what it wrote to the audit log.
Eraser = Callable[[AsyncSession, ErasureIn], Awaitable[int]]
# (session, cutoff) -> rows purged: what was closed before the cutoff.
Purger = Callable[[AsyncSession, dt.datetime], Awaitable[int]]
ERASERS: dict[str, Eraser] = {}
PURGERS: dict[str, Purger] = {}


def register(name: str, *, eraser: Eraser | None = None, purger: Purger | None = None) -> None:
    """Add a domain's eraser and retention purge (e.g. users and closed memberships)."""
    if eraser is not None:
        ERASERS[name] = eraser
    if purger is not None:
        PURGERS[name] = purger


async def erase_person(session: AsyncSession, actor: Actor, person: ErasureIn) -> ErasureOut:
    """Erase one person everywhere; the audit log keeps a marker instead of the data.

    Focal points are deleted (their mechanisms take a new version); users lose name,
    e-mail and memberships and are deactivated (the row stays: the audit log names users
    by id, and a new sign-in is refused until an admin reactivates); e-mail subscriptions
    to the address are deleted with their reminders; every audit entry mentioning the
    address has it replaced by ``[erased]``. The erasure's own audit entry holds counts
    only. Flushes, never commits.
    """
    actor.require_global_admin()
    email = person.email.strip() if person.email else None
    name = person.name.strip() if person.name else None
    mechanisms = MechanismRepository(session)
    focal = await mechanisms.focal_points_of_person(email, name)
    await mechanisms.delete_focal_points([f.id for f in focal])
    people = PeopleRepository(session)
    users = await people.users_of_person(email, name)
    await people.anonymise(users)
    notifications = NotificationRepository(session)
    subscriptions = await notifications.email_subscriptions_of(email) if email else []
    await notifications.delete_subscriptions([s.id for s in subscriptions])
    # The audit log holds subscription addresses (their snapshots); focal points only as
    # a redacted count. A name is not scrubbed from free text: too many false matches.
    scrubbed = await AuditRepository(session).scrub([email] if email else [], ERASED)
    other = {key: await eraser(session, person) for key, eraser in ERASERS.items()}
    out = ErasureOut(
        focal_points=len(focal),
        users=len(users),
        subscriptions=len(subscriptions),
        audit_entries=scrubbed,
        other=other,
    )
    record(session, actor, "erase", "person", ERASED, after=out.model_dump())
    await session.flush()
    return out


async def purge_expired(
    session: AsyncSession, actor: Actor, now: dt.datetime, retention_days: int
) -> RetentionOut:
    """Delete what was closed more than ``retention_days`` ago: stopped e-mail
    subscriptions (with their reminders; their addresses scrubbed from their audit
    entries), the profile and memberships of users deactivated that long, and whatever
    the registered purges cover. 0 days: nothing is purged."""
    if retention_days <= 0:
        return RetentionOut(subscriptions=0, users=0, audit_entries=0)
    cutoff = now - dt.timedelta(days=retention_days)
    notifications = NotificationRepository(session)
    closed = await notifications.closed_email_subscriptions(cutoff)
    await notifications.delete_subscriptions([s.id for s in closed])
    scrubbed = 0
    if closed:
        scrubbed = await AuditRepository(session).scrub(
            sorted({s.address for s in closed if s.address}),
            ERASED,
            entity="subscription",
            entity_ids=[str(s.id) for s in closed],
        )
    people = PeopleRepository(session)
    users = await people.closed_users(cutoff)
    await people.anonymise(users)
    other = {key: await purge(session, cutoff) for key, purge in PURGERS.items()}
    out = RetentionOut(
        subscriptions=len(closed), users=len(users), audit_entries=scrubbed, other=other
    )
    if closed or users or any(other.values()):
        record(session, actor, "purge", "personal_data", ERASED, after=out.model_dump())
    await session.flush()
    return out
