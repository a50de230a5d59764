"""Rules of subscriptions: who is told (an e-mail address or a webhook URL), of what, and
how early."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.service import record
from shared.auth.schemas import Actor
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.kernel import validation
from shared.kernel.concurrency import require_version
from shared.notifications import webhooks
from shared.notifications.models import (
    Subscription,
)
from shared.notifications.repository import NotificationRepository, Owners
from shared.notifications.schemas import (
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from shared.pagination import Page, decode_time_key, split_time_key_page
from shared.settings import Settings

# --- subscriptions -------------------------------------------------------------------------


def to_out(row: Subscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(row, from_attributes=True)


def _snapshot(row: Subscription) -> dict[str, Any]:
    return to_out(row).model_dump(mode="json")


def _countries(actor: Actor, values: list[str]) -> list[str]:
    problems = validation.Problems("body")
    codes = list(validation.countries(values, "countries", problems))
    problems.raise_if_any()
    if actor.countries is not None:
        if not codes:
            raise Forbidden(
                "this API key is limited to some countries: list them in `countries`",
                code="country_not_allowed",
            )
        for code in codes:
            actor.require_country(code)
    return codes


async def create_subscription(
    session: AsyncSession, actor: Actor, data: SubscriptionIn, settings: Settings
) -> SubscriptionCreated:
    """Create a subscription; for webhooks the signing secret is returned only here."""
    countries = _countries(actor, data.countries)
    secret: str | None = None
    if data.channel == "email":
        if not data.address or data.url:
            raise InvalidInput("an e-mail subscription needs `address` (and no `url`)")
        if data.events:
            raise InvalidInput("change events are delivered to webhooks only")
    else:
        if not data.url or data.address:
            raise InvalidInput("a webhook subscription needs `url` (and no `address`)")
        await webhooks.check_url(data.url, settings)
        secret = webhooks.new_secret()
    row = Subscription(
        id=uuid.uuid4(),
        name=data.name,
        channel=data.channel,
        address=data.address,
        url=data.url,
        secret=(webhooks.seal(secret, settings.secret_key.get_secret_value()) if secret else None),
        countries=countries,
        kinds=list(dict.fromkeys(data.kinds)),
        lead_days=data.lead_days,
        overdue=data.overdue,
        events=list(dict.fromkeys(data.events)),
        active=True,
        api_key_id=actor.api_key_id,
        version=1,
    )
    await NotificationRepository(session).insert(row)
    record(session, actor, "create", "subscription", str(row.id), after=_snapshot(row))
    return SubscriptionCreated(**to_out(row).model_dump(), secret=secret)


def owners_seen_by(actor: Actor) -> Owners:
    """The subscriptions ``actor`` may see: its own; every one for a global admin."""
    return Owners(actor.api_key_id, everyone=actor.is_global_admin)


async def owned(
    session: AsyncSession, actor: Actor, subscription_id: uuid.UUID, *, for_update: bool = False
) -> Subscription:
    row = await NotificationRepository(session).get(subscription_id, for_update=for_update)
    if row is None or not owners_seen_by(actor).include(row.api_key_id):
        raise NotFound(f"no subscription {subscription_id}")
    return row


def _record_change(
    session: AsyncSession, actor: Actor, action: str, row: Subscription, before: dict[str, Any]
) -> None:
    """Audit a versioned UPDATE of ``row``, reloaded since, so that ``after`` shows what it
    wrote."""
    record(session, actor, action, "subscription", str(row.id), before=before, after=_snapshot(row))


async def get_subscription(
    session: AsyncSession, actor: Actor, subscription_id: uuid.UUID
) -> SubscriptionOut:
    return to_out(await owned(session, actor, subscription_id))


async def list_subscriptions(
    session: AsyncSession, actor: Actor, *, cursor: str | None, limit: int
) -> Page[SubscriptionOut]:
    after = decode_time_key(cursor, "subscriptions", dt.datetime.fromisoformat)
    rows = await NotificationRepository(session).subscriptions_page(
        owners=owners_seen_by(actor), after=after, limit=limit + 1
    )
    page, next_cursor = split_time_key_page(
        "subscriptions", rows, limit, lambda s: (s.created_at, s.id)
    )
    return Page(items=[to_out(r) for r in page], next_cursor=next_cursor)


async def patch_subscription(
    session: AsyncSession,
    actor: Actor,
    subscription_id: uuid.UUID,
    version: int,
    data: SubscriptionPatch,
) -> SubscriptionOut:
    row = await owned(session, actor, subscription_id)
    before = _snapshot(row)
    changes = data.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if value is None and key != "name":
            raise InvalidInput(f"{key} cannot be null")
        values[key] = value
    if "countries" in values:
        values["countries"] = _countries(actor, values["countries"])
    if values.get("events") and row.channel != "webhook":
        raise InvalidInput("change events are delivered to webhooks only")
    require_version("subscription", row.version, version)
    if values:
        await NotificationRepository(session).update_row("subscription", row, version, values)
        _record_change(session, actor, "update", row, before)
    return to_out(row)


async def deactivate_subscription(
    session: AsyncSession, actor: Actor, subscription_id: uuid.UUID
) -> None:
    """Stop a subscription; its reminders and their attempts stay readable."""
    # Locked: no change can come between the read and the write (it never needs a 412).
    row = await owned(session, actor, subscription_id, for_update=True)
    if row.active:
        before = _snapshot(row)
        await NotificationRepository(session).update_row(
            "subscription", row, row.version, {"active": False}
        )
        _record_change(session, actor, "delete", row, before)
